"""The full-site export: a zip streamed member by member, never held in memory.

Layout of the zip:

- `data/<app>.<model>.jsonl`: one file per model, in dependency order (registry.SPECS),
  one JSON object per line (rows.py);
- `media/<storage name>`: every uploaded file the rows name (avatars, covers, post images
  and their renditions), streamed from storage;
- `manifest.json`, last: format and version, Inkwell's version, when, whether password
  hashes are included, the rows per model, and each member's size and SHA-256. It comes
  last because the checksums are known only once the members have streamed past.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from stat import S_IFREG
from typing import Any

import structlog
from django.core.files.storage import default_storage
from django.db import connection, models

from apps.core.backups import app_version
from apps.transfer.exporting.registry import (
    FORMAT_NAME,
    FORMAT_VERSION,
    ModelSpec,
    specs_for,
)
from apps.transfer.exporting.rows import dumps, iter_rows, keyset_chunks

logger = structlog.get_logger("inkwell.transfer.export")

MANIFEST_NAME = "manifest.json"
MEDIA_PREFIX = "media/"
# Rows are joined into chunks of about this size before they go to the compressor.
WRITE_CHUNK = 64 * 1024
READ_CHUNK = 64 * 1024
FILE_MODE = S_IFREG | 0o600


@dataclass
class ExportProgress:
    """What the export wrote so far; becomes the manifest once every member is out."""

    with_passwords: bool
    created_at: datetime = field(default_factory=lambda: datetime.now(tz=UTC))
    models: list[dict[str, Any]] = field(default_factory=list)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    media_count: int = 0
    media_bytes: int = 0
    missing_media: list[str] = field(default_factory=list)

    def manifest(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "inkwell_version": app_version(),
            "created_at": self.created_at.isoformat(),
            "database_vendor": connection.vendor,
            "includes_password_hashes": self.with_passwords,
            "migration_bundle": self.with_passwords,
            "models": self.models,
            "media": {
                "files": self.media_count,
                "bytes": self.media_bytes,
                "missing": self.missing_media,
            },
            "members": self.members,
        }


def _hashed(name: str, chunks: Iterable[bytes], progress: ExportProgress) -> Iterator[bytes]:
    """Pass `chunks` through while counting and hashing them for the manifest."""
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        yield chunk
    progress.members[name] = {"size": size, "sha256": digest.hexdigest()}


def _model_chunks(spec: ModelSpec, progress: ExportProgress) -> Iterator[bytes]:
    buffer: list[bytes] = []
    buffered = 0
    count = 0
    for row in iter_rows(spec, with_passwords=progress.with_passwords):
        line = dumps(row)
        buffer.append(line)
        buffered += len(line)
        count += 1
        if buffered >= WRITE_CHUNK:
            yield b"".join(buffer)
            buffer, buffered = [], 0
    if buffer:
        yield b"".join(buffer)
    progress.models.append({"label": spec.label, "file": spec.file_name, "count": count})


def _file_fields(model: type[models.Model]) -> list[models.FileField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]


def media_names(specs: list[ModelSpec]) -> Iterator[str]:
    """Every storage name the exported rows refer to, each once per field (one query each)."""
    for spec in specs:
        model = spec.model
        for f in _file_fields(model):
            names = (
                model._base_manager.exclude(**{f.attname: ""})
                .exclude(**{f"{f.attname}__isnull": True})
                .values_list(f.attname, flat=True)
                .distinct()
            )
            yield from keyset_chunks(names, key=f.attname)
        for json_field in spec.file_name_maps:
            maps = model._base_manager.values_list("pk", json_field)
            for _pk, mapping in keyset_chunks(maps):
                if isinstance(mapping, dict):
                    yield from (str(v) for v in mapping.values() if v)


def _storage_chunks(name: str, progress: ExportProgress) -> Iterator[bytes]:
    with default_storage.open(name, "rb") as file:
        while chunk := file.read(READ_CHUNK):
            progress.media_bytes += len(chunk)
            yield chunk


def _members(progress: ExportProgress) -> Iterator[tuple[str, datetime, int, Any, Iterable[bytes]]]:
    from stream_zip import ZIP_64

    specs = specs_for(with_passwords=progress.with_passwords)
    now = progress.created_at
    for spec in specs:
        name = spec.file_name
        yield name, now, FILE_MODE, ZIP_64, _hashed(name, _model_chunks(spec, progress), progress)
    seen: set[str] = set()
    for storage_name in media_names(specs):
        # The same file named by two fields is written once (the set holds names, not bytes).
        if storage_name in seen or not _safe_storage_name(storage_name):
            continue
        seen.add(storage_name)
        if not default_storage.exists(storage_name):
            progress.missing_media.append(storage_name)
            logger.warning("export.media_missing", name=storage_name)
            continue
        member = MEDIA_PREFIX + storage_name
        progress.media_count += 1
        yield (
            member,
            now,
            FILE_MODE,
            ZIP_64,
            _hashed(member, _storage_chunks(storage_name, progress), progress),
        )
    manifest = json.dumps(progress.manifest(), indent=2, ensure_ascii=False).encode("utf-8")
    yield MANIFEST_NAME, now, FILE_MODE, ZIP_64, (manifest,)


def _safe_storage_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return bool(name) and not name.startswith("/") and ".." not in parts


def stream_site_export(
    *, with_passwords: bool = False, progress: ExportProgress | None = None
) -> Iterator[bytes]:
    """The export as zip bytes, produced while they are consumed (a response or a file)."""
    # stream-zip (and the AES it brings, about 4 MiB) is loaded by an export, not by every
    # page worker.
    from stream_zip import stream_zip

    progress = progress or ExportProgress(with_passwords=with_passwords)
    yield from stream_zip(_members(progress))


def export_filename(*, with_passwords: bool, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(tz=UTC)).strftime("%Y%m%d-%H%M")
    kind = "migration-bundle" if with_passwords else "export"
    return f"inkwell-{kind}-{stamp}.zip"
