"""Imports from other platforms: start, run (in the worker), resume and roll back.

The dashboard page and the `import_wxr` / `import_ghost` commands both go through these
functions. Starting stores the uploaded file in a private directory (it holds people's
email addresses, so never under MEDIA_ROOT) and enqueues `run_import`; the task reads the
file, writes through apps.transfer.importer and keeps the run's progress and report
(apps.transfer.running, which only the worker and the commands load).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING

import structlog
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.accounts.audit import Kind, record_event
from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.blog.models import Category, Post, PostImage, Tag
from apps.blog.pages import POSTS
from apps.comments.models import Comment
from apps.core import ratelimit
from apps.core.cache import cachalot_off as cachalot_disabled
from apps.core.pagecache import invalidate
from apps.transfer.models import ImportRun, LegacyRedirect, SourceRecord

if TYPE_CHECKING:  # the worker's side only (apps.transfer.running)
    from apps.transfer.images import ImageStore

logger = structlog.get_logger("inkwell.transfer")

R = ImportRun.Status
# Each import reads a whole file in the worker: a few an hour are plenty.
IMPORTS_PER_HOUR = 20
ROLLBACK_CHUNK = 500


def import_storage() -> FileSystemStorage:
    """Where uploaded import files wait for the worker: private, outside MEDIA_ROOT."""
    return FileSystemStorage(location=str(settings.TRANSFER_DIR))


def _require(actor: User) -> None:
    if not can(actor, "site.import"):
        raise PermissionDenied(_("Only admins can import sites."))


def sniff(source: str, head: bytes) -> None:
    """Refuse a file that is plainly not what its source needs, with a message that says so."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if source == ImportRun.Source.WXR:
        if not text.startswith(b"<"):
            raise ValidationError(
                _("This is not an XML file. Upload the .xml file WordPress’s Tools → Export made.")
            )
        if b"<rss" not in head:
            raise ValidationError(_("This XML file is not a WordPress export (no <rss> element)."))
    elif not text.startswith(b"{"):
        raise ValidationError(_("This is not a JSON file. Upload the .json file Ghost exported."))


# ----------------------------------------------------------------------------- start


@transaction.atomic
def start_import(
    *,
    actor: User,
    source: str,
    file: IO[bytes],
    file_name: str,
    dry_run: bool = False,
    members: IO[bytes] | None = None,
    fallback_author: User | None = None,
    in_place: bool = False,
    enqueue: bool = True,
) -> ImportRun:
    """Store the file, create the run and enqueue it (after commit). Admins only.

    `in_place` (the commands): read the file at `file_name` where it is instead of copying
    it; `enqueue=False`: the caller runs `run_import` itself.
    """
    _require(actor)
    if not ratelimit.hit(
        f"transfer-import:{actor.pk}", limit=IMPORTS_PER_HOUR, window=3600
    ).allowed:
        raise ValidationError(
            ngettext(
                "You started %(count)d import in the last hour; wait a little.",
                "You started %(count)d imports in the last hour; wait a little.",
                IMPORTS_PER_HOUR,
            )
            % {"count": IMPORTS_PER_HOUR},
            code="rate_limited",
        )
    if source not in ImportRun.Source.values:
        raise ValidationError(_("Choose WordPress or Ghost."))
    head = file.read(64 * 1024)
    file.seek(0)
    sniff(source, head)
    storage = import_storage()
    folder = uuid.uuid4().hex
    if in_place:
        # The command imports the file where it is: no copy of a 1 GB file.
        path = str(Path(file_name).resolve())
        size = Path(path).stat().st_size
    else:
        path = storage.save(f"{folder}/{Path(file_name).name or 'import'}", file)
        size = storage.size(path)
    members_path = ""
    if members is not None:
        members_path = storage.save(f"{folder}/members.csv", members)
    run = ImportRun.objects.create(
        source=source,
        file_path=path,
        file_name=Path(file_name).name[:255],
        members_path=members_path,
        created_by=actor,
        fallback_author=fallback_author,
        dry_run=dry_run,
        bytes_total=size,
    )
    record_event(
        kind=Kind.SITE_IMPORT_STARTED,
        actor=actor,
        data={"run": run.pk, "source": source, "file": run.file_name, "dry_run": dry_run},
    )
    if enqueue:
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


@transaction.atomic
def import_for_real(*, actor: User, run: ImportRun, enqueue: bool = True) -> ImportRun:
    """Start a real import of the file a finished dry run read (its report was fine)."""
    _require(actor)
    if not (run.dry_run and run.status == R.DONE):
        raise ValidationError(_("Only a finished dry run can be imported for real."))
    path = run.file_path
    exists = Path(path).exists() if Path(path).is_absolute() else import_storage().exists(path)
    if not exists:
        raise ValidationError(_("The dry run's file is gone; upload it again."))
    real = ImportRun.objects.create(
        source=run.source,
        file_path=run.file_path,
        file_name=run.file_name,
        members_path=run.members_path,
        created_by=actor,
        fallback_author=run.fallback_author,
        bytes_total=run.bytes_total,
    )
    record_event(
        kind=Kind.SITE_IMPORT_STARTED,
        actor=actor,
        data={
            "run": real.pk,
            "source": real.source,
            "file": real.file_name,
            "after_dry_run": run.pk,
        },
    )
    if enqueue:
        transaction.on_commit(lambda: _enqueue(real.pk))
    return real


def _enqueue(run_id: int) -> None:
    from apps.transfer.tasks import run_import

    run_import.enqueue(run_id)


