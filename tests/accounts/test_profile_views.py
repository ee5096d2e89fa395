"""The profile page: display name, username, Markdown bio and avatar."""

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from apps.accounts.models import AuditEvent, User
from tests.factories.accounts import UserFactory
from tests.utils import html_elements, inline_code

pytestmark = pytest.mark.django_db

URL = "/accounts/profile/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _png(size=(300, 200), color=(200, 40, 40)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return SimpleUploadedFile("me.png", out.getvalue(), content_type="image/png")


def _form(user: User, **overrides):
    data = {"display_name": user.display_name, "username": user.username, "bio": user.bio}
    data.update(overrides)
    return data


def _assert_no_inline_code(html: str) -> None:
    assert inline_code(html) == []
    for tag, attrs in html_elements(html):
        assert tag != "style"
        if tag == "script":
            assert dict(attrs).get("src")
        for name, _ in attrs:
            assert name != "style", tag
            assert not name.startswith("on"), (tag, name)


def test_profile_page_requires_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={URL}"
    assert client.post(URL, {"username": "x"}).status_code == 302


def test_profile_route_is_named_in_the_accounts_namespace():
    assert reverse("accounts:profile") == URL


def test_profile_full_page_and_htmx_partial(client, htmx_client):
    user = UserFactory.create(display_name="Ada Lovelace", bio="Counts *things*.")
    client.force_login(user)
    full = client.get(URL)
    html = full.content.decode()
    assert full.status_code == 200
    assert "<html" in html
    assert 'value="Ada Lovelace"' in html
    assert "Counts *things*." in html
    assert 'enctype="multipart/form-data"' in html
    assert "csrfmiddlewaretoken" in html
    assert 'aria-current="page"' in html  # the settings menu marks this page
    _assert_no_inline_code(html)
    assert full["Vary"].count("HX-Request") == 1

    htmx_client.force_login(user)
    partial = htmx_client.get(URL)
    body = partial.content.decode()
    assert partial.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith('<form id="profile-form"')


def test_profile_update_saves_fields_renders_the_bio_and_audits(client):
    user = UserFactory.create(username="ada", display_name="Ada")
    client.force_login(user)
    response = client.post(
        URL,
        _form(
            user,
            display_name="  Ada   King ",
            username="Ada-King",
            bio="I write *notes*. <script>alert(1)</script> [site](javascript:alert(1))",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == URL
    user.refresh_from_db()
    assert user.display_name == "Ada King"
    assert user.username == "ada-king"
    assert "<em>notes</em>" in user.bio_html
    assert "<script" not in user.bio_html
    assert 'href="javascript' not in user.bio_html
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.PROFILE_UPDATED)
    assert event.actor == user
    assert event.target == user
    assert event.data == {"fields": ["bio", "display_name", "username"]}
    assert "Your profile is saved." in client.get(URL).content.decode()


def test_profile_update_over_htmx_returns_the_form_with_a_notice(htmx_client):
    user = UserFactory.create()
    htmx_client.force_login(user)
    response = htmx_client.post(URL, _form(user, display_name="New Name"))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<form id="profile-form"')
    assert "Your profile is saved." in body
    assert 'value="New Name"' in body


def test_saving_an_unchanged_profile_writes_no_audit_event(client):
    user = UserFactory.create()
    client.force_login(user)
    assert client.post(URL, _form(user)).status_code == 302
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.PROFILE_UPDATED).exists()


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("TAKEN", "This username is taken."),
        ("former-author", "This username is reserved."),
        ("no spaces", "Use 1–40 lowercase letters"),
        ("-edge", "Use 1–40 lowercase letters"),
        ("a" * 41, "at most 40 characters"),
    ],
)
def test_profile_rejects_bad_usernames_and_saves_nothing(htmx_client, username, message):
    UserFactory.create(username="taken")
    user = UserFactory.create(username="mine", display_name="Before")
    htmx_client.force_login(user)
    response = htmx_client.post(URL, _form(user, username=username, display_name="After"))
    body = response.content.decode()
    assert response.status_code == 200  # htmx swaps only successful responses
    assert message in body
    assert 'aria-invalid="true"' in body
    user.refresh_from_db()
    assert (user.username, user.display_name) == ("mine", "Before")
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.PROFILE_UPDATED).exists()


def test_profile_keeps_its_own_username_in_another_case(client):
    user = UserFactory.create(username="grace")
    client.force_login(user)
    assert client.post(URL, _form(user, username="Grace")).status_code == 302
    user.refresh_from_db()
    assert user.username == "grace"


def test_profile_rejects_a_too_long_bio(client):
    user = UserFactory.create()
    client.force_login(user)
    response = client.post(URL, _form(user, bio="x" * 2001))
    assert response.status_code == 200
    assert "at most 2000 characters" in response.content.decode()


def test_profile_avatar_upload_is_cropped_resized_and_shown(client, settings):
    user = UserFactory.create()
    client.force_login(user)
    response = client.post(URL, {**_form(user), "avatar": _png((640, 300))})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.avatar.name.startswith(f"avatars/{user.pk}-")
    assert user.avatar.name.endswith(".webp")
    with Image.open(user.avatar.path) as stored:
        assert stored.format == "WEBP"
        assert stored.size == (256, 256)
    html = client.get(URL).content.decode()
    assert f'src="{user.avatar.url}"' in html  # the page and the header menu
    assert html.count(user.avatar.url) >= 2


def test_profile_rejects_a_fake_image_and_saves_nothing(client, settings, tmp_path):
    user = UserFactory.create(display_name="Before")
    client.force_login(user)
    fake = SimpleUploadedFile("cat.png", b"I am text, not a picture.\n" * 20, "image/png")
    response = client.post(URL, {**_form(user, display_name="After"), "avatar": fake})
    html = response.content.decode()
    assert response.status_code == 200
    assert "This file is not an image we can use" in html
    user.refresh_from_db()
    assert user.display_name == "Before"
    assert not user.avatar
    assert not (tmp_path / "avatars").exists()


def test_profile_remove_avatar_deletes_the_file(client, django_capture_on_commit_callbacks):
    user = UserFactory.create()
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {**_form(user), "avatar": _png()})
    user.refresh_from_db()
    path = user.avatar.path
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {**_form(user), "remove_avatar": "on"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.avatar
    assert not os.path.exists(path)


def test_profile_rejects_get_only_methods(client):
    user = UserFactory.create()
    client.force_login(user)
    assert client.put(URL).status_code == 405


def test_the_profile_sets_the_language_of_their_emails_and_refuses_others(client):
    user = UserFactory.create()
    client.force_login(user)
    client.post(URL, _form(user, language="ar"))
    user.refresh_from_db()
    assert user.language == "ar"
    response = client.post(URL, _form(user, language="xx"))
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.language == "ar"
    client.post(URL, _form(user, language=""))
    user.refresh_from_db()
    assert user.language == ""
