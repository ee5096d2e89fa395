from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.comments.models import Comment, CommentReport
from tests.api.conftest import access_for, call
from tests.api.v1.conftest import _url
from tests.factories.comments import CommentFactory

pytestmark = pytest.mark.django_db


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
