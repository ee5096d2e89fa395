"""Imports from other platforms: the runs, what each source item became, and old addresses.

An `ImportRun` is one import of one file. Every object an import writes is recorded in a
`SourceRecord` keyed by where it came from (system, site, kind, source id), not by the
run: a second import of the same site finds the records and updates the objects instead
of creating them again, and a run killed half-way continues from its checkpoint (the
number of items committed) without duplicating what it had written. The record also
says which run created the object, so a run can be rolled back as a whole.

`LegacyRedirect` keeps the old site's addresses (WordPress permalinks, `?p=123`, Ghost's
`/slug/`) answering 301 to the new ones; apps.transfer.middleware asks only on a 404.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _empty_report() -> dict[str, Any]:
    return {"counts": {}, "warnings": [], "errors": []}


class ImportRun(models.Model):
    """One import of one uploaded file, its progress and its report."""

    class Source(models.TextChoices):
        WXR = "wxr", _("WordPress (WXR)")
        GHOST = "ghost", _("Ghost (JSON)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        ROLLED_BACK = "rolled_back", _("Rolled back")

    source = models.CharField(max_length=8, choices=Source.choices)
    # Storage-relative path of the uploaded file (kept until the run is rolled back).
    file_path = models.CharField(max_length=500)
    file_name = models.CharField(max_length=255, blank=True)
    # Ghost only: the members CSV uploaded beside the JSON export.
    members_path = models.CharField(max_length=500, blank=True)
    # The old site's address as the file names it (WXR <channel><link>, Ghost's url):
    # the key that makes a second import of the same site update rather than duplicate.
    site = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Posts whose author is not in the file go to this account (default: created_by).
    fallback_author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    dry_run = models.BooleanField(default=False)
    # Progress: the file's bytes read, then items done of items found by the first pass.
    phase = models.CharField(max_length=20, blank=True)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_read = models.PositiveBigIntegerField(default=0)
    items_total = models.PositiveIntegerField(default=0)
    items_done = models.PositiveIntegerField(default=0)
    # The checkpoint: the number of items (posts, pages and their comments) committed. A
    # resumed run skips this many items of the stream and carries on.
    checkpoint = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=_empty_report)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Touched after every batch: a RUNNING run whose heartbeat is old has lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.get_source_display()} import {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        """How far along the run is, 0 to 100, for the progress bar."""
        if self.status in {self.Status.DONE, self.Status.ROLLED_BACK}:
            return 100
        if self.items_total:
            return min(99, 10 + round(90 * self.items_done / self.items_total))
        if self.bytes_total:
            return min(10, round(10 * self.bytes_read / self.bytes_total))
        return 0

    @property
    def is_active(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}


class SourceRecord(models.Model):
    """What one item of an old site became here: the key to idempotent, resumable imports."""

    class Kind(models.TextChoices):
        AUTHOR = "author", _("Author")
        CATEGORY = "category", _("Category")
        TAG = "tag", _("Tag")
        POST = "post", _("Post")
        PAGE = "page", _("Page")
        COMMENT = "comment", _("Comment")
        IMAGE = "image", _("Image")
        REDIRECT = "redirect", _("Redirect")

    system = models.CharField(max_length=8, choices=ImportRun.Source.choices)
    site = models.CharField(max_length=300)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    source_id = models.CharField(max_length=500)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    # The run that first wrote the object, and whether that run created it (a rollback
    # deletes only what its run created) or matched an existing one (an account by email).
    run = models.ForeignKey(ImportRun, on_delete=models.SET_NULL, null=True, related_name="records")
    created = models.BooleanField(default=True)
    last_run = models.ForeignKey(
        ImportRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["system", "site", "kind", "source_id"], name="transfer_one_record_per_item"
            )
        ]
        indexes: ClassVar = [models.Index(fields=["run", "kind"], name="transfer_record_run_idx")]

    def __str__(self) -> str:
        return f"{self.system}:{self.kind}:{self.source_id} → {self.object_id}"


class LegacyRedirect(models.Model):
    """An address of the old site that answers 301 to what it became here."""

    # The path (and for WordPress's `?p=123` the query), as the old site served it, without
    # a trailing slash: "/2019/05/hello-world", "/?p=123".
    old_path = models.CharField(max_length=500, unique=True)
    post = models.ForeignKey(
        "blog.Post", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    target_path = models.CharField(max_length=500, blank=True)
    run = models.ForeignKey(
        ImportRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"{self.old_path} → {self.post_id or self.target_path}"

    def target_url(self) -> str:
        """Where the old address leads now (the post's current address, slug changes included)."""
        if self.post is not None:
            return self.post.get_absolute_url()
        return self.target_path
