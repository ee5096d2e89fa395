from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.roles import Role
from apps.blog.models import Post
from apps.comments.models import Comment, CommentReport, ModerationSettings
from tests.accounts.conftest import make_user_with_role
from tests.api.conftest import access_for, call
from tests.comments.conftest import make_verified
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(db):
    return PostFactory.create(slug="hello", comments_open=True)


@pytest.fixture
def commenter(db):
    return make_verified(UserFactory.create())


@pytest.fixture
def moderator(db):
    return make_verified(make_user_with_role(Role.EDITOR))


@pytest.fixture
def no_hold(db):
    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hold": ModerationSettings.Hold.NONE}
    )


def _url(post, query=""):
    return f"/api/v1/posts/{post.slug}/comments{query}"


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


# --------------------------------------------------------------------------
# POST /posts/{slug}/comments
# --------------------------------------------------------------------------


def test_create_comment_returns_201_with_the_comment(api, post, commenter, no_hold):
    response = call(
        api, "post", _url(post), token=access_for(commenter), body={"body": "Hello *there*"}
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "published"
    assert data["author"] == commenter.username
    assert data["body"] == "Hello *there*"
    assert "<em>there</em>" in data["body_html"]
    assert data["replies"] == []
    assert Comment.objects.get(pk=data["id"]).author == commenter


def test_create_reply_names_its_parent(api, post, commenter, no_hold):
    parent = CommentFactory.create(post=post)

    response = call(
        api,
        "post",
        _url(post),
        token=access_for(commenter),
        body={"body": "Agreed.", "parent": parent.pk},
    )

    assert response.status_code == 201
    assert (response.json()["parent"], response.json()["depth"]) == (parent.pk, 1)


def test_create_comment_from_a_first_timer_is_held(api, post, commenter):
    response = call(api, "post", _url(post), token=access_for(commenter), body={"body": "Hi"})

    assert response.status_code == 201
    assert response.json()["status"] == "held"
    assert call(api, "get", _url(post)).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [({"body": "   "}, "body"), ({"body": "x", "colour": "red"}, "colour"), ({}, "body")],
)
def test_create_comment_refuses_invalid_bodies(api, post, commenter, body, field):
    response = call(api, "post", _url(post), token=access_for(commenter), body=body)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]


def test_create_comment_refuses_a_parent_from_another_post_or_a_removed_one(api, post, commenter):
    elsewhere = CommentFactory.create()
    removed = CommentFactory.create(post=post, deleted_at=timezone.now())
    held = CommentFactory.create(post=post, status=Comment.Status.HELD)

    for parent in (elsewhere.pk, removed.pk, held.pk, 999_999):
        response = call(
            api,
            "post",
            _url(post),
            token=access_for(commenter),
            body={"body": "Reply", "parent": parent},
        )
        assert response.status_code == 422, parent
        assert response.json()["error"]["code"] == "invalid_parent"
        assert "parent" in response.json()["error"]["fields"]


def test_create_comment_needs_a_token_and_a_verified_email(api, post):
    anonymous = call(api, "post", _url(post), body={"body": "Hi"})
    unverified = call(
        api, "post", _url(post), token=access_for(UserFactory.create()), body={"body": "Hi"}
    )

    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    assert unverified.status_code == 403
    assert unverified.json()["error"]["code"] == "email_unverified"


