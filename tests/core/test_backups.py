"""`manage.py backup` and `manage.py restore`: a seeded site round-trips; bad files change nothing.

The backup is made from the test database (committed: `transaction=True`) and restored by
a `manage.py restore` subprocess into a new, empty database (PostgreSQL: a database created
for the test; SQLite: a new file), as an operator would, then every model's rows and every
media file are compared.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from apps.blog.models import Post
from apps.core.backups import BackupError, create_backup, restore_backup, verify_backup
from tests.factories.blog import PostFactory
from tests.servers import MANAGE, ROOT, clean_env

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ON_PG = connection.vendor == "postgresql"


@pytest.fixture
def media_root(settings, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


def _seed(media_root: Path) -> None:
    call_command("seed_demo", verbosity=0)
    covers = media_root / "covers" / "2026" / "12"
    covers.mkdir(parents=True)
    (covers / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    (media_root / "avatars").mkdir()
    (media_root / "avatars" / "ada.jpg").write_bytes(b"\xff\xd8\xff" + b"ada" * 500)
    PostFactory.create(title="With a cover", cover_image="covers/2026/12/cover.png")


@pytest.fixture
def empty_target(tmp_path) -> Iterator[dict[str, str]]:
    """A new, empty database: (env for a subprocess, how to read it)."""
    if ON_PG:
        source = connection.settings_dict
        name = f"{source['NAME']}_restored"[:63]
        with psycopg.connect(
            host=source["HOST"],
            port=source["PORT"],
            user=source["USER"],
            dbname="postgres",
            autocommit=True,
        ) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        url = f"postgres://{source['USER']}@{source['HOST']}:{source['PORT']}/{name}"
        try:
            yield {"DATABASE_URL": url, "name": name}
        finally:
            with psycopg.connect(
                host=source["HOST"],
                port=source["PORT"],
                user=source["USER"],
                dbname="postgres",
                autocommit=True,
            ) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path / "restored.sqlite3"
        yield {"DATABASE_URL": f"sqlite:///{path}", "name": str(path)}


def _restore(backup: Path, target: dict[str, str], media: Path) -> subprocess.CompletedProcess[str]:
    env = clean_env(DATABASE_URL=target["DATABASE_URL"], DJANGO_MEDIA_ROOT=str(media))
    return subprocess.run(
        [*MANAGE, "restore", str(backup)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _tables() -> list[str]:
    tables = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            tables.add(model._meta.db_table)
    return sorted(tables)


def _normal(value: Any) -> Any:
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def _rows_here(table: str) -> list[tuple[Any, ...]]:
    if ON_PG:  # read both sides the same way: psycopg's own types, not Django's loaders
        return _rows_there({"name": connection.settings_dict["NAME"]}, table)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608  (model tables)
        return [tuple(_normal(v) for v in row) for row in cursor.fetchall()]


def _rows_there(target: dict[str, str], table: str) -> list[tuple[Any, ...]]:
    sql = f'SELECT * FROM "{table}" ORDER BY 1'  # noqa: S608  (model tables)
    if ON_PG:
        source = connection.settings_dict
        with psycopg.connect(
            host=source["HOST"], port=source["PORT"], user=source["USER"], dbname=target["name"]
        ) as conn:
            return [tuple(_normal(v) for v in row) for row in conn.execute(sql).fetchall()]
    # Read as Django's connection reads (its converters turn timestamps into datetimes).
    types = sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES
    with sqlite3.connect(target["name"], detect_types=types) as conn:
        return [tuple(row) for row in conn.execute(sql).fetchall()]


def _tables_there(target: dict[str, str]) -> list[str]:
    if ON_PG:
        source = connection.settings_dict
        with psycopg.connect(
            host=source["HOST"], port=source["PORT"], user=source["USER"], dbname=target["name"]
        ) as conn:
            rows = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
    else:
        if not Path(target["name"]).exists():
            return []
        with sqlite3.connect(target["name"]) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return [row[0] for row in rows]


def _files(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_backup_round_trip_restores_every_row_and_media_file(media_root, empty_target, tmp_path):
    _seed(media_root)
    backup = tmp_path / "site.tar"
    manifest = create_backup(backup)
    assert manifest["database"]["vendor"] == connection.vendor
    assert set(manifest["files"]) == {manifest["database"]["file"], "media.tar.gz"}
    assert manifest["migrations"]["blog"]
    assert not backup.with_name("site.tar.partial").exists()

    restored_media = tmp_path / "restored-media"
    result = _restore(backup, empty_target, restored_media)
    assert result.returncode == 0, result.stderr
    assert "Restored" in result.stdout

    compared = 0
    for table in _tables():
        here = _rows_here(table)
        assert _rows_there(empty_target, table) == here, table
        compared += len(here)
    assert Post.objects.count() > 5  # the demo content is in there
    assert compared > 50
    assert _files(restored_media) == _files(media_root)
    assert len(_files(media_root)) == 2


def _rewrite(backup: Path, out: Path, change: dict[str, bytes]) -> None:
    """Copy the tar with some members' bytes replaced (the manifest left as it was)."""
    with tarfile.open(backup) as source, tarfile.open(out, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            data = change.get(member.name, data)
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))


