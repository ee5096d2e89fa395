from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from apps.blog.models import Post
from apps.comments import broadcasts, services
from apps.comments.models import Comment, ModerationSettings
from tests.comments.conftest import _listen, _received
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory
from tests.utils import metric_sample

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_fresh_rate_limit", "notified")]


# --------------------------------------------------------------------------
# create_comment
# --------------------------------------------------------------------------


def test_create_comment_publishes_sanitised_markdown(
    commenter, published_post, no_hold, django_capture_on_commit_callbacks, notified
):
    channel = _listen(broadcasts.post_group(published_post.pk))
    body = "Hi *there* `code` [site](https://example.com) <script>alert(1)</script>\n\n# Big"
    with django_capture_on_commit_callbacks(execute=True):
        comment = services.create_comment(actor=commenter, post=published_post, body=body)
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PUBLISHED
    assert "<em>there</em>" in comment.body_html
    assert "<code>code</code>" in comment.body_html
    assert 'rel="nofollow ugc noopener noreferrer"' in comment.body_html
    assert "<script" not in comment.body_html
    assert "<h1" not in comment.body_html
    assert (comment.depth, comment.parent_id, comment.root_id) == (0, None, None)
    assert notified == [comment.pk]
    [event] = _received(channel)
    assert event["type"] == "comment.created"
    assert 'hx-swap-oob="beforeend:#comment-list"' in event["html"]
    assert f'id="comment-item-{comment.pk}"' in event["html"]
    assert event["data"]["comment"]["id"] == comment.pk
    assert event["data"]["comment"]["author"]["username"] == commenter.username


def test_a_posted_comment_is_counted_once_committed(
    commenter, published_post, no_hold, django_capture_on_commit_callbacks
):
    before = metric_sample("inkwell_comments_posted_total", status="published")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.create_comment(actor=commenter, post=published_post, body="Counted")
        # Not before the commit: a rolled-back comment was never posted.
        assert metric_sample("inkwell_comments_posted_total", status="published") == before
    for callback in callbacks:
        callback()
    assert metric_sample("inkwell_comments_posted_total", status="published") == before + 1


def test_create_comment_holds_a_first_time_commenter(
    commenter, published_post, django_capture_on_commit_callbacks, notified
):
    channel = _listen(broadcasts.post_group(published_post.pk))
    with django_capture_on_commit_callbacks(execute=True):
        comment = services.create_comment(actor=commenter, post=published_post, body="Hello")
    assert comment.status == Comment.Status.HELD
    assert comment.held_reason
    assert notified == []
    # One group: the consumer shows it only to moderators and its author (private).
    [event] = _received(channel)
    assert event["type"] == "comment.held"
    assert (event["private"], event["author_id"]) == (True, commenter.pk)
    assert "Awaiting approval" in event["html"]


def test_create_comment_holds_too_many_links(commenter, published_post, no_hold):
    links = " ".join(f"https://spam{i}.example" for i in range(5))
    comment = services.create_comment(actor=commenter, post=published_post, body=links)
    assert comment.status == Comment.Status.HELD
    assert "links" in comment.held_reason


def test_create_comment_holds_blocked_words(commenter, published_post, no_hold):
    ModerationSettings.objects.filter(pk=1).update(blocklist="casino\ncheap pills")
    comment = services.create_comment(actor=commenter, post=published_post, body="Visit my CASINO")
    assert comment.status == Comment.Status.HELD


def test_create_comment_refuses_unverified_and_anonymous(published_post):
    unverified = UserFactory.create()
    with pytest.raises(PermissionDenied, match="Verify your email"):
        services.create_comment(actor=unverified, post=published_post, body="Hi")
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied, match="Sign in"):
        services.create_comment(actor=AnonymousUser(), post=published_post, body="Hi")  # type: ignore[arg-type]
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "Write something"), ("   \n ", "Write something"), ("x" * 5001, "at most 5,000")],
)
def test_create_comment_rejects_empty_and_oversized(commenter, published_post, body, message):
    with pytest.raises(ValidationError, match=message):
        services.create_comment(actor=commenter, post=published_post, body=body)
    assert not Comment.objects.exists()


def test_create_comment_accepts_exactly_the_limit(commenter, published_post, no_hold):
    comment = services.create_comment(actor=commenter, post=published_post, body="x" * 5000)
    assert len(comment.body) == 5000


def test_create_comment_rejects_closed_post(commenter, no_hold):
    post = PostFactory.create(comments_open=False)
    with pytest.raises(ValidationError, match="Comments are closed"):
        services.create_comment(actor=commenter, post=post, body="Hi")
    parent = CommentFactory.create(post=post)
    with pytest.raises(ValidationError, match="Comments are closed"):
        services.create_comment(actor=commenter, post=post, body="Hi", parent=parent)
    assert Comment.objects.count() == 1


