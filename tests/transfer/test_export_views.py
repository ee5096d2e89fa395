import io
import json
import zipfile

import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from lxml import etree

from apps.accounts.models import AuditEvent
from apps.accounts.roles import Role
from tests.dashboard.conftest import give_role
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory

PAGE = reverse("dashboard:exports")
SITE = reverse("dashboard:export_site")


@pytest.fixture
def signed_in(db, client):
    def sign_in(role):
        user = UserFactory.create()
        if role is not None:
            give_role(user, role)
        client.force_login(user)
        if role in {Role.EDITOR, Role.ADMIN}:
            device = TOTPDevice.objects.create(user=user, name="t", confirmed=True)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return user

    return sign_in


@pytest.fixture
def admin(signed_in, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return signed_in(Role.ADMIN)


def _body(response):
    return b"".join(response.streaming_content)


def test_export_page_full_and_partial(admin, client):
    page = client.get(PAGE)
    assert page.status_code == 200
    assert b"Download the site export" in page.content
    assert b"<nav" in page.content
    partial = client.get(PAGE, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert b'id="export-forms"' in partial.content
    assert b"<html" not in partial.content


def test_export_page_is_in_the_admin_navigation(admin, client):
    assert PAGE.encode() in client.get(reverse("dashboard:home")).content


@pytest.mark.parametrize("role", [None, Role.AUTHOR, Role.EDITOR])
def test_export_refuses_non_admins(signed_in, client, role):
    signed_in(role)
    assert client.get(PAGE).status_code == 403
    assert client.post(SITE).status_code == 403
    assert not AuditEvent.objects.filter(kind="site_exported").exists()


def test_export_sends_anonymous_visitors_to_sign_in(db, client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert client.post(SITE).status_code == 302


def test_export_download_is_a_streamed_zip_and_audited(admin, client):
    PostFactory.create(title="In the zip")
    response = client.post(SITE)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert 'filename="inkwell-export-' in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(_body(response)))
    assert b"In the zip" in archive.read("data/blog.post.jsonl")
    assert b'"password"' not in archive.read("data/accounts.user.jsonl")
    event = AuditEvent.objects.get(kind="site_exported")
    assert event.actor == admin
    assert event.data["migration_bundle"] is False


def test_export_get_does_not_download(admin, client):
    assert client.get(SITE).status_code == 405


def test_migration_bundle_needs_the_confirmation(admin, client):
    response = client.post(SITE, {"with_passwords": "on"})
    assert response.status_code == 400
    assert b"keep the bundle secret" in response.content
    assert not AuditEvent.objects.filter(kind="site_exported").exists()


def test_migration_bundle_includes_hashes_and_is_flagged(admin, client):
    response = client.post(SITE, {"with_passwords": "on", "confirm_passwords": "on"})
    assert 'filename="inkwell-migration-bundle-' in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(_body(response)))
    assert b'"password":"md5$' in archive.read("data/accounts.user.jsonl")  # test hasher
    assert json.loads(archive.read("manifest.json"))["includes_password_hashes"] is True
    assert AuditEvent.objects.get(kind="site_exported").data["password_hashes"] is True


def test_export_rate_limit_answers_429_with_a_message(admin, client, settings):
    settings.SITE_EXPORT_RATE_LIMIT = 1
    assert client.post(SITE).status_code == 200
    refused = client.post(SITE)
    assert refused.status_code == 429
    assert b"Site exports are limited: at most 1 every 60 minutes" in refused.content
    assert int(refused["Retry-After"]) > 0
    assert AuditEvent.objects.filter(kind="site_exported").count() == 1


def test_wxr_download_for_admins(admin, client):
    response = client.post(reverse("dashboard:export_wxr"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="inkwell-wordpress-')
    assert etree.fromstring(b"".join(response.streaming_content)).find("channel") is not None
    assert AuditEvent.objects.get(kind="site_exported").actor == admin


def test_wxr_download_refuses_editors(signed_in, client):
    signed_in(Role.EDITOR)
    assert client.post(reverse("dashboard:export_wxr")).status_code == 403


def test_wxr_download_rate_limited(admin, client, settings):
    settings.SITE_EXPORT_RATE_LIMIT = 1
    assert client.post(reverse("dashboard:export_wxr")).status_code == 200
    refused = client.post(reverse("dashboard:export_wxr"))
    assert refused.status_code == 429
    assert b"WordPress exports are limited" in refused.content