@pytest.fixture
def backup(media_root: Path, tmp_path: Path) -> Path:
    PostFactory.create()
    (media_root / "covers").mkdir(parents=True)
    (media_root / "covers" / "a.png").write_bytes(b"png" * 100)
    path = tmp_path / "good.tar"
    create_backup(path)
    return path


def _member(backup: Path, name: str) -> bytes:
    with tarfile.open(backup) as archive:
        return archive.extractfile(name).read()  # type: ignore[union-attr]


def test_restore_refuses_a_truncated_file_and_changes_nothing(backup, empty_target, tmp_path):
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])
    result = _restore(truncated, empty_target, tmp_path / "media-out")
    assert result.returncode != 0
    assert "truncated" in result.stderr
    assert _tables_there(empty_target) == []
    assert not (tmp_path / "media-out").exists()


def test_restore_refuses_a_checksum_mismatch(backup, empty_target, tmp_path):
    dump_name = json.loads(_member(backup, "manifest.json"))["database"]["file"]
    dump = bytearray(_member(backup, dump_name))
    dump[len(dump) // 2] ^= 0xFF  # one flipped byte, same size
    altered = tmp_path / "altered.tar"
    _rewrite(backup, altered, {dump_name: bytes(dump)})
    result = _restore(altered, empty_target, tmp_path / "media-out")
    assert result.returncode != 0
    assert "SHA-256" in result.stderr
    assert _tables_there(empty_target) == []


def test_restore_refuses_a_backup_from_another_schema_version(backup, empty_target, tmp_path):
    manifest = json.loads(_member(backup, "manifest.json"))
    manifest["migrations"]["blog"].append("9999_from_the_future")
    manifest["version"] = "9.9.9"
    future = tmp_path / "future.tar"
    _rewrite(backup, future, {"manifest.json": json.dumps(manifest).encode()})
    result = _restore(future, empty_target, tmp_path / "media-out")
    assert result.returncode != 0
    assert "another schema version (Inkwell 9.9.9)" in result.stderr
    assert "blog.9999_from_the_future" in result.stderr
    assert _tables_there(empty_target) == []
    with pytest.raises(BackupError, match="another schema version"):
        verify_backup(future)


def test_restore_refuses_a_database_that_is_not_empty(backup, media_root):
    before = Post.objects.count()
    media_before = _files(media_root)
    with pytest.raises(BackupError, match="is not empty"):
        restore_backup(backup)  # into the test database itself, which has the site in it
    assert Post.objects.count() == before
    assert _files(media_root) == media_before


@pytest.mark.skipif(not ON_PG, reason="pg_restore's all-or-nothing run is PostgreSQL's")
def test_restore_that_fails_midway_leaves_the_database_empty(backup, empty_target, tmp_path):
    source = connection.settings_dict
    with psycopg.connect(
        host=source["HOST"],
        port=source["PORT"],
        user=source["USER"],
        dbname=empty_target["name"],
        autocommit=True,
    ) as conn:
        # Not a table (the emptiness check passes), but CREATE TABLE blog_post will clash.
        conn.execute("CREATE TYPE blog_post AS (x integer)")
    result = _restore(backup, empty_target, tmp_path / "media-out")
    assert result.returncode != 0
    assert "pg_restore failed" in result.stderr
    assert _tables_there(empty_target) == []
    assert not (tmp_path / "media-out").exists()


def test_backup_command_writes_the_default_path(settings, media_root, tmp_path):
    settings.BACKUP_DIR = str(tmp_path / "backups")
    out = io.StringIO()
    call_command("backup", "--no-media", stdout=out)
    written = list((tmp_path / "backups").glob("inkwell-*.tar"))
    assert len(written) == 1
    assert f"Backup written: {written[0]}" in out.getvalue()
    manifest = verify_backup(written[0])
    assert manifest["media"] is None
    call_command("restore", str(written[0]), "--check", stdout=out)
    assert "is intact" in out.getvalue()


def test_backup_command_keeps_only_the_newest(media_root, tmp_path):
    directory = tmp_path / "backups"
    directory.mkdir()
    for stamp in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z"):
        (directory / f"inkwell-{stamp}.tar").write_bytes(b"old")
    (directory / "notes.txt").write_text("not a backup")
    call_command(
        "backup", "--no-media", "--output-dir", str(directory), "--keep", "2", stdout=io.StringIO()
    )
    left = sorted(p.name for p in directory.iterdir())
    assert len(left) == 3
    assert left[0] == "inkwell-20260103T000000Z.tar"
    assert left[-1] == "notes.txt"
