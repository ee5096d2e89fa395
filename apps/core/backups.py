"""Backups: the database and the media files in one tar, with a manifest that proves them.

A backup is an uncompressed tar holding:

- `manifest.json`: format, Inkwell's version, when, the database vendor, the migrations
  applied (the schema), and each other member's size and SHA-256;
- `database.dump` (`pg_dump --format=custom`, PostgreSQL) or `database.sqlite3` (SQLite's
  online backup API: a consistent copy of the file while the site runs);
- `media.tar.gz`: MEDIA_ROOT (uploaded covers, images, avatars).

`restore_backup` checks everything before it touches anything: a truncated or altered file,
or one whose schema is not the code's, is refused. The database is restored into an empty
database only (PostgreSQL: `pg_restore --single-transaction`, so a failure leaves it empty;
SQLite: the copy replaces the file in one rename). Media is unpacked beside MEDIA_ROOT and
renamed into place; an existing MEDIA_ROOT is kept, renamed aside, never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import structlog
from cachalot.api import invalidate as cachalot_invalidate
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from apps.core.pagecache import SITE, invalidate_now

logger = structlog.get_logger("inkwell.backups")

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_DUMP = "database.sqlite3"
MEDIA = "media.tar.gz"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why and what to do."""


@dataclass(frozen=True)
class Restored:
    manifest: dict[str, Any]
    media_moved_aside: Path | None


