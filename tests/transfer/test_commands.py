from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from apps.blog.models import Post
from apps.transfer.models import ImportRun
from tests.transfer.test_ghost_import import MEMBERS_CSV, ghost_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(admin):
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    return admin


def test_import_wxr_command_dry_run_then_real_then_rollback(superuser, blog_wxr, tmp_path, capsys):
    path = tmp_path / "export.xml"
    path.write_bytes(blog_wxr)
    call_command("import_wxr", str(path), "--dry-run")
    assert Post.objects.count() == 0
    assert '"created": 4' in capsys.readouterr().out
    call_command("import_wxr", str(path), "--author-email", superuser.email)
    run = ImportRun.objects.get(dry_run=False)
    assert run.file_path == str(path.resolve())  # read in place, not copied
    assert Post.objects.count() == 5
    call_command("import_wxr", "--rollback", str(run.pk))
    assert Post.objects.count() == 0
    assert path.exists()  # the command's own file is left alone


def test_import_wxr_command_reports_failure(superuser, tmp_path):
    path = tmp_path / "broken.xml"
    path.write_bytes(b"<rss><channel><item></channel></rss>")
    with pytest.raises(CommandError, match="--resume"):
        call_command("import_wxr", str(path))


def test_import_wxr_command_refuses_a_non_xml_file(superuser, tmp_path):
    path = tmp_path / "photo.xml"
    path.write_bytes(b"\x89PNG....")
    with pytest.raises(CommandError, match="not an XML file"):
        call_command("import_wxr", str(path))


def test_import_wxr_command_needs_an_admin(db, tmp_path):
    with pytest.raises(CommandError, match="No superuser"):
        call_command("import_wxr", str(tmp_path / "x.xml"))


def test_import_ghost_command_with_members(superuser, tmp_path):
    from tests.factories.newsletter import NewsletterFactory

    NewsletterFactory.create(slug="weekly", name="Weekly", is_default=True)
    export = tmp_path / "ghost.json"
    export.write_text(json.dumps(ghost_export()))
    members = tmp_path / "members.csv"
    members.write_text(MEMBERS_CSV)
    call_command("import_ghost", str(export), "--members", str(members))
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.DONE
    assert run.report["counts"]["members"]["subscribers created"] == 2, run.report