@pytest.mark.parametrize("when", ["draft", "future"])
def test_create_comment_rejects_unpublished_post(commenter, when):
    if when == "draft":
        post = PostFactory.create(status=Post.Status.DRAFT, published_at=None)
    else:
        post = PostFactory.create(published_at=timezone.now() + timedelta(days=1))
    with pytest.raises(ValidationError, match="not published"):
        services.create_comment(actor=commenter, post=post, body="Hi")
    assert not Comment.objects.exists()


def test_replies_thread_three_levels_then_attach_to_the_third(commenter, published_post, no_hold):
    top = services.create_comment(actor=commenter, post=published_post, body="0")
    one = services.create_comment(actor=commenter, post=published_post, body="1", parent=top)
    two = services.create_comment(actor=commenter, post=published_post, body="2", parent=one)
    three = services.create_comment(actor=commenter, post=published_post, body="3", parent=two)
    four = services.create_comment(actor=commenter, post=published_post, body="4", parent=three)
    assert [c.depth for c in (top, one, two, three, four)] == [0, 1, 2, 2, 2]
    assert {c.root_id for c in (one, two, three, four)} == {top.pk}
    # `parent` is who was answered; `thread_parent` is the list it is shown in.
    assert (three.parent_id, three.thread_parent_id) == (two.pk, one.pk)
    assert (four.parent_id, four.thread_parent_id) == (three.pk, one.pk)
    assert (two.thread_parent_id, one.thread_parent_id) == (one.pk, top.pk)


def test_reply_broadcast_appends_to_the_shown_list(
    commenter, published_post, no_hold, django_capture_on_commit_callbacks
):
    top = CommentFactory.create(post=published_post)
    one = CommentFactory.create(parent=top)
    two = CommentFactory.create(parent=one)
    channel = _listen(broadcasts.post_group(published_post.pk))
    with django_capture_on_commit_callbacks(execute=True):
        deep = services.create_comment(actor=commenter, post=published_post, body="x", parent=two)
    [event] = _received(channel)
    assert f'hx-swap-oob="beforeend:#replies-{one.pk}"' in event["html"]
    assert two.author is not None
    assert "in reply to @" + two.author.username in event["html"]
    assert event["data"]["comment"]["parent"] == two.pk
    assert deep.depth == 2


@pytest.mark.parametrize("state", ["deleted", "held", "rejected", "other_post"])
def test_create_comment_refuses_bad_parents(commenter, published_post, no_hold, state):
    other = PostFactory.create()
    parent = CommentFactory.create(post=other if state == "other_post" else published_post)
    if state == "deleted":
        parent.deleted_at = timezone.now()
    elif state == "held":
        parent.status = Comment.Status.HELD
    elif state == "rejected":
        parent.status = Comment.Status.REJECTED
    parent.save()
    with pytest.raises(ValidationError):
        services.create_comment(actor=commenter, post=published_post, body="Hi", parent=parent)
    assert Comment.objects.count() == 1


def test_create_comment_is_rate_limited(commenter, published_post, no_hold, settings):
    settings.COMMENT_RATE_LIMIT = 2
    settings.COMMENT_RATE_WINDOW = 60
    for _ in range(2):
        services.create_comment(actor=commenter, post=published_post, body="Hi")
    with pytest.raises(ValidationError, match="try again in"):
        services.create_comment(actor=commenter, post=published_post, body="Hi")
    assert Comment.objects.count() == 2


def test_refused_comments_do_not_use_the_rate_budget(commenter, published_post, settings):
    settings.COMMENT_RATE_LIMIT = 1
    with pytest.raises(ValidationError):
        services.create_comment(actor=commenter, post=published_post, body=" ")
    services.create_comment(actor=commenter, post=published_post, body="Hi")


def test_broadcast_failure_is_logged_and_the_comment_kept(
    commenter, published_post, no_hold, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    class DeadLayer:
        async def group_send(self, group: str, message: dict[str, Any]) -> None:
            raise RedisConnectionError("Redis is down")

    monkeypatch.setattr("apps.core.live.get_channel_layer", DeadLayer)
    monkeypatch.setattr(services.comments, "notify_for_comment", lambda *, comment_id: None)
    with django_capture_on_commit_callbacks(execute=True):
        comment = services.create_comment(actor=commenter, post=published_post, body="Hi")
    assert Comment.objects.filter(pk=comment.pk, status=Comment.Status.PUBLISHED).exists()
    assert "live.broadcast_failed" in caplog.text


def test_a_failing_notification_stores_no_half_of_the_comment(
    commenter, published_post, no_hold, django_capture_on_commit_callbacks, monkeypatch
):
    # The comment and its notifications are one transaction: a comment that is stored
    # always has its notifications (tests/comments/test_notices.py has the push failing).
    def broken(*, comment_id: int) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(services.comments, "notify_for_comment", broken)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        services.create_comment(actor=commenter, post=published_post, body="Hi")
    assert not Comment.objects.filter(post=published_post).exists()


def test_moderators_are_never_held(moderator, published_post):
    ModerationSettings.objects.update_or_create(pk=1, defaults={"hold": "all"})
    comment = services.create_comment(actor=moderator, post=published_post, body="Hi")
    assert comment.status == Comment.Status.PUBLISHED