def app_version() -> str:
    """Inkwell's version: pyproject.toml in a checkout, the installed package in the image."""
    try:
        with (Path(settings.BASE_DIR) / "pyproject.toml").open("rb") as file:
            return str(tomllib.load(file)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        pass
    try:
        return metadata.version("inkwell")
    except metadata.PackageNotFoundError:
        return "unknown"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_environment(settings_dict: dict[str, Any]) -> dict[str, str]:
    """libpq's variables for pg_dump/pg_restore: no password on a command line."""
    environment = dict(os.environ)
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if value := settings_dict.get(key):
            environment[variable] = str(value)
    return environment


def _run(command: list[str], settings_dict: dict[str, Any], what: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (postgresql-client): cannot {what}.")
    result = subprocess.run(  # noqa: S603  (fixed programs, arguments from settings)
        command,
        env=_pg_environment(settings_dict),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed ({what}): {result.stderr.strip()[-1000:]}")


def applied_migrations(alias: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    """The schema: every applied migration, by app."""
    recorder = MigrationRecorder(connections[alias])
    applied: dict[str, list[str]] = {}
    for app, name in sorted(recorder.applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def code_migrations() -> dict[str, list[str]]:
    """The migrations this code has, by app (what a fully migrated database has applied)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known: dict[str, list[str]] = {}
    for app, name in sorted(loader.disk_migrations):
        known.setdefault(app, []).append(name)
    return known


def _dump_database(alias: str, workdir: Path) -> str:
    connection = connections[alias]
    if connection.vendor == "postgresql":
        target = workdir / PG_DUMP
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"],
            connection.settings_dict,
            "dump the database",
        )
        return PG_DUMP
    if connection.vendor == "sqlite":
        target = workdir / SQLITE_DUMP
        # Through Django's own connection: the same database even when it is in memory.
        connection.ensure_connection()
        copy = sqlite3.connect(str(target))
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        return SQLITE_DUMP
    raise BackupError(f"backups support PostgreSQL and SQLite, not {connection.vendor}")


def _archive_media(workdir: Path) -> str | None:
    media_root = Path(settings.MEDIA_ROOT)
    if not media_root.is_dir():
        return None
    with tarfile.open(workdir / MEDIA, "w:gz") as archive:
        archive.add(media_root, arcname="media")
    return MEDIA


def create_backup(
    destination: Path, *, alias: str = DEFAULT_DB_ALIAS, media: bool = True
) -> dict[str, Any]:
    """Write a backup to `destination` (a .tar); it appears only once it is complete."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="inkwell-backup-", dir=destination.parent) as tmp:
        workdir = Path(tmp)
        members = [_dump_database(alias, workdir)]
        if media and (archived := _archive_media(workdir)):
            members.append(archived)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "app": "inkwell",
            "version": app_version(),
            "created_at": datetime.now(UTC).isoformat(),
            "database": {"vendor": connections[alias].vendor, "file": members[0]},
            "media": MEDIA if MEDIA in members else None,
            "migrations": applied_migrations(alias),
            "files": {
                name: {"size": (workdir / name).stat().st_size, "sha256": _sha256(workdir / name)}
                for name in members
            },
        }
        (workdir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        partial = destination.with_name(destination.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            for name in [MANIFEST, *members]:
                archive.add(workdir / name, arcname=name)
        os.replace(partial, destination)
    logger.info("backup.created", path=str(destination), size=destination.stat().st_size)
    return manifest


def _unpack(path: Path, workdir: Path) -> dict[str, Any]:
    """Unpack and verify the backup; raise BackupError on anything short of perfect."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file.")
    try:
        with tarfile.open(path, "r:") as archive:
            names = archive.getnames()
            unexpected = [n for n in names if n not in {MANIFEST, PG_DUMP, SQLITE_DUMP, MEDIA}]
            if unexpected:
                raise BackupError(f"{path}: not an Inkwell backup (it holds {unexpected[:3]}).")
            archive.extractall(workdir, filter="data")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"{path} is truncated or damaged, refusing it ({exc}).") from exc
    try:
        manifest: dict[str, Any] = json.loads((workdir / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path}: its manifest is missing or unreadable ({exc}).") from exc
    if manifest.get("app") != "inkwell" or manifest.get("format") != FORMAT:
        raise BackupError(
            f"{path}: backup format {manifest.get('format')!r}, this release reads {FORMAT}."
        )
    for name, expected in manifest.get("files", {}).items():
        member = workdir / name
        if not member.is_file():
            raise BackupError(f"{path} is truncated: {name} is missing.")
        size = member.stat().st_size
        if size != expected["size"]:
            raise BackupError(
                f"{path} is truncated or damaged: {name} has {size} bytes, "
                f"the manifest says {expected['size']}."
            )
        if _sha256(member) != expected["sha256"]:
            raise BackupError(f"{path} is damaged: the SHA-256 of {name} does not match.")
    return manifest


def _check_schema(manifest: dict[str, Any]) -> None:
    ours = code_migrations()
    theirs = manifest.get("migrations", {})
    missing = sorted(
        f"{app}.{name}"
        for app, names in ours.items()
        for name in set(names) - set(theirs.get(app, []))
    )
    extra = sorted(
        f"{app}.{name}"
        for app, names in theirs.items()
        if app in ours
        for name in set(names) - set(ours[app])
    )
    if missing or extra:
        detail = []
        if extra:
            detail.append(f"it has migrations this code lacks ({', '.join(extra[:5])})")
        if missing:
            detail.append(f"it lacks migrations this code has ({', '.join(missing[:5])})")
        raise BackupError(
            f"The backup was made by another schema version (Inkwell {manifest.get('version')}): "
            + "; ".join(detail)
            + ". Restore it with the release that made it, then upgrade (docs/operations.md)."
        )


def _require_empty_database(alias: str) -> None:
    connection = connections[alias]
    tables = connection.introspection.table_names()
    if tables:
        raise BackupError(
            f"The database {connection.settings_dict['NAME']} is not empty ({len(tables)} "
            "tables). Restore into a new, empty database and point DATABASE_URL at it "
            "(docs/operations.md, 'Restore'); the current one is left as it is."
        )


def _restore_database(manifest: dict[str, Any], workdir: Path, alias: str) -> None:
    connection = connections[alias]
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"The backup holds a {vendor} database; this site uses {connection.vendor}."
        )
    if vendor == "postgresql":
        connection.close()
        _run(
            [
                "pg_restore",
                "--single-transaction",  # all or nothing: a failure leaves the database empty
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                f"--dbname={connection.settings_dict['NAME']}",
                str(workdir / PG_DUMP),
            ],
            connection.settings_dict,
            "restore the database",
        )
        return
    target = Path(str(connection.settings_dict["NAME"]))
    connection.close()
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(workdir / SQLITE_DUMP, staged)
    for suffix in ("-wal", "-shm"):  # an empty database's leftovers must not be replayed
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(staged, target)


def _stage_media(manifest: dict[str, Any], workdir: Path) -> Path | None:
    """Unpack the media next to MEDIA_ROOT (same filesystem: the swap is a rename)."""
    if not manifest.get("media"):
        return None
    media_root = Path(settings.MEDIA_ROOT)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".media-restore-", dir=media_root.parent))
    try:
        with tarfile.open(workdir / MEDIA, "r:gz") as archive:
            archive.extractall(staging, filter="data")
    except (tarfile.TarError, EOFError, OSError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BackupError(f"The media archive is damaged ({exc}).") from exc
    return staging


def _swap_media(staging: Path) -> Path | None:
    media_root = Path(settings.MEDIA_ROOT)
    aside = None
    if media_root.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        aside = media_root.with_name(f"{media_root.name}.before-restore-{stamp}")
        os.replace(media_root, aside)
    os.replace(staging / "media", media_root)
    shutil.rmtree(staging, ignore_errors=True)
    return aside


def _forget_caches() -> None:
    """Cached rows and pages describe the data from before: drop them."""
    cachalot_invalidate()
    invalidate_now(SITE)


def verify_backup(path: Path) -> dict[str, Any]:
    """Check a backup's integrity and schema without restoring it; return its manifest."""
    with tempfile.TemporaryDirectory(prefix="inkwell-verify-") as tmp:
        manifest = _unpack(path, Path(tmp))
    _check_schema(manifest)
    return manifest


def restore_backup(path: Path, *, alias: str = DEFAULT_DB_ALIAS, media: bool = True) -> Restored:
    """Restore `path` into the (empty) database `alias` and MEDIA_ROOT, or change nothing."""
    with tempfile.TemporaryDirectory(prefix="inkwell-restore-") as tmp:
        workdir = Path(tmp)
        manifest = _unpack(path, workdir)
        _check_schema(manifest)
        _require_empty_database(alias)
        staging = _stage_media(manifest, workdir) if media else None
        try:
            _restore_database(manifest, workdir, alias)
        except BaseException:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            raise
        aside = _swap_media(staging) if staging is not None else None
    _forget_caches()
    logger.info("backup.restored", path=str(path), version=manifest.get("version"))
    return Restored(manifest=manifest, media_moved_aside=aside)
