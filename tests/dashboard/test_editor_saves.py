"""The editor's explicit saves: new and existing posts, errors, tags, featured, co-authors."""

import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.blog import services
from apps.blog.models import Post, Tag
from apps.blog.services import PostContent
from tests.dashboard.conftest import _data, _draft, _edit
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory, TagFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


# --------------------------------------------------------------------------
# Explicit saves
# --------------------------------------------------------------------------


def test_save_without_htmx_redirects_back_to_the_editor(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(_edit(post), _data(post, title="Better title", subtitle="Sub"))
    assert response.status_code == 302
    assert response["Location"] == _edit(post)
    post.refresh_from_db()
    assert (post.title, post.subtitle, post.version) == ("Better title", "Sub", 2)


def test_save_over_htmx_rerenders_the_form_with_the_new_version(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(
        _edit(post), _data(post, title="Better", slug="Better Address"), headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-state="saved"' in html
    assert 'name="version" id="id_version" value="2"' in html
    assert 'value="better-address"' in html  # the address as stored
    assert "<html" not in html
    post.refresh_from_db()
    assert post.slug == "better-address"


def test_invalid_save_shows_errors_and_saves_nothing(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(
        _edit(post), _data(post, title="", canonical_url="not a url"), headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "A post needs a title." in html
    assert 'aria-invalid="true"' in html
    assert "Enter a valid URL." in html
    assert Post.objects.get(pk=post.pk).version == 1


def test_slug_collision_is_a_clear_error_on_the_address(client, login_as):
    author = login_as(Role.AUTHOR)
    PostFactory.create(slug="taken")
    post = _draft(author)
    response = client.post(_edit(post), _data(post, slug="taken"), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert "The address “taken” is already used by another post in English." in html
    assert 'id="id_slug_errors"' in html
    assert Post.objects.get(pk=post.pk).slug == "on-small-tools"


def test_new_post_save_creates_it_and_continues_on_its_edit_page(client, login_as):
    author = login_as(Role.AUTHOR)
    data = {"title": "Fresh", "body": "Text.", "draft_key": "a" * 32}
    response = client.post(reverse("dashboard:post_new"), data, headers=HTMX)
    post = Post.objects.get()
    assert post.author == author
    assert response["HX-Redirect"] == _edit(post)
    # The same page saving again (its answer was lost) does not make a second post.
    client.post(reverse("dashboard:post_new"), {**data, "title": "Fresher"}, headers=HTMX)
    assert Post.objects.get().title == "Fresher"


def test_new_post_without_htmx_redirects(client, login_as):
    login_as(Role.AUTHOR)
    response = client.post(reverse("dashboard:post_new"), {"title": "Fresh", "body": "Text."})
    post = Post.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _edit(post)


def test_new_post_invalid_saves_nothing(client, login_as):
    login_as(Role.AUTHOR)
    response = client.post(reverse("dashboard:post_new"), {"title": "", "body": ""}, headers=HTMX)
    assert response.status_code == 422
    assert "Write something in the body first." in response.content.decode()
    assert not Post.objects.exists()


def test_authors_cannot_feature_or_invent_tags(client, login_as):
    author = login_as(Role.AUTHOR)
    tag = TagFactory.create(name="existing")
    post = _draft(author)
    client.post(_edit(post), _data(post, featured="on", new_tags="brand-new", tags=[tag.pk]))
    post.refresh_from_db()
    assert post.featured is False
    assert list(post.tags.all()) == [tag]
    assert not Tag.objects.filter(slug="brand-new").exists()


def test_editors_feature_and_add_new_tags(client, login_as, make_user):
    login_as(Role.EDITOR)
    TagFactory.create(name="Python")
    post = _draft(make_user(Role.AUTHOR))
    response = client.post(
        _edit(post), _data(post, featured="on", new_tags="python, Static sites , static sites")
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.featured is True
    assert sorted(tag.name for tag in post.tags.all()) == ["Python", "Static sites"]


def test_a_refused_save_creates_no_tags(client, login_as, make_user):
    login_as(Role.EDITOR)
    post = _draft(make_user(Role.AUTHOR))
    services.update_post(
        actor=post.author,
        post=post,
        content=PostContent(title="Theirs", body=post.body),
        based_on_version=1,
    )
    response = client.post(_edit(post), _data(post, version=1, new_tags="fresh"), headers=HTMX)
    assert response.status_code == 409
    assert not Tag.objects.filter(slug="fresh").exists()


def test_featured_stays_when_an_author_saves_an_editors_choice(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    Post.objects.filter(pk=post.pk).update(featured=True)
    post.refresh_from_db()
    client.post(_edit(post), _data(post, title="Edited"))
    assert Post.objects.get(pk=post.pk).featured is True


def test_coauthors_are_offered_and_saved(client, login_as, make_user):
    author = login_as(Role.AUTHOR)
    partner = make_user(Role.AUTHOR, display_name="Pat Partner")
    reader = make_user(Role.READER, display_name="Rita Reader")
    post = _draft(author)
    html = client.get(_edit(post)).content.decode()
    assert "Pat Partner" in html
    assert "Rita Reader" not in html
    client.post(_edit(post), _data(post, coauthors=[partner.pk]))
    assert list(Post.objects.get(pk=post.pk).coauthors.all()) == [partner]
    response = client.post(_edit(post), _data(post, version=2, coauthors=[reader.pk]), headers=HTMX)
    assert response.status_code == 422


def test_other_users_are_not_offered_as_coauthors_when_inactive(client, login_as, make_user):
    author = login_as(Role.AUTHOR)
    gone = make_user(Role.AUTHOR, display_name="Gone Writer")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    html = client.get(_edit(_draft(author))).content.decode()
    assert "Gone Writer" not in html
    assert UserFactory._meta.model.objects.filter(pk=gone.pk).exists()
