from __future__ import annotations

import pytest
from django.utils import timezone

from apps.blog.models import Post
from apps.comments.models import Comment, ModerationSettings
from tests.api.conftest import access_for, call
from tests.api.v1.conftest import _url
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_hold(db):
    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hold": ModerationSettings.Hold.NONE}
    )


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
