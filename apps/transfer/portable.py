"""Loading a site export (apps.transfer.exporting) into an empty Inkwell.

Everything is checked before anything is written: that the file is a zip, that its members
have safe names, that `manifest.json` is there and names our format and a version we read,
that the uncompressed sizes stay under a cap (a zip bomb is refused from its directory,
before a byte is inflated), that no member is missing or extra, and that each member's
SHA-256 matches the manifest. Then, in one transaction, every model's rows are inserted in
the manifest's (dependency) order with `bulk_create` in batches (no signals: nothing is
mailed, broadcast or notified for a restored row), PostgreSQL's sequences are moved past
the restored ids, and the media files are written to storage. A failure anywhere rolls the
rows back and removes the files written so far.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import structlog
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction

from apps.accounts.audit import Kind, record_event
from apps.core.cache import cachalot_off as cachalot_disabled
from apps.transfer.exporting.registry import FORMAT_NAME, FORMAT_VERSION, SPECS, spec_by_label
from apps.transfer.exporting.rows import RowDecoder
from apps.transfer.exporting.site import MANIFEST_NAME, MEDIA_PREFIX

logger = structlog.get_logger("inkwell.transfer.import")

BATCH_SIZE = 1000
READ_CHUNK = 64 * 1024
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_LINE_BYTES = 64 * 1024 * 1024
# A member inflating more than this many times its compressed size is treated as a bomb
# (JSON Lines compress 5-20x, images not at all; deflate tops out near 1,000x).
MAX_RATIO = 200
DEFAULT_MAX_TOTAL_BYTES = 50 * 1024**3


class ImportRefusedError(Exception):
    """The file or the site is not fit for an import; nothing was written."""


@dataclass
class ImportReport:
    """What an import restored."""

    rows: dict[str, int] = field(default_factory=dict)
    media_files: int = 0
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _max_total_bytes() -> int:
    return int(getattr(settings, "SITE_IMPORT_MAX_BYTES", DEFAULT_MAX_TOTAL_BYTES))


def _safe_member_name(name: str) -> bool:
    if not name or name.startswith(("/", "\\")) or "\\" in name or "\x00" in name:
        return False
    parts = name.split("/")
    if any(part in {"", ".", ".."} for part in parts):
        return False
    return not (len(parts[0]) == 2 and parts[0][1] == ":")  # "C:" drive letters


def _open_zip(source: str | Path | IO[bytes]) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as error:
        raise ImportRefusedError(
            f"This is not a readable zip file ({error}). Choose the .zip an Inkwell export made."
        ) from error


def _read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        info = archive.getinfo(MANIFEST_NAME)
    except KeyError:
        raise ImportRefusedError(
            "The zip has no manifest.json, so it is not an Inkwell site export."
        ) from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise ImportRefusedError("The manifest is too large to be an Inkwell manifest.")
    try:
        manifest = json.loads(archive.read(info).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, RecursionError) as error:
        raise ImportRefusedError(f"The manifest is not valid JSON ({error}).") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ImportRefusedError(f"The manifest does not describe an {FORMAT_NAME} file.")
    version = manifest.get("version")
    if version != FORMAT_VERSION:
        raise ImportRefusedError(
            f"This export is format version {version!r}; this Inkwell reads version "
            f"{FORMAT_VERSION}. Import it with the Inkwell version that made it "
            f"({manifest.get('inkwell_version', 'unknown')}) or a newer one."
        )
    if not isinstance(manifest.get("members"), dict) or not isinstance(
        manifest.get("models"), list
    ):
        raise ImportRefusedError("The manifest lists no members or models.")
    return manifest


def _check_directory(archive: zipfile.ZipFile) -> set[str]:
    """Names, sizes and ratios from the zip's directory, before anything is inflated."""
    total = 0
    limit = _max_total_bytes()
    names: set[str] = set()
    for info in archive.infolist():
        if not _safe_member_name(info.filename) or info.is_dir():
            raise ImportRefusedError(f"Refusing the member name {info.filename!r} (unsafe path).")
        if info.filename in names:
            raise ImportRefusedError(f"The member {info.filename!r} appears twice.")
        names.add(info.filename)
        total += info.file_size
        if total > limit:
            raise ImportRefusedError(
                f"The zip would unpack to more than {limit} bytes; refusing it (a zip bomb, "
                "or an export larger than SITE_IMPORT_MAX_BYTES allows)."
            )
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            raise ImportRefusedError(
                f"The member {info.filename!r} inflates {info.file_size // info.compress_size}"
                " times its size; refusing it as a zip bomb."
            )
    return names


