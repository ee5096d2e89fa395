"""The editor's preview, image uploads and the cover."""

import io

import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.blog.models import Post, PostImage
from tests.dashboard.conftest import _data, _draft, _edit, _png

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


# --------------------------------------------------------------------------
# Preview, images and the cover
# --------------------------------------------------------------------------


def test_preview_renders_sanitised_markdown_as_readers_see_it(client, login_as):
    login_as(Role.AUTHOR)
    body = "## Section\n\n<script>alert(1)</script> *soft* [x](javascript:alert(1))"
    response = client.post(
        reverse("dashboard:post_preview"),
        {"title": "Heading", "excerpt": "Lead.", "body": body},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith('<article id="editor-preview"')
    assert '<h2 id="section">Section</h2>' in html
    assert "<em>soft</em>" in html
    assert "<script>" not in html
    assert 'href="javascript:' not in html
    assert "Lead." in html


def test_preview_is_for_writers_only(client, login_as):
    login_as(Role.READER)
    assert client.post(reverse("dashboard:post_preview"), {"body": "x"}).status_code == 403


def test_image_upload_returns_the_markdown_snippet(client, login_as, media):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(
        reverse("dashboard:post_image", args=[post.pk]),
        {"image": _png("Team photo.png", (1400, 900)), "alt": "Team photo"},
    )
    assert response.status_code == 200
    markdown = response.json()["markdown"]
    assert markdown.startswith("![Team photo](/media/images/")
    assert markdown.endswith("-1280.webp)")
    picture = PostImage.objects.get()
    assert picture.post == post


def test_image_upload_for_a_new_post_has_no_post_yet(client, login_as, media):
    login_as(Role.AUTHOR)
    response = client.post(reverse("dashboard:post_image_new"), {"image": _png()})
    assert response.status_code == 200
    assert PostImage.objects.get().post is None


def test_image_upload_rejects_files_that_are_not_images(client, login_as, media):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    fake = io.BytesIO(b"not really a picture")
    fake.name = "notes.png"
    response = client.post(reverse("dashboard:post_image", args=[post.pk]), {"image": fake})
    assert response.status_code == 400
    assert response.json()["error"] == "That file is not an image we can read."
    assert not PostImage.objects.exists()


def test_image_upload_rejects_large_files(client, login_as, media, monkeypatch):
    from apps.blog.services import media as media_service

    monkeypatch.setattr(media_service, "MAX_BYTES", 100)
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(reverse("dashboard:post_image", args=[post.pk]), {"image": _png()})
    assert response.status_code == 400
    assert "10 MB or smaller" in response.json()["error"]


def test_image_upload_without_a_file_says_so(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(reverse("dashboard:post_image", args=[post.pk]), {})
    assert response.status_code == 400
    assert response.json()["error"] == "Choose an image to upload."


def test_image_upload_into_someone_elses_post_is_forbidden(client, login_as, make_user, media):
    login_as(Role.AUTHOR)
    post = _draft(make_user(Role.AUTHOR))
    response = client.post(reverse("dashboard:post_image", args=[post.pk]), {"image": _png()})
    assert response.status_code == 403


def test_cover_upload_is_checked_stored_and_needs_a_description(client, login_as, media):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    missing_alt = client.post(
        _edit(post), {**_data(post), "cover_image": _png("cover.png")}, headers=HTMX
    )
    assert missing_alt.status_code == 422
    assert "Describe the cover image" in missing_alt.content.decode()
    assert not Post.objects.get(pk=post.pk).cover_image

    response = client.post(
        _edit(post),
        {**_data(post, cover_alt="A red square"), "cover_image": _png("cover.png", (2400, 1200))},
        headers=HTMX,
    )
    assert response.status_code == 200
    post.refresh_from_db()
    assert post.cover_image.name.endswith("-1920.webp")
    assert post.cover_alt == "A red square"
    assert 'alt="A red square"' in response.content.decode()


def test_cover_that_is_not_an_image_saves_nothing(client, login_as, media):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    fake = io.BytesIO(b"GIF89a but not")
    fake.name = "cover.gif"
    response = client.post(
        _edit(post),
        {**_data(post, title="Changed", cover_alt="x"), "cover_image": fake},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "That file is not an image we can read." in html
    post.refresh_from_db()
    assert (post.title, post.version) == ("On small tools", 1)


def test_cover_can_be_removed(client, login_as, media):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    client.post(_edit(post), {**_data(post, cover_alt="Red"), "cover_image": _png()})
    post.refresh_from_db()
    assert post.cover_image
    client.post(_edit(post), _data(post, remove_cover="on", cover_alt=""))
    post.refresh_from_db()
    assert not post.cover_image


def test_an_existing_cover_without_a_description_is_refused(client, login_as, media):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    client.post(_edit(post), {**_data(post, cover_alt="Red"), "cover_image": _png()})
    post.refresh_from_db()
    response = client.post(_edit(post), _data(post, cover_alt=""), headers=HTMX)
    assert response.status_code == 422
    assert Post.objects.get(pk=post.pk).cover_alt == "Red"
