from __future__ import annotations

import pytest
from django.utils import timezone

from apps.comments import broadcasts
from apps.comments.models import Comment
from tests.comments.conftest import _listen, _received, _received_by
from tests.factories.comments import CommentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_fresh_rate_limit", "notified")]


# --------------------------------------------------------------------------
# broadcasts
# --------------------------------------------------------------------------


def test_comment_deleted_goes_where_the_comment_was_shown(published_post, commenter):
    public = _listen(broadcasts.post_group(published_post.pk))
    mods = _listen(broadcasts.moderators_group(published_post.pk))
    own = _listen(broadcasts.viewer_group(published_post.pk, commenter.pk))
    shown = CommentFactory.create(post=published_post, status=Comment.Status.REJECTED)
    broadcasts.comment_deleted(shown.pk, public_only=True)
    held = CommentFactory.create(
        post=published_post, author=commenter, status=Comment.Status.REJECTED
    )
    broadcasts.comment_deleted(held.pk, public_only=False)
    to_public, to_mods, to_author = _received_by(public, mods, own)
    [event] = to_public
    assert event["type"] == "comment.deleted"
    assert event["data"]["comment"]["id"] == shown.pk
    assert "Comment removed" in event["html"]
    assert [e["data"]["comment"]["id"] for e in to_mods] == [held.pk]
    assert [e["data"]["comment"]["id"] for e in to_author] == [held.pk]


def test_render_comment_event_shape(published_post):
    comment = CommentFactory.create(post=published_post, edited_at=timezone.now())
    event = broadcasts.render_comment_event(comment, broadcasts.CREATED)
    data = event["data"]["comment"]
    assert event["type"] == event["data"]["type"] == "comment.created"
    assert set(data) >= {
        "id", "post", "parent", "depth", "author", "body_html", "status",
        "created_at", "edited_at", "deleted",
    }  # fmt: skip
    assert data["edited_at"] is not None
    assert data["deleted"] is False
    assert f'data-comment-id="{comment.pk}"' in event["html"]
    # Viewer-neutral: the per-viewer menu is fetched, never embedded.
    assert f'hx-get="/comments/{comment.pk}/actions/"' in event["html"]
    assert "csrfmiddlewaretoken" not in event["html"]


def test_presence_event(published_post):
    channel = _listen(broadcasts.post_group(published_post.pk))
    broadcasts.presence(published_post.pk, 3)
    [event] = _received(channel)
    assert event["type"] == "presence"
    assert event["data"] == {"type": "presence", "readers": 3}
    assert '<span id="reader-count" hx-swap-oob="true">3 reading now</span>' in event["html"]


def test_events_for_missing_comments_are_skipped(published_post):
    channel = _listen(broadcasts.post_group(published_post.pk))
    for send in (
        broadcasts.comment_created,
        broadcasts.comment_held,
        broadcasts.comment_updated,
        broadcasts.comment_deleted,
    ):
        send(999999)
    assert _received(channel) == []
