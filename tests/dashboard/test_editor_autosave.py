"""The editor's autosave: versions and conflicts, new posts, the address policy."""

import re

import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.blog import services
from apps.blog.models import Post, Revision, Tag
from apps.blog.services import PostContent
from tests.dashboard.conftest import _autosave, _data, _draft, _edit, _png
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.utils import html_elements

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


# --------------------------------------------------------------------------
# Autosave and conflicts
# --------------------------------------------------------------------------


def test_autosave_saves_and_returns_the_status_with_the_new_version(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(_autosave(post), _data(post, body="Draft two."), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="save-status"' in html
    assert "Saved at" in html
    assert 'data-version="2"' in html
    assert (
        '<input type="hidden" name="version" id="id_version" value="2" hx-swap-oob="true">' in html
    )
    post.refresh_from_db()
    assert (post.body, post.version) == ("Draft two.", 2)
    assert post.revisions.first().note == "autosave"


def test_autosave_refuses_a_stale_version_and_shows_both(client, login_as, make_user):
    author = login_as(Role.AUTHOR)
    post = _draft(author, body="Original line.\nSecond line.")
    editor = make_user(Role.EDITOR)
    services.update_post(
        actor=editor,
        post=post,
        content=PostContent(title=post.title, body="Their line.\nSecond line."),
        based_on_version=1,
    )
    response = client.post(
        _autosave(post), _data(post, body="My line.\nSecond line.", version=1), headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert 'data-state="conflict"' in html
    assert "Someone else saved this post while you were editing" in html
    text = re.sub(r"<[^>]+>", "", html)  # the changed words are marked up inside each line
    assert "Their line." in text
    assert "My line." in text
    assert '<mark class="rounded-sm bg-amber-300' in html
    assert 'name="overwrite_version" value="2"' in html
    assert "Keep editing from theirs" in html
    assert 'hx-swap-oob="true"' in html
    assert 'id="id_version"' not in html  # the page keeps the version it started from
    post.refresh_from_db()
    assert (post.body, post.version) == ("Their line.\nSecond line.", 2)


def test_overwrite_with_mine_is_an_explicit_resubmit(client, login_as, make_user):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    services.update_post(
        actor=make_user(Role.EDITOR),
        post=post,
        content=PostContent(title="Theirs", body=post.body),
        based_on_version=1,
    )
    stale = _data(post, title="Mine", version=1)
    conflict = client.post(_edit(post), stale, headers=HTMX)
    assert conflict.status_code == 409
    assert "Overwrite with mine" in conflict.content.decode()
    assert Post.objects.get(pk=post.pk).title == "Theirs"
    response = client.post(_edit(post), {**stale, "overwrite_version": 2}, headers=HTMX)
    assert response.status_code == 200
    post.refresh_from_db()
    assert (post.title, post.version) == ("Mine", 3)
    # Theirs stays in the history.
    assert Revision.objects.filter(post=post, title="Theirs").exists()


def test_autosave_with_invalid_input_saves_nothing(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(_autosave(post), _data(post, title=""), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert 'data-state="invalid"' in html
    assert "Title: A post needs a title." in html
    assert Post.objects.get(pk=post.pk).version == 1


def test_autosave_creates_a_new_post_once(client, login_as):
    author = login_as(Role.AUTHOR)
    url = reverse("dashboard:post_autosave_new")
    data = {"title": "A start", "body": "First words.", "draft_key": "b" * 32}
    first = client.post(url, data, headers=HTMX)
    post = Post.objects.get()
    html = first.content.decode()
    assert first.status_code == 200
    assert f'data-post-id="{post.pk}"' in html
    assert f'data-edit-url="{_edit(post)}"' in html
    # The side panels become the post's, out of band.
    assert 'id="workflow-panel"' in html
    assert 'id="preview-links"' in html
    assert html.count('hx-swap-oob="true"') >= 4
    # A retry of the same first save (its answer never arrived) updates the same post.
    second = client.post(url, {**data, "body": "First words, more."}, headers=HTMX)
    assert second.status_code == 200
    assert Post.objects.count() == 1
    post.refresh_from_db()
    assert (post.author, post.body, post.version) == (author, "First words, more.", 2)


def test_autosave_of_a_new_post_needs_a_title_and_body(client, login_as):
    login_as(Role.AUTHOR)
    response = client.post(
        reverse("dashboard:post_autosave_new"), {"title": "Only a title"}, headers=HTMX
    )
    assert response.status_code == 422
    assert not Post.objects.exists()


def test_autosave_never_changes_a_public_address(client, login_as):
    author = login_as(Role.AUTHOR)
    post = PostFactory.create(author=author, slug="live-post")
    response = client.post(_autosave(post), _data(post, slug="new-address"), headers=HTMX)
    assert response.status_code == 200
    assert "applied when you press Save" in response.content.decode()
    assert Post.objects.get(pk=post.pk).slug == "live-post"


def test_autosave_keeps_saving_text_when_the_address_is_taken(client, login_as):
    author = login_as(Role.AUTHOR)
    PostFactory.create(slug="taken")
    post = _draft(author)
    response = client.post(_autosave(post), _data(post, slug="taken", body="Kept."), headers=HTMX)
    assert response.status_code == 200
    assert "belongs to another post, so this one stays at “on-small-tools”" in (
        response.content.decode()
    )
    post.refresh_from_db()
    assert (post.slug, post.body) == ("on-small-tools", "Kept.")


def test_an_empty_address_follows_the_title_until_published(client, login_as):
    author = login_as(Role.AUTHOR)
    PostFactory.create(slug="second-thoughts")
    post = _draft(author)
    html = client.get(_edit(post)).content.decode()
    slug_input = next(attrs for tag, attrs in html_elements(html) if ("id", "id_slug") in attrs)
    assert "value" not in dict(slug_input)  # an empty field: the address follows the title
    client.post(_autosave(post), _data(post, title="Second thoughts", slug=""), headers=HTMX)
    post.refresh_from_db()
    assert post.slug == "second-thoughts-2"
    services.publish_post(actor=UserFactory.create(is_superuser=True), post=post)
    client.post(_autosave(post), _data(post, title="Third thoughts", slug="", version=2))
    post.refresh_from_db()
    assert post.slug == "second-thoughts-2"
    html = client.get(_edit(post)).content.decode()
    assert 'value="second-thoughts-2"' in html


def test_autosave_ignores_new_tags_and_cover_files(client, login_as, make_user, media):
    login_as(Role.EDITOR)
    post = _draft(make_user(Role.AUTHOR))
    response = client.post(
        _autosave(post),
        {**_data(post), "new_tags": "half-typed", "cover_image": _png()},
        headers=HTMX,
    )
    assert response.status_code == 200
    post.refresh_from_db()
    assert not Tag.objects.filter(slug="half-typed").exists()
    assert not post.cover_image
