"""Executing an import: the worker's side of apps.transfer.services.

Kept apart so that web processes, which only start, resume and roll back runs, never load
the parsers (lxml, BeautifulSoup, markdownify) that only the worker needs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.cache import cachalot_off as cachalot_disabled
from apps.transfer import ghost
from apps.transfer.images import ImageStore
from apps.transfer.importer import DryRunRollbackError, Importer
from apps.transfer.models import ImportRun
from apps.transfer.records import AuthorRecord, ItemRecord, SourceError, TermRecord
from apps.transfer.services import import_storage, is_stalled
from apps.transfer.wxr import AttachmentRecord, CountingReader, SiteRecord, read_wxr

logger = structlog.get_logger("inkwell.transfer")

R = ImportRun.Status
# How often (seconds) the first pass writes how far it has read.
PROGRESS_EVERY = 1.0


def run_import(run_id: int, *, images: ImageStore | None = None) -> ImportRun:
    """The worker's part: read the file and import it, keeping progress and the report.

    Safe to run twice (a task re-queued by the reaper): a run already finished is left
    alone, and a RUNNING one is taken over only when it has stalled.
    """
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run_id)
        if run.status not in {R.QUEUED, R.RUNNING} or (
            run.status == R.RUNNING and not is_stalled(run)
        ):
            return run
        run.status = R.RUNNING
        run.started_at = run.started_at or timezone.now()
        run.heartbeat_at = timezone.now()
        run.save(update_fields=["status", "started_at", "heartbeat_at"])
    images = images if images is not None else ImageStore()
    importer: Importer | None = None
    try:
        if run.dry_run:
            try:
                with transaction.atomic():
                    importer = _execute(run, images)
                    raise DryRunRollbackError
            except DryRunRollbackError:
                pass
        else:
            importer = _execute(run, images)
        run.status = R.DONE
    except SourceError as error:
        run.report.setdefault("errors", []).append(str(error))
        run.status = R.FAILED
    except Exception as error:
        logger.exception("transfer.import_failed", run=run.pk)
        run.report.setdefault("errors", []).append(
            f"The import stopped on an unexpected error ({type(error).__name__}: {error}). "
            "What was committed before it stays; resume or roll back the run."
        )
        run.status = R.FAILED
    if importer is not None and importer.queries_per_batch:
        run.report["queries_per_batch"] = max(importer.queries_per_batch)
    run.finished_at = timezone.now()
    ImportRun.objects.filter(pk=run.pk).update(
        status=run.status,
        finished_at=run.finished_at,
        report=run.report,
        site=run.site,
        phase="",
        items_total=run.items_total,
        items_done=run.items_done,
        bytes_read=run.bytes_read,
        checkpoint=0 if run.dry_run else run.checkpoint,
    )
    logger.info("transfer.import", run=run.pk, status=run.status, counts=run.report.get("counts"))
    return run


def _execute(run: ImportRun, images: ImageStore) -> Importer:
    # cachalot keeps the results of every read in an open transaction in memory until it
    # commits (to cache them then), so a long transaction (a dry run, a rollback) would
    # grow with the site. Reads bypass it here; writes still invalidate what it cached.
    with cachalot_disabled():
        if run.source == ImportRun.Source.WXR:
            return _execute_wxr(run, images)
        return _execute_ghost(run, images)


def _open(run: ImportRun, path: str | None = None) -> IO[bytes]:
    name = path or run.file_path
    if Path(name).is_absolute():
        return Path(name).open("rb")  # a command's file, read where it is
    return import_storage().open(name, "rb")


def _progress(run: ImportRun, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(run, name, value)
    run.heartbeat_at = timezone.now()
    ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=run.heartbeat_at, **fields)


def _execute_wxr(run: ImportRun, images: ImageStore) -> Importer:
    # First pass: check the whole file is well-formed before writing anything, count the
    # items for the progress bar, and find attachments (featured images name them by id).
    attachments: dict[str, str] = {}
    total = 0
    site = ""
    _progress(run, phase="scanning")
    with _open(run) as raw:
        reader = CountingReader(raw)
        last = time.monotonic()
        for record in read_wxr(reader, scan=True):  # type: ignore[arg-type]
            if isinstance(record, SiteRecord) and not site:
                site = record.url
            elif isinstance(record, AttachmentRecord):
                attachments[record.source_id] = record.url
            elif isinstance(record, ItemRecord) and record.kind in {"post", "page"}:
                total += 1
            if time.monotonic() - last > PROGRESS_EVERY:
                last = time.monotonic()
                _progress(run, bytes_read=reader.count)
    run.site = (site or run.site or "unknown")[:300]
    _progress(run, phase="importing", bytes_read=run.bytes_total, items_total=total, site=run.site)
    importer = Importer(run, attachments=attachments, images=images)
    with _open(run) as raw:
        importer.items(_wxr_items(read_wxr(raw), importer))
    return importer


def _wxr_items(records: Iterator[Any], importer: Importer) -> Iterator[ItemRecord]:
    """Items for the importer; the channel's authors and terms are written before the first."""
    authors: list[AuthorRecord] = []
    terms: list[TermRecord] = []
    header_done = False
    for record in records:
        if isinstance(record, AuthorRecord):
            authors.append(record)
        elif isinstance(record, TermRecord):
            terms.append(record)
        elif isinstance(record, ItemRecord):
            if not header_done:
                importer.header(authors, terms)
                header_done = True
            if record.kind in {"post", "page"}:
                yield record
            else:
                importer.report.count("other items", "skipped")
    if not header_done:
        importer.header(authors, terms)


def _execute_ghost(run: ImportRun, images: ImageStore) -> Importer:
    _progress(run, phase="reading")
    size = run.bytes_total
    if size > settings.TRANSFER_GHOST_MAX_BYTES:
        raise SourceError(
            f"The Ghost export is {size // 1024**2} MB; the limit is "
            f"{settings.TRANSFER_GHOST_MAX_BYTES // 1024**2} MB (TRANSFER_GHOST_MAX_BYTES). "
            "A Ghost export is one JSON document and is read whole."
        )
    with _open(run) as raw:
        export = ghost.read_ghost(raw)
    run.site = (export.site or run.site or "unknown")[:300]
    _progress(run, phase="importing", bytes_read=size, items_total=len(export.items), site=run.site)
    importer = Importer(run, images=images)
    importer.header(export.authors, export.terms)
    importer.items(iter(export.items))
    if run.members_path:
        _progress(run, phase="members")
        with _open(run, run.members_path) as members:
            ghost.import_members(run=run, file=members, report=importer.report)
    return importer
