from __future__ import annotations

import pytest
from django.utils import timezone

from apps.blog.models import Post
from apps.comments.models import Comment
from tests.api.conftest import access_for, call
from tests.api.v1.conftest import _url
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------
# GET /posts/{slug}/comments
# --------------------------------------------------------------------------


def test_list_comments_nests_replies_two_levels_deep(api, post):
    writer = UserFactory.create()
    top = CommentFactory.create(post=post, author=writer)
    reply = CommentFactory.create(parent=top)
    deep = CommentFactory.create(parent=reply)
    beside = CommentFactory.create(parent=deep)  # shown beside `deep`, at depth 2

    data = call(api, "get", _url(post)).json()

    assert data["count"] == 1
    [item] = data["items"]
    assert (item["id"], item["depth"], item["author"]) == (top.pk, 0, writer.username)
    assert item["body_html"] == top.body_html
    assert item["status"] == "published"
    assert item["deleted"] is False
    assert item["body"] is None  # someone else's comment
    [level1] = item["replies"]
    assert (level1["id"], level1["parent"], level1["depth"]) == (reply.pk, top.pk, 1)
    assert [(c["id"], c["depth"], c["parent"]) for c in level1["replies"]] == [
        (deep.pk, 2, reply.pk),
        (beside.pk, 2, deep.pk),
    ]
    assert all(c["replies"] == [] for c in level1["replies"])


def test_list_comments_shows_removed_comments_as_placeholders(api, post):
    removed = CommentFactory.create(post=post, deleted_at=timezone.now())
    CommentFactory.create(parent=removed)

    [item] = call(api, "get", _url(post)).json()["items"]

    assert item["id"] == removed.pk
    assert item["deleted"] is True
    assert item["body_html"] == ""
    assert item["body"] is None
    assert item["author"] is None
    assert len(item["replies"]) == 1


def test_list_comments_shows_held_comments_to_their_author_and_moderators_only(
    api, post, commenter, moderator
):
    CommentFactory.create(post=post)
    held = CommentFactory.create(post=post, author=commenter, status=Comment.Status.HELD)
    reader = UserFactory.create()

    def ids(token=None):
        items = call(api, "get", _url(post), token=token).json()["items"]
        return {item["id"]: item["status"] for item in items}

    assert held.pk not in ids()
    assert held.pk not in ids(access_for(reader))
    assert ids(access_for(commenter))[held.pk] == "held"
    assert ids(access_for(moderator))[held.pk] == "held"
    own = call(api, "get", _url(post), token=access_for(commenter)).json()["items"]
    assert next(c for c in own if c["id"] == held.pk)["body"] == held.body


def test_list_comments_pages_top_level_comments(api, post):
    first, second, third = (CommentFactory.create(post=post) for _ in range(3))
    CommentFactory.create(parent=first)

    page1 = call(api, "get", _url(post, "?page_size=2")).json()
    page2 = call(api, "get", _url(post, "?page_size=2&page=2")).json()

    assert [c["id"] for c in page1["items"]] == [first.pk, second.pk]
    assert (page1["count"], page1["pages"]) == (3, 2)
    assert "page=2" in page1["next"]
    assert [c["id"] for c in page2["items"]] == [third.pk]
    assert call(api, "get", _url(post, "?page=3&page_size=2")).status_code == 404


def test_list_comments_reads_only_the_page_it_answers(api, post):
    # A post with 1,000 comments must not load them all to answer page 3 of 2 threads.
    from django.db.models.signals import post_init

    threads = [CommentFactory.create(post=post) for _ in range(8)]
    for top in threads:
        CommentFactory.create_batch(2, parent=top)
    loaded: list[int] = []

    def count(sender, instance, **kwargs):
        loaded.append(1)

    post_init.connect(count, sender=Comment)
    try:
        page = call(api, "get", _url(post, "?page_size=2&page=3")).json()
    finally:
        post_init.disconnect(count, sender=Comment)
    assert [c["id"] for c in page["items"]] == [threads[4].pk, threads[5].pk]
    assert [len(c["replies"]) for c in page["items"]] == [2, 2]
    assert (page["count"], page["pages"]) == (8, 4)
    # The page's two threads and the next one (is there a next page?), three comments each,
    # and each reply's parent for "in reply to": not the 24 comments of the post.
    assert len(loaded) <= 15


def test_list_comments_after_id_is_a_flat_catch_up(api, post):
    old = CommentFactory.create(post=post)
    new = CommentFactory.create(post=post)
    reply = CommentFactory.create(parent=old)

    data = call(api, "get", _url(post, f"?after={old.pk}")).json()

    assert [c["id"] for c in data["items"]] == [new.pk, reply.pk]
    assert all(c["replies"] == [] for c in data["items"])
    assert data["items"][1]["parent"] == old.pk
    assert data["next"] is None


def test_list_comments_is_404_for_drafts_and_unknown_posts(api, author):
    draft = PostFactory.create(author=author, status=Post.Status.DRAFT, published_at=None)

    for slug in (draft.slug, "no-such-post"):
        response = call(api, "get", f"/api/v1/posts/{slug}/comments", token=access_for(author))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_list_comments_answers_304_to_a_matching_etag(api, post):
    CommentFactory.create(post=post)
    first = call(api, "get", _url(post))

    again = call(api, "get", _url(post), **{"If-None-Match": first["ETag"]})

    assert first.status_code == 200
    assert again.status_code == 304


def _count_queries(api, path, token=None):
    with count_queries() as ctx:
        response = call(api, "get", path, token=token)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_comments_query_count_is_the_same_for_2_and_30_comments(api, post, moderator):
    token = access_for(moderator)
    top = CommentFactory.create(post=post)
    CommentFactory.create(parent=top)
    two = _count_queries(api, _url(post), token)
    for _ in range(14):
        parent = CommentFactory.create(post=post, status=Comment.Status.HELD)
        CommentFactory.create(parent=parent, deleted_at=timezone.now())

    thirty = _count_queries(api, _url(post), token)

    assert Comment.objects.filter(post=post).count() == 30
    assert two == thirty
