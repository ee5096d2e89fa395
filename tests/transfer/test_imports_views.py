from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import AuditEvent
from apps.accounts.roles import Role
from apps.blog.models import Post
from apps.transfer.models import ImportRun
from tests.dashboard.conftest import give_role
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

URL = "/dashboard/imports/"


@pytest.fixture
def signed_in(client, admin, verified_login):
    verified_login(client, admin)
    return client


def _upload(data: bytes, name: str = "export.xml", **extra):
    return {"source": "wxr", "file": SimpleUploadedFile(name, data), **extra}


def test_import_page_full_and_partial(signed_in):
    page = signed_in.get(URL)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Import a site" in body
    assert "<html" in body
    assert 'href="/dashboard/imports/"' in body  # the nav entry
    partial = signed_in.get(URL, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    assert 'id="import-form"' in partial.content.decode()


def test_import_page_is_for_admins_only(client, verified_login):
    assert client.get(URL).status_code == 302  # anonymous: to the login page
    editor = give_role(UserFactory.create(), Role.EDITOR)
    verified_login(client, editor)
    assert client.get(URL).status_code == 403
    assert client.post(URL, _upload(b"<rss/>")).status_code == 403
    assert ImportRun.objects.count() == 0


def test_import_page_hides_nav_entry_from_editors(client, verified_login):
    editor = give_role(UserFactory.create(), Role.EDITOR)
    verified_login(client, editor)
    assert "/dashboard/imports/" not in client.get("/dashboard/").content.decode()


def test_upload_starts_the_run_and_redirects_to_it(
    signed_in, blog_wxr, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(URL, _upload(blog_wxr))
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:import_detail", args=[run.pk])
    # The immediate task backend ran it on commit.
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE
    assert Post.objects.filter(slug="hello-world").exists()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SITE_IMPORT_STARTED).exists()


def test_upload_by_htmx_answers_a_client_redirect(signed_in, blog_wxr):
    response = signed_in.post(URL, _upload(blog_wxr), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/dashboard/imports/")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\x89PNG\r\n\x1a\n....", "export.xml", "This is not an XML file"),
        (b"<html><body>hi</body></html>", "export.xml", "not a WordPress export"),
        (b"<rss></rss>", "export.png", "needs a .xml file"),
        (b"<rss></rss>", "export.json", "needs a .xml file"),
    ],
)
def test_upload_refuses_wrong_file_types(signed_in, data, name, message):
    response = signed_in.post(URL, _upload(data, name), HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ImportRun.objects.count() == 0


def test_upload_refuses_json_for_ghost_that_is_not_json(signed_in):
    data = {"source": "ghost", "file": SimpleUploadedFile("ghost.json", b"<rss/>")}
    response = signed_in.post(URL, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "This is not a JSON file" in response.content.decode()


def test_upload_refuses_files_over_the_limit(signed_in, settings, blog_wxr):
    settings.TRANSFER_MAX_UPLOAD_BYTES = 100
    response = signed_in.post(URL, _upload(blog_wxr), HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "larger than" in response.content.decode()


def test_run_page_shows_report_and_stops_polling_when_done(signed_in, run_wxr, blog_wxr):
    run = run_wxr(blog_wxr)
    url = reverse("dashboard:import_detail", args=[run.pk])
    page = signed_in.get(url).content.decode()
    assert "Report" in page
    assert "private on the old site" in page
    assert 'value="100"' in page
    assert "hx-trigger" not in page
    partial = signed_in.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial
    assert 'id="import-progress"' in partial


def test_run_page_polls_while_running(signed_in, admin):
    run = ImportRun.objects.create(
        source="wxr",
        file_path="x",
        created_by=admin,
        status=ImportRun.Status.RUNNING,
        items_total=10,
        items_done=5,
        heartbeat_at=timezone.now(),
    )
    page = signed_in.get(reverse("dashboard:import_detail", args=[run.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert 'value="55"' in page
    assert "Roll back" not in page
    assert "Resume" not in page


def test_stalled_run_offers_resume(signed_in, admin):
    run = ImportRun.objects.create(
        source="wxr",
        file_path="x",
        created_by=admin,
        status=ImportRun.Status.RUNNING,
        heartbeat_at=timezone.now() - timedelta(hours=1),
        checkpoint=200,
    )
    page = signed_in.get(reverse("dashboard:import_detail", args=[run.pk])).content.decode()
    assert "the worker stopped reporting" in page
    assert "Resume from item 200" in page
    assert "hx-trigger" not in page


def test_rollback_from_the_run_page(signed_in, run_wxr, blog_wxr):
    run = run_wxr(blog_wxr)
    url = reverse("dashboard:import_rollback", args=[run.pk])
    response = signed_in.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "HX-Redirect" in response
    run.refresh_from_db()
    assert run.status == ImportRun.Status.ROLLED_BACK
    assert Post.objects.count() == 0
    again = signed_in.post(url, HTTP_HX_REQUEST="true")
    assert again.status_code == 400
    assert "cannot be rolled back" in again.content.decode()


def test_resume_refused_for_a_finished_run(signed_in, run_wxr, blog_wxr):
    run = run_wxr(blog_wxr)
    response = signed_in.post(reverse("dashboard:import_resume", args=[run.pk]))
    assert response.status_code == 400
    assert "Only a failed or stalled import can be resumed" in response.content.decode()


def test_actions_refused_for_editors(client, verified_login, run_wxr, blog_wxr):
    run = run_wxr(blog_wxr)
    editor = give_role(UserFactory.create(), Role.EDITOR)
    verified_login(client, editor)
    assert client.post(reverse("dashboard:import_rollback", args=[run.pk])).status_code == 403
    assert client.post(reverse("dashboard:import_resume", args=[run.pk])).status_code == 403
    assert client.get(reverse("dashboard:import_detail", args=[run.pk])).status_code == 403


def test_import_list_query_count_does_not_grow_with_runs(signed_in, admin):
    from tests.dashboard.conftest import _queries

    def make(n):
        for _ in range(n):
            ImportRun.objects.create(source="wxr", file_path="x", created_by=admin)

    make(1)
    one = _queries(signed_in, URL)
    make(19)
    assert _queries(signed_in, URL) == one


def test_a_dry_run_can_be_imported_for_real(
    signed_in, run_wxr, blog_wxr, django_capture_on_commit_callbacks
):
    dry = run_wxr(blog_wxr, dry_run=True)
    page = signed_in.get(reverse("dashboard:import_detail", args=[dry.pk])).content.decode()
    assert "What the import would do" in page
    assert "Import this file for real" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(reverse("dashboard:import_for_real", args=[dry.pk]))
    real = ImportRun.objects.exclude(pk=dry.pk).get()
    assert response["Location"] == reverse("dashboard:import_detail", args=[real.pk])
    real.refresh_from_db()
    assert real.status == ImportRun.Status.DONE
    assert not real.dry_run
    assert Post.objects.count() == 5
    again = signed_in.post(reverse("dashboard:import_for_real", args=[real.pk]))
    assert again.status_code == 400
    assert "Only a finished dry run" in again.content.decode()
