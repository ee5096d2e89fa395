import hashlib
import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command

from apps.accounts.models import AuditEvent, User
from apps.blog.models import Post
from apps.transfer.exporting import stream_site_export
from apps.transfer.portable import ImportRefusedError, check_site_export, import_site_export
from tests.factories.blog import PostFactory
from tests.transfer.test_export_roundtrip import build_site, wipe


def _zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def _export():
    return b"".join(stream_site_export())


def _rewrite(data, change):
    """The export with members changed by `change(name, bytes) -> bytes | None` (None drops)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    members = {}
    for name in source.namelist():
        new = change(name, source.read(name))
        if new is not None:
            members[name] = new
    return _zip(members)


def _refused(source, match):
    with pytest.raises(ImportRefusedError, match=match):
        import_site_export(source)
    assert not User.objects.exists()
    assert not Post.objects.exists()


@pytest.fixture
def exported(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    PostFactory.create(title="Kept")
    data = _export()
    wipe()
    return data


def test_import_refuses_a_file_that_is_not_a_zip(db):
    _refused(io.BytesIO(b"<rss>not a zip</rss>"), "not a readable zip")


def test_import_refuses_a_truncated_zip(exported):
    _refused(io.BytesIO(exported[: len(exported) // 2]), "not a readable zip")


def test_import_refuses_a_zip_without_manifest(db):
    _refused(_zip({"data/blog.post.jsonl": b"{}\n"}), "no manifest.json")


def test_import_refuses_another_format_version(exported):
    def bump(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["version"] = 99
        return json.dumps(manifest).encode()

    _refused(_rewrite(exported, bump), "format version 99")


def test_import_refuses_a_checksum_mismatch(exported):
    def alter(name, data):
        return data.replace(b"Kept", b"Evil") if name == "data/blog.post.jsonl" else data

    _refused(_rewrite(exported, alter), "Checksum mismatch for 'data/blog.post.jsonl'")


def test_import_refuses_unlisted_and_missing_members(exported):
    _refused(_rewrite(exported, lambda n, d: None if n == "data/blog.tag.jsonl" else d), "missing")
    source = zipfile.ZipFile(io.BytesIO(exported))
    members = {n: source.read(n) for n in source.namelist()}
    members["extra.txt"] = b"hello"
    _refused(_zip(members), "not listed")


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/passwd", "media/../../x", "C:/x", "a\\b"])
def test_import_refuses_unsafe_member_names(db, name):
    _refused(_zip({"manifest.json": b"{}", name: b"x"}), "unsafe path")


def test_import_refuses_a_zip_bomb_by_ratio(db):
    _refused(_zip({"manifest.json": b"{}", "data/x.jsonl": b"\0" * (8 * 1024 * 1024)}), "zip bomb")


def test_import_refuses_more_than_the_size_cap(db, settings):
    settings.SITE_IMPORT_MAX_BYTES = 1000
    _refused(
        _zip({"manifest.json": b"{}", "data/x.jsonl": bytes(range(256)) * 8}), "more than 1000"
    )


def test_import_refuses_a_non_empty_site(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    PostFactory.create()
    with pytest.raises(ImportRefusedError, match="not empty"):
        import_site_export(io.BytesIO(_export()))
    assert Post.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_import_leaves_nothing_when_a_row_is_refused(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "m"
    build_site()
    data = _export()
    wipe()
    for path in (tmp_path / "m").rglob("*"):
        if path.is_file():
            path.unlink()

    # A consistent file (checksums recomputed) whose first comment names a post that is not there.
    source = zipfile.ZipFile(io.BytesIO(data))
    members = {n: source.read(n) for n in source.namelist()}
    comments = members["data/comments.comment.jsonl"].decode()
    first = json.loads(comments.splitlines()[0])
    first["fields"]["post"] = 999_999
    lines = [json.dumps(first), *comments.splitlines()[1:]]
    members["data/comments.comment.jsonl"] = ("\n".join(lines) + "\n").encode()
    manifest = json.loads(members["manifest.json"])
    for name, body in members.items():
        if name != "manifest.json":
            manifest["members"][name] = {
                "size": len(body),
                "sha256": hashlib.sha256(body).hexdigest(),
            }
    members["manifest.json"] = json.dumps(manifest).encode()
    with pytest.raises(ImportRefusedError, match="refused"):
        import_site_export(_zip(members))
    assert not User.objects.exists()
    assert not AuditEvent.objects.filter(kind="site_imported").exists()
    assert not [p for p in (tmp_path / "m").rglob("*") if p.is_file()]


def test_check_site_export_reads_the_manifest(exported):
    manifest = check_site_export(io.BytesIO(exported))
    assert manifest["format"] == "inkwell-site-export"
    assert {m["label"]: m["count"] for m in manifest["models"]}["blog.post"] == 1
    assert manifest["includes_password_hashes"] is False


def test_export_site_and_import_site_commands(db, settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path
    PostFactory.create(title="Via commands")
    out = tmp_path / "site.zip"
    call_command("export_site", str(out))
    assert "rows" in capsys.readouterr().out
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(CommandError, match="exists"):
        call_command("export_site", str(out))
    with pytest.raises(CommandError, match="not empty"):
        call_command("import_site", str(out))
    call_command("import_site", str(out), "--check")
    assert "OK:" in capsys.readouterr().out
    wipe()
    call_command("import_site", str(out))
    assert Post.objects.get().title == "Via commands"
    assert AuditEvent.objects.filter(kind="site_exported").count() == 0  # wiped with the site
    assert AuditEvent.objects.filter(kind="site_imported").count() == 1


def test_import_site_command_reports_a_bad_file(db, tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"nope")
    with pytest.raises(CommandError, match="Nothing was imported: This is not a readable zip"):
        call_command("import_site", str(bad))


def test_export_notes_media_missing_from_storage(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    post = PostFactory.create()
    Post.objects.filter(pk=post.pk).update(cover_image="covers/gone.png")
    archive = zipfile.ZipFile(io.BytesIO(_export()))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["media"]["missing"] == ["covers/gone.png"]
    assert not [n for n in archive.namelist() if n.startswith("media/")]


def test_import_refuses_fields_this_inkwell_does_not_know(exported):
    def rename(name, data):
        if name == "data/blog.post.jsonl":
            return data.replace(b'"title":', b'"headline":')
        return data

    source = zipfile.ZipFile(_rewrite(exported, rename))
    members = {n: source.read(n) for n in source.namelist()}
    manifest = json.loads(members["manifest.json"])
    body = members["data/blog.post.jsonl"]
    manifest["members"]["data/blog.post.jsonl"] = {
        "size": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    members["manifest.json"] = json.dumps(manifest).encode()
    _refused(_zip(members), "fields this Inkwell does not know: headline")