def test_create_comment_on_a_closed_post_is_409(api, commenter):
    closed = PostFactory.create(comments_open=False)

    response = call(api, "post", _url(closed), token=access_for(commenter), body={"body": "Hi"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "comments_closed"


def test_create_comment_on_a_draft_is_404(api, commenter):
    draft = PostFactory.create(status=Post.Status.DRAFT, published_at=None)

    response = call(api, "post", _url(draft), token=access_for(commenter), body={"body": "Hi"})

    assert response.status_code == 404


def test_create_comment_over_the_rate_limit_is_429_with_retry_after(
    api, post, commenter, settings, no_hold
):
    settings.COMMENT_RATE_LIMIT = 1
    token = access_for(commenter)
    assert call(api, "post", _url(post), token=token, body={"body": "One"}).status_code == 201

    response = call(api, "post", _url(post), token=token, body={"body": "Two"})

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= settings.COMMENT_RATE_WINDOW


# --------------------------------------------------------------------------
# PATCH /comments/{id}
# --------------------------------------------------------------------------


def test_edit_comment_changes_your_own_within_the_window(api, post, commenter):
    comment = CommentFactory.create(post=post, author=commenter)

    response = call(
        api,
        "patch",
        f"/api/v1/comments/{comment.pk}",
        token=access_for(commenter),
        body={"body": "Better words"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["body"] == "Better words"
    assert response.json()["edited_at"] is not None


def test_edit_comment_of_someone_else_is_403(api, post, commenter):
    comment = CommentFactory.create(post=post)

    response = call(
        api,
        "patch",
        f"/api/v1/comments/{comment.pk}",
        token=access_for(commenter),
        body={"body": "Mine now"},
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_edit_comment_after_the_window_is_409(api, post, commenter):
    comment = CommentFactory.create(
        post=post, author=commenter, created_at=timezone.now() - timedelta(minutes=16)
    )

    response = call(
        api,
        "patch",
        f"/api/v1/comments/{comment.pk}",
        token=access_for(commenter),
        body={"body": "Too late"},
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "edit_window_closed"


def test_edit_comment_that_was_removed_is_409(api, post, commenter):
    deleted = CommentFactory.create(post=post, author=commenter, deleted_at=timezone.now())
    rejected = CommentFactory.create(post=post, author=commenter, status=Comment.Status.REJECTED)

    codes = [
        call(
            api,
            "patch",
            f"/api/v1/comments/{comment.pk}",
            token=access_for(commenter),
            body={"body": "Again"},
        ).json()["error"]["code"]
        for comment in (deleted, rejected)
    ]

    assert codes == ["comment_deleted", "comment_removed"]


def test_edit_comment_hidden_from_you_is_404(api, post, commenter):
    held = CommentFactory.create(post=post, status=Comment.Status.HELD)

    response = call(
        api,
        "patch",
        f"/api/v1/comments/{held.pk}",
        token=access_for(commenter),
        body={"body": "?"},
    )

    assert response.status_code == 404


# --------------------------------------------------------------------------
# DELETE /comments/{id}
# --------------------------------------------------------------------------


def test_delete_own_comment_leaves_a_placeholder(api, post, commenter):
    comment = CommentFactory.create(post=post, author=commenter)
    token = access_for(commenter)

    response = call(api, "delete", f"/api/v1/comments/{comment.pk}", token=token)
    again = call(api, "delete", f"/api/v1/comments/{comment.pk}", token=token)

    assert response.status_code == 204
    assert response.content == b""
    [item] = call(api, "get", _url(post)).json()["items"]
    assert (item["id"], item["deleted"], item["body_html"]) == (comment.pk, True, "")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "comment_deleted"


def test_delete_comment_of_someone_else_needs_a_moderator(api, post, commenter, moderator):
    comment = CommentFactory.create(post=post)

    refused = call(api, "delete", f"/api/v1/comments/{comment.pk}", token=access_for(commenter))
    removed = call(api, "delete", f"/api/v1/comments/{comment.pk}", token=access_for(moderator))

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert removed.status_code == 204


def test_delete_unknown_comment_is_404(api, commenter):
    response = call(api, "delete", "/api/v1/comments/999999", token=access_for(commenter))

    assert response.status_code == 404


# --------------------------------------------------------------------------
# POST /comments/{id}/report
# --------------------------------------------------------------------------


def test_report_comment_once(api, post, commenter):
    comment = CommentFactory.create(post=post)
    token = access_for(commenter)
    url = f"/api/v1/comments/{comment.pk}/report"

    first = call(api, "post", url, token=token, body={"reason": "Rude"})
    second = call(api, "post", url, token=token, body={})

    assert first.status_code == 201
    assert first.json()["comment"] == comment.pk
    assert first.json()["reason"] == "Rude"
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "already_reported"
    assert CommentReport.objects.filter(comment=comment).count() == 1


def test_report_comment_without_a_reason(api, post, commenter):
    comment = CommentFactory.create(post=post)

    response = call(
        api, "post", f"/api/v1/comments/{comment.pk}/report", token=access_for(commenter), body={}
    )

    assert response.status_code == 201
    assert response.json()["reason"] == ""


def test_report_own_comment_is_403(api, post, commenter):
    comment = CommentFactory.create(post=post, author=commenter)

    response = call(
        api, "post", f"/api/v1/comments/{comment.pk}/report", token=access_for(commenter), body={}
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "own_comment"


def test_report_removed_comment_is_409(api, post, commenter):
    comment = CommentFactory.create(post=post, deleted_at=timezone.now())

    response = call(
        api, "post", f"/api/v1/comments/{comment.pk}/report", token=access_for(commenter), body={}
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "comment_not_public"
