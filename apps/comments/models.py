"""Threaded comments on posts, their reports, and the site's moderation settings."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.comments import reasons

# Three levels are shown (0, 1, 2); a reply to a level-2 comment attaches to level 2.
MAX_DEPTH = 2


class Comment(models.Model):
    """A reader's comment on a post.

    Threading: `parent` is the comment replied to; `depth` = min(parent.depth + 1, MAX_DEPTH);
    `root` is the thread's top-level comment (None for a top-level comment); `thread_parent`
    is where the comment is shown (see the field). Deleting keeps the row as a placeholder.
    """

    class Status(models.TextChoices):
        HELD = "held", _("Held for moderation")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")
        SPAM = "spam", _("Spam")

    post = models.ForeignKey("blog.Post", on_delete=models.CASCADE, related_name="comments")
    # Null once the author's account is deleted: the comment stays, anonymised.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    # The top-level comment of the thread; None for a top-level comment itself (so a new
    # comment is saved once, never twice).
    root = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The comment whose replies list shows this one: `parent` while the parent is above the
    # last level, else the parent's own thread_parent (a reply to a level-2 comment is shown
    # beside it, labelled "in reply to @name"). Stored so pages and broadcasts find the
    # place without walking up the chain of replies. None for top-level comments.
    thread_parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    body = models.TextField(_("comment"), max_length=5000, help_text=_("Markdown subset."))
    # Rendered and sanitised by the service, never by templates.
    body_html = models.TextField(editable=False, default="")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PUBLISHED)
    # Why a comment was held ("first comment", "4 links", "blocked word: …"), for moderators.
    held_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Deleted by its author or an editor: the thread keeps a "comment removed" placeholder.
    deleted_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    report_count = models.PositiveIntegerField(default=0)
    # The one-time token of the web form that posted it: a re-sent form (a retry after a
    # timeout or a 503) finds this comment instead of posting a second one.
    submission_token = models.UUIDField(null=True, blank=True, editable=False)
    # Imported comments whose writer has no account here (apps.transfer): the name is shown
    # as a guest's; the address is kept only to hand the comments over when that person
    # signs up and confirms it (apps.comments.receivers), then cleared. Never shown, never
    # in the API.
    guest_name = models.CharField(max_length=150, blank=True)
    guest_email = models.EmailField(blank=True, db_index=True)

    # Not fields: set by apps.comments.selectors on comments they prepare for rendering.
    thread_replies: list[Comment]  # the replies shown below this one
    placeholder: bool  # render "comment removed" (deleted, or hidden with visible replies)
    awaiting: bool  # held: render the "awaiting approval" badge
    more_replies: int  # a paged thread's top-level comment: replies not shown yet
    replies_after: int  # … and the id its "show more replies" continues after

    class Meta:
        ordering = ("created_at", "id")
        indexes: ClassVar = [
            models.Index(fields=["post", "status", "id"], name="comments_post_status_idx"),
            models.Index(fields=["status", "created_at"], name="comments_status_created_idx"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(depth__gte=0) & Q(depth__lte=MAX_DEPTH),
                name="comments_depth_in_range",
            ),
            models.UniqueConstraint(
                fields=["author", "submission_token"],
                condition=Q(submission_token__isnull=False),
                name="comments_one_comment_per_form_token",
            ),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on post {self.post_id}"

    def get_absolute_url(self) -> str:
        return f"{self.post.get_absolute_url()}#comment-{self.pk}"

    @property
    def held_reason_shown(self) -> str:
        """Why it waits, in the active language (stored in English; see `reasons`)."""
        return reasons.shown(self.held_reason)

    @property
    def is_public(self) -> bool:
        """Shown to every reader (a removed one shows as a placeholder)."""
        return self.status == self.Status.PUBLISHED

    @property
    def is_guest(self) -> bool:
        """Written by someone without an account (an imported comment)."""
        return self.author_id is None and bool(self.guest_name)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def shows_replies(self) -> bool:
        """Comments above the last level list their replies below them."""
        return self.depth < MAX_DEPTH


class CommentReport(models.Model):
    """A reader's flag on a comment; one per reader and comment."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["comment", "reporter"], name="comments_one_report_per_reader"
            ),
        ]

    def __str__(self) -> str:
        return f"Report on comment {self.comment_id}"


class ModerationSettings(models.Model):
    """The site's comment rules: one row (pk=1), edited by editors."""

    class Hold(models.TextChoices):
        ALL = "all", _("Hold every new comment for approval")
        FIRST_TIME = "first_time", _("Hold comments from first-time commenters")
        NONE = "none", _("Publish comments at once")

    hold = models.CharField(max_length=12, choices=Hold.choices, default=Hold.FIRST_TIME)
    # A comment with more links than this goes to the queue.
    max_links = models.PositiveSmallIntegerField(default=2)
    # One word or phrase per line, matched case-insensitively on word boundaries.
    blocklist = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("moderation settings")
        verbose_name_plural = _("moderation settings")

    def __str__(self) -> str:
        return "Comment moderation settings"

    @property
    def blocked_words(self) -> list[str]:
        return [w.strip().lower() for w in self.blocklist.splitlines() if w.strip()]


class PostStream(models.Model):
    """A post's live-stream counter: the sequence number of its latest live event.

    Taking the next number updates this row, which locks it until the transaction ends, so
    two writes on one post get consecutive numbers and the later one commits second: a
    number that is visible means every smaller one is visible too (gap-free replay).
    """

    post = models.OneToOneField(
        "blog.Post", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_seq = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Live stream of post {self.post_id} at {self.last_seq}"


class StreamEvent(models.Model):
    """One live event of a post (a comment created, held, edited or removed), by sequence.

    Written in the transaction of the change it announces; the broadcast after commit
    carries its `seq`, and a reconnecting client (`?since=<seq>`) is replayed the rows
    after the last one it saw. Only the comment is stored: an event is rendered from the
    comment as it is now, so a replay never shows what was since removed. Rows older than
    `LIVE_EVENT_RETENTION` are pruned; a client asking from before them is told to reload.
    """

    class Kind(models.TextChoices):
        CREATED = "comment.created", _("Comment published")
        HELD = "comment.held", _("Comment held")
        UPDATED = "comment.updated", _("Comment edited")
        DELETED = "comment.deleted", _("Comment removed")

    post = models.ForeignKey("blog.Post", on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="+")
    # Private: for moderators and the comment's author only (a held comment); everyone
    # else is sent the sequence number alone, so their stream stays gap-free too.
    private = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    class Meta:
        ordering = ("post", "seq")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["post", "seq"], name="comments_stream_event_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.seq} on post {self.post_id}"