def _check_listing(names: set[str], manifest: dict[str, Any]) -> None:
    """The zip holds exactly the members the manifest lists, and only models we know."""
    listed = set(manifest["members"])
    extra = names - listed - {MANIFEST_NAME}
    missing = listed - names
    if missing:
        raise ImportRefusedError(
            f"Members listed in the manifest are missing: {sorted(missing)[:5]}"
        )
    if extra:
        raise ImportRefusedError(f"Members not listed in the manifest: {sorted(extra)[:5]}")
    for entry in manifest["models"]:
        if not isinstance(entry, dict) or spec_by_label(str(entry.get("label"))) is None:
            raise ImportRefusedError(f"Unknown model in the manifest: {entry!r}")
        if entry.get("file") not in listed:
            raise ImportRefusedError(f"The manifest names no member for {entry.get('label')}.")


def _verify_checksums(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    for name, expected in manifest["members"].items():
        digest = hashlib.sha256()
        size = 0
        try:
            with archive.open(name) as member:
                while chunk := member.read(READ_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise ImportRefusedError(f"The member {name!r} is damaged ({error}).") from error
        if not isinstance(expected, dict) or digest.hexdigest() != expected.get("sha256"):
            raise ImportRefusedError(
                f"Checksum mismatch for {name!r}: the file was altered or truncated."
            )
        if size != expected.get("size"):
            raise ImportRefusedError(f"Size mismatch for {name!r}.")


def site_is_empty() -> list[str]:
    """The exported models that already hold rows (seeded-by-migration ones aside)."""
    occupied = []
    # Asked of the database itself: a cached answer (cachalot, Redis) may predate a reset.
    with cachalot_disabled():
        for spec in SPECS:
            if spec.seeded_by_migrations:
                continue
            if spec.model._base_manager.exists():
                occupied.append(spec.label)
    return occupied


def check_site_export(source: str | Path | IO[bytes]) -> dict[str, Any]:
    """Validate a site export fully (names, sizes, manifest, checksums); return its manifest."""
    with _open_zip(source) as archive:
        names = _check_directory(archive)
        manifest = _read_manifest(archive)
        _check_listing(names, manifest)
        _verify_checksums(archive, manifest)
    return manifest


@contextmanager
def _auto_now_off(model: type[models.Model]) -> Iterator[None]:
    """Let restored rows keep their `updated_at`: insert-time pre_save would stamp now."""
    changed = []
    for f in model._meta.concrete_fields:
        if isinstance(f, models.DateField) and (f.auto_now or f.auto_now_add):
            changed.append((f, f.auto_now, f.auto_now_add))
            f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, now_add in changed:
            f.auto_now, f.auto_now_add = now, now_add


def _lines(member: IO[bytes]) -> Iterator[dict[str, Any]]:
    text = io.TextIOWrapper(member, encoding="utf-8", newline="\n")
    number = 0
    while line := text.readline(MAX_LINE_BYTES):
        number += 1
        if not line.endswith("\n"):
            raise ImportRefusedError(f"Line {number} is too long or truncated.")
        try:
            row = json.loads(line)
        except (ValueError, RecursionError) as error:
            raise ImportRefusedError(f"Line {number} is not valid JSON ({error}).") from error
        if not isinstance(row, dict) or "pk" not in row or not isinstance(row.get("fields"), dict):
            raise ImportRefusedError(f"Line {number} is not an exported row.")
        yield row


def _forget_batch() -> None:
    """Free what a loaded batch leaves behind, so memory stays flat over millions of rows.

    The DEBUG query log keeps 9,000 queries, each insert carrying 1,000 rows; and a batch's
    instances sit in reference cycles that only a full collection frees (measured: without
    it the peak grew with the row count, 6 MiB at 2,000 posts to 18 MiB at 20,000).
    """
    connection.queries_log.clear()
    gc.collect()


def _load_model(archive: zipfile.ZipFile, label: str, member: str) -> int:
    spec = spec_by_label(label)
    if spec is None:  # _check_members refused it already; kept for the type checker
        raise ImportRefusedError(f"Unknown model {label!r}.")
    model = spec.model
    if spec.seeded_by_migrations:
        model._base_manager.all().delete()
    decoder: RowDecoder | None = None
    count = 0
    batch: list[models.Model] = []
    with archive.open(member) as raw, _auto_now_off(model):
        for row in _lines(raw):
            if decoder is None:
                try:
                    decoder = RowDecoder(spec, set(row["fields"]))
                except ValueError as error:
                    raise ImportRefusedError(str(error)) from error
            try:
                batch.append(decoder.build(row))
            except (ValueError, TypeError, ObjectDoesNotExist, ValidationError) as error:
                # DoesNotExist: a group or permission this site lacks.
                raise ImportRefusedError(f"{label}, row {row.get('pk')}: {error}") from error
            if len(batch) >= BATCH_SIZE:
                model._base_manager.bulk_create(batch)
                count += len(batch)
                batch = []
                _forget_batch()
        if batch:
            model._base_manager.bulk_create(batch)
            count += len(batch)
    return count


def _reset_sequences() -> None:
    models_ = [spec.model for spec in SPECS]
    statements = connection.ops.sequence_reset_sql(no_style(), models_)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _restore_media(archive: zipfile.ZipFile, manifest: dict[str, Any], written: list[str]) -> int:
    count = 0
    for member in manifest["members"]:
        if not member.startswith(MEDIA_PREFIX):
            continue
        name = member[len(MEDIA_PREFIX) :]
        if default_storage.exists(name):
            # A leftover file of an earlier, failed attempt or of the empty site: it is not
            # referenced by any row here (the site was empty), so the export's file wins.
            default_storage.delete(name)
        info = archive.getinfo(member)
        with archive.open(info) as handle:
            content = File(handle, name=name)
            content.size = info.file_size
            saved = default_storage.save(name, content)
        written.append(saved)
        if saved != name:
            raise ImportRefusedError(f"Storage renamed {name!r} to {saved!r}; cannot restore it.")
        count += 1
    return count


def _remove(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def import_site_export(source: str | Path | IO[bytes]) -> ImportReport:
    """Restore a site export into this (empty) site; everything or nothing."""
    occupied = site_is_empty()
    if occupied:
        raise ImportRefusedError(
            "This site is not empty (it has rows in "
            f"{', '.join(occupied[:5])}{'…' if len(occupied) > 5 else ''}). "
            "An export loads only into a freshly migrated, empty Inkwell: create a new "
            "database, run `manage.py migrate`, then import (the accounts come with it)."
        )
    manifest = check_site_export(source)
    if hasattr(source, "seek"):
        source.seek(0)
    report = ImportReport(manifest=manifest)
    written: list[str] = []
    try:
        with _open_zip(source) as archive, transaction.atomic():
            for entry in manifest["models"]:
                label = str(entry["label"])
                report.rows[label] = _load_model(archive, label, str(entry["file"]))
                if report.rows[label] != entry.get("count"):
                    raise ImportRefusedError(
                        f"{label}: the manifest says {entry.get('count')} rows, the file has "
                        f"{report.rows[label]}."
                    )
            _reset_sequences()
            report.media_files = _restore_media(archive, manifest, written)
            record_event(
                kind=Kind.SITE_IMPORTED,
                data={
                    "rows": report.total_rows,
                    "media_files": report.media_files,
                    "exported_at": manifest.get("created_at"),
                    "inkwell_version": manifest.get("inkwell_version"),
                    "password_hashes": bool(manifest.get("includes_password_hashes")),
                },
            )
    except DatabaseError as error:
        # A broken reference or a value this schema refuses: the transaction rolled back.
        _remove(written)
        raise ImportRefusedError(f"The database refused the export's rows: {error}") from error
    except BaseException:
        _remove(written)
        raise
    logger.info("import.site_done", rows=report.total_rows, media=report.media_files)
    return report
