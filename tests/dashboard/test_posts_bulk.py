"""Bulk actions on the posts table: publish, archive, change category, delete (confirmed)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import Role
from apps.blog.models import Post, Revision
from tests.factories.blog import CategoryFactory, PostFactory, TagFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
POSTS = reverse("dashboard:posts")
BULK = reverse("dashboard:posts_bulk")
S = Post.Status


def _post(author, status=S.DRAFT, **fields):
    if status in {S.PUBLISHED, S.ARCHIVED}:
        fields.setdefault("published_at", timezone.now() - timedelta(hours=1))
    else:
        fields.setdefault("published_at", None)
    return PostFactory.create(author=author, status=status, **fields)


def _statuses(*posts):
    return [Post.objects.get(pk=post.pk).status for post in posts]


def test_bulk_publish_reports_successes_and_each_failure_with_its_reason(
    client, login_as, make_user
):
    login_as(Role.EDITOR)
    author = make_user(Role.AUTHOR)
    ready = _post(author, S.IN_REVIEW, title="Ready one")
    draft = _post(author, S.DRAFT, title="Draft two")
    live = _post(author, S.PUBLISHED, title="Already live")
    response = client.post(
        f"{BULK}?status=&sort=title",
        {"action": "publish", "posts": [ready.pk, draft.pk, live.pk]},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="post-results"')
    assert '<span class="font-semibold">Publish now:</span> 2 succeeded, 1 failed.' in html
    assert (
        "“Already live”: A post that is published cannot be moved that way (publish now)." in html
    )
    assert _statuses(ready, draft, live) == [S.PUBLISHED, S.PUBLISHED, S.PUBLISHED]
    # The failed post stays ticked so it can be dealt with; the others are cleared.
    start = html.index(f'<tr id="post-{live.pk}"')
    assert " checked" in html[start : html.index("</tr>", start)]
    start = html.index(f'<tr id="post-{ready.pk}"')
    assert " checked" not in html[start : html.index("</tr>", start)]
    # The table keeps its sort.
    assert '<input type="hidden" name="sort" value="title" form="post-filters">' in html


def test_bulk_archive(client, login_as, make_user):
    login_as(Role.EDITOR)
    author = make_user(Role.AUTHOR)
    posts = [_post(author, S.PUBLISHED) for _ in range(3)]
    html = client.post(
        BULK, {"action": "archive", "posts": [p.pk for p in posts]}, headers=HTMX
    ).content.decode()
    assert "Archive:</span> 3 succeeded." in html
    assert _statuses(*posts) == [S.ARCHIVED] * 3


def test_bulk_without_htmx_redirects_to_the_table_with_messages(client, login_as, make_user):
    login_as(Role.EDITOR)
    author = make_user(Role.AUTHOR)
    ok = _post(author, S.PUBLISHED)
    bad = _post(author, S.DRAFT, title="Not yet")
    response = client.post(
        f"{BULK}?status=published", {"action": "archive", "posts": [ok.pk, bad.pk]}, follow=True
    )
    assert response.redirect_chain == [(f"{POSTS}?status=published", 302)]
    html = response.content.decode()
    assert "Archive: 1 succeeded." in html
    assert "“Not yet”: A post that is draft cannot be moved that way (archive)." in html


def test_bulk_change_category_keeps_everything_else(client, login_as, make_user):
    editor = login_as(Role.EDITOR)
    author = make_user(Role.AUTHOR)
    old, new = CategoryFactory.create(name="Old"), CategoryFactory.create(name="New")
    tag = TagFactory.create()
    post = _post(author, S.PUBLISHED, category=old, tags=[tag], title="Keep me")
    post.coauthors.add(editor)
    version = post.version
    html = client.post(
        BULK, {"action": "category", "category": new.pk, "posts": [post.pk]}, headers=HTMX
    ).content.decode()
    assert "Move to “New”:</span> 1 succeeded." in html
    post.refresh_from_db()
    assert post.category == new
    assert list(post.tags.all()) == [tag]
    assert list(post.coauthors.all()) == [editor]
    assert (post.title, post.status, post.version) == ("Keep me", S.PUBLISHED, version + 1)
    assert not Revision.objects.filter(post=post).exists()  # the text did not change
    client.post(BULK, {"action": "category", "category": "none", "posts": [post.pk]}, headers=HTMX)
    post.refresh_from_db()
    assert post.category is None


def test_bulk_change_category_needs_a_category(client, login_as, make_user):
    login_as(Role.EDITOR)
    post = _post(make_user(Role.AUTHOR), category=CategoryFactory.create())
    html = client.post(
        BULK, {"action": "category", "category": "", "posts": [post.pk]}, headers=HTMX
    ).content.decode()
    assert 'role="alert"' in html
    assert "Choose the category to move the posts to." in html
    post.refresh_from_db()
    assert post.category is not None


def test_author_changes_the_category_of_own_posts_only(client, login_as, make_user):
    author = login_as(Role.AUTHOR)
    other = make_user(Role.AUTHOR)
    category = CategoryFactory.create(name="Travel")
    own = _post(author)
    shared = _post(other, title="Co-written")
    shared.coauthors.add(author)
    html = client.post(
        BULK,
        {"action": "category", "category": category.pk, "posts": [own.pk, shared.pk]},
        headers=HTMX,
    ).content.decode()
    assert "1 succeeded, 1 failed." in html
    assert "“Co-written”: You do not have permission to do that." in html
    own.refresh_from_db()
    shared.refresh_from_db()
    assert own.category == category
    assert shared.category != category


def test_author_cannot_bulk_publish_or_delete(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _post(author, S.IN_REVIEW)
    for action in ["publish", "archive", "delete"]:
        html = client.post(
            BULK, {"action": action, "posts": [post.pk], "confirm": "on"}, headers=HTMX
        ).content.decode()
        assert "is not one of the available choices" in html
    assert Post.objects.get(pk=post.pk).status == S.IN_REVIEW


def test_bulk_refuses_posts_the_user_cannot_see(client, login_as, make_user):
    login_as(Role.AUTHOR)
    hidden = _post(make_user(Role.AUTHOR))
    category = CategoryFactory.create()
    html = client.post(
        BULK, {"action": "category", "category": category.pk, "posts": [hidden.pk]}, headers=HTMX
    ).content.decode()
    assert "A selected post no longer exists or is not yours: reload the page." in html
    hidden.refresh_from_db()
    assert hidden.category != category


def test_bulk_needs_a_selection(client, login_as):
    login_as(Role.EDITOR)
    html = client.post(BULK, {"action": "publish"}, headers=HTMX).content.decode()
    assert "Select at least one post." in html


def test_bulk_delete_asks_for_confirmation_first(client, login_as, make_user):
    login_as(Role.EDITOR)
    author = make_user(Role.AUTHOR)
    posts = [_post(author, title=f"Doomed {n}") for n in range(2)]
    keep = _post(author, title="Survivor")
    ids = [post.pk for post in posts]
    response = client.post(f"{BULK}?q=doomed", {"action": "delete", "posts": ids}, headers=HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="post-results"')
    assert "Delete 2 posts for good?" in html
    assert "Doomed 0" in html
    assert "Doomed 1" in html
    assert "Survivor" not in html
    assert 'name="confirm" value="on"' in html
    assert f'hx-post="{BULK}?q=doomed"' in html
    assert f'hx-get="{POSTS}?q=doomed"' in html  # cancel
    assert Post.objects.filter(pk__in=ids).count() == 2

    response = client.post(
        f"{BULK}?q=doomed", {"action": "delete", "posts": ids, "confirm": "on"}, headers=HTMX
    )
    html = response.content.decode()
    assert "Delete:</span> 2 succeeded." in html
    assert not Post.objects.filter(pk__in=ids).exists()
    assert Post.objects.filter(pk=keep.pk).exists()


def test_bulk_delete_confirmation_is_a_full_page_without_htmx(client, login_as, make_user):
    login_as(Role.EDITOR)
    post = _post(make_user(Role.AUTHOR), title="Doomed")
    response = client.post(BULK, {"action": "delete", "posts": [post.pk]})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "Delete 1 post?" in html
    assert Post.objects.filter(pk=post.pk).exists()
    response = client.post(BULK, {"action": "delete", "posts": [post.pk], "confirm": "on"})
    assert response.status_code == 302
    assert not Post.objects.filter(pk=post.pk).exists()


def test_bulk_is_post_only_and_forbidden_to_readers(client, login_as):
    login_as(Role.READER)
    assert client.post(BULK, {"action": "publish"}).status_code == 403
    client.logout()
    login_as(Role.EDITOR)
    assert client.get(BULK).status_code == 405


def test_bulk_bar_shows_the_editor_every_action(client, login_as, make_user):
    login_as(Role.EDITOR)
    _post(make_user(Role.AUTHOR))
    html = client.get(POSTS).content.decode()
    for value in ["publish", "archive", "category", "delete"]:
        assert f'<option value="{value}">' in html
    assert 'form="bulk-form"' in html
