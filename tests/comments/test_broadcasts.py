from __future__ import annotations

import pytest
from django.utils import timezone

from apps.comments import broadcasts
from apps.comments.models import Comment
from tests.comments.conftest import _listen, _received
from tests.factories.comments import CommentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_fresh_rate_limit", "notified")]


# --------------------------------------------------------------------------
# broadcasts
# --------------------------------------------------------------------------


def test_removals_carry_their_audience_and_number(published_post, commenter):
    from apps.comments.services import stream

    channel = _listen(broadcasts.post_group(published_post.pk))
    shown = CommentFactory.create(post=published_post, status=Comment.Status.REJECTED)
    held = CommentFactory.create(
        post=published_post, author=commenter, status=Comment.Status.REJECTED
    )
    with_numbers = [
        stream.record_event(comment=shown, kind=broadcasts.DELETED),
        stream.record_event(comment=held, kind=broadcasts.DELETED, private=True),
    ]
    for event in with_numbers:
        broadcasts.stream_event(event.pk)
    public, private = _received(channel)
    assert (public["type"], public["seq"], public["private"]) == ("comment.deleted", 1, False)
    assert public["data"]["comment"]["id"] == shown.pk
    assert public["data"]["seq"] == 1
    assert "Comment removed" in public["html"]
    assert public["html"].startswith(
        '<span id="live-seq" hidden hx-swap-oob="true" data-live-seq="1">'
    )
    assert (private["seq"], private["private"], private["author_id"]) == (2, True, commenter.pk)
    assert private["data"]["comment"]["id"] == held.pk


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


def test_presence_makes_no_query_and_speaks_the_posts_language(
    published_post, django_assert_num_queries
):
    # presence runs in a plain worker thread (apps.comments.presence), where a database
    # connection would never go back to the pool: it must not query at all.
    from apps.blog.models import Post

    Post.objects.filter(pk=published_post.pk).update(language="de")
    broadcasts.post_language.cache_clear()
    channel = _listen(broadcasts.post_group(published_post.pk))
    with django_assert_num_queries(0):
        broadcasts.presence(published_post.pk, 3)  # not learnt yet: the default language
    assert "3 reading now" in _received(channel)[0]["html"]
    broadcasts.post_language(published_post.pk)  # what a socket's access check does
    with django_assert_num_queries(0):
        broadcasts.presence(published_post.pk, 3)
    assert "3 reading now" not in _received(channel)[0]["html"]


def test_events_for_missing_rows_are_skipped(published_post):
    channel = _listen(broadcasts.post_group(published_post.pk))
    broadcasts.stream_event(999999)
    assert _received(channel) == []