def is_stalled(run: ImportRun) -> bool:
    """A RUNNING run whose worker stopped reporting (killed, crashed, restarted)."""
    if run.status != R.RUNNING:
        return False
    last = run.heartbeat_at or run.started_at or run.created_at
    return last < timezone.now() - timedelta(seconds=settings.TRANSFER_STALE_SECONDS)


def can_resume(run: ImportRun) -> bool:
    return not run.dry_run and (run.status == R.FAILED or is_stalled(run))


def can_roll_back(run: ImportRun) -> bool:
    return not run.dry_run and (run.status in {R.DONE, R.FAILED} or is_stalled(run))


@transaction.atomic
def resume_import(*, actor: User, run: ImportRun, enqueue: bool = True) -> ImportRun:
    """Queue a failed or stalled run again; it carries on after its checkpoint."""
    _require(actor)
    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    if not can_resume(run):
        raise ValidationError(_("Only a failed or stalled import can be resumed."))
    run.status = R.QUEUED
    run.report.setdefault("resumed", []).append(
        {"at": timezone.now().isoformat(), "checkpoint": run.checkpoint}
    )
    run.report["errors"] = []
    run.save(update_fields=["status", "report"])
    record_event(
        kind=Kind.SITE_IMPORT_RESUMED,
        actor=actor,
        data={"run": run.pk, "checkpoint": run.checkpoint},
    )
    if enqueue:
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


# ----------------------------------------------------------------------------- run


def run_import(run_id: int, *, images: ImageStore | None = None) -> ImportRun:
    """The worker's part (apps.transfer.running), loaded only where a run is executed."""
    from apps.transfer.running import run_import as execute

    return execute(run_id, images=images)


# ----------------------------------------------------------------------------- rollback


@transaction.atomic
def rollback_import(*, actor: User, run: ImportRun) -> ImportRun:
    """Delete what the run created; what it updated keeps the imported version.

    Accounts and terms the run created are deleted only when nothing else uses them any
    more (a post written here since, another run's post); the report lists what stayed.
    """
    _require(actor)
    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    if not can_roll_back(run):
        raise ValidationError(
            _(
                "This import cannot be rolled back (it is still running, was a dry run, or "
                "was rolled back already)."
            )
        )
    with cachalot_disabled():  # see _execute
        deleted, kept = _delete_created(run)
    storage = import_storage()
    for name in (run.file_path, run.members_path):
        if name and not Path(name).is_absolute():  # a command's own file is left alone
            transaction.on_commit(partial(storage.delete, name))
    run.status = R.ROLLED_BACK
    run.report["rollback"] = {"deleted": deleted, "kept": kept, "at": timezone.now().isoformat()}
    run.save(update_fields=["status", "report"])
    invalidate(POSTS)
    record_event(
        kind=Kind.SITE_IMPORT_ROLLED_BACK,
        actor=actor,
        data={"run": run.pk, "deleted": deleted},
    )
    return run


def _delete_created(run: ImportRun) -> tuple[dict[str, int], dict[str, int]]:
    created = SourceRecord.objects.filter(run=run, created=True)
    ids: dict[str, list[int]] = {}
    for kind, object_id in created.values_list("kind", "object_id"):
        ids.setdefault(kind, []).append(int(object_id))
    deleted: dict[str, int] = {}
    # In slices: Django's delete collects the related rows of what it deletes in memory.
    deleted["comments"] = 0
    for chunk in _chunks(ids.get(SourceRecord.Kind.COMMENT, []), ROLLBACK_CHUNK):
        deleted["comments"] += (
            Comment.objects.filter(pk__in=chunk).delete()[1].get("comments.Comment", 0)
        )
    post_ids = ids.get(SourceRecord.Kind.POST, []) + ids.get(SourceRecord.Kind.PAGE, [])
    deleted["posts"] = 0
    for chunk in _chunks(post_ids, ROLLBACK_CHUNK):
        deleted["posts"] += Post.objects.filter(pk__in=chunk).delete()[1].get("blog.Post", 0)
    pictures = list(
        PostImage.objects.filter(pk__in=ids.get(SourceRecord.Kind.IMAGE, []), post__isnull=True)
    )
    for picture in pictures:
        for name in [picture.original.name, *picture.renditions.values()]:
            default_storage.delete(name)
    deleted["images"] = PostImage.objects.filter(pk__in=[p.pk for p in pictures]).delete()[0]
    kept: dict[str, int] = {}
    for kind, model in ((SourceRecord.Kind.CATEGORY, Category), (SourceRecord.Kind.TAG, Tag)):
        terms = model.objects.filter(pk__in=ids.get(kind, [])).annotate(n=Count("posts"))
        kept[str(kind)] = terms.filter(n__gt=0).count()
        deleted[f"{kind}s"] = terms.filter(n=0).delete()[0] if terms.filter(n=0).exists() else 0
    users = User.objects.filter(pk__in=ids.get(SourceRecord.Kind.AUTHOR, [])).annotate(
        n=Count("posts", distinct=True) + Count("comments", distinct=True)
    )
    kept["authors"] = users.filter(n__gt=0).count()
    free = list(users.filter(n=0).values_list("pk", flat=True))
    deleted["authors"] = len(free)
    User.objects.filter(pk__in=free).delete()
    LegacyRedirect.objects.filter(run=run).delete()
    SourceRecord.objects.filter(run=run).delete()
    return deleted, kept


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def report_json(run: ImportRun) -> str:
    """The report as pretty JSON (the command prints it)."""
    return json.dumps(run.report, indent=2, ensure_ascii=False)
