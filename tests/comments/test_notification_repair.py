"""A comment's notifications are stored with it, and the repair sweep adds what is missing."""

from datetime import timedelta

import pytest
from channels.layers import InMemoryChannelLayer
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from apps.comments import services
from apps.comments.models import Comment
from apps.notifications.models import Kind, Notification
from tests.factories.comments import CommentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_fresh_rate_limit")]

S = Comment.Status


@pytest.fixture
def dead_channel_layer(monkeypatch):
    """Every push fails as it does when Redis is down at the moment of the commit."""

    async def refuse(self, group, message):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(InMemoryChannelLayer, "group_send", refuse)
    monkeypatch.setattr("apps.core.live.get_channel_layer", lambda: InMemoryChannelLayer())


def _notified(comment: Comment) -> list[tuple[int, str]]:
    return sorted(Notification.objects.filter(comment=comment).values_list("recipient_id", "kind"))


def test_create_comment_stores_its_notification_when_the_push_fails(
    commenter, post, no_hold, dead_channel_layer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        comment = services.create_comment(actor=commenter, post=post, body="Hello")
    assert _notified(comment) == [(post.author_id, Kind.POST_COMMENT)]


def test_approving_a_comment_stores_its_notification_when_the_push_fails(
    moderator, commenter, post, dead_channel_layer, django_capture_on_commit_callbacks
):
    comment = CommentFactory.create(post=post, author=commenter, status=S.HELD)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_comment(actor=moderator, comment=comment)
    assert _notified(comment) == [(post.author_id, Kind.POST_COMMENT)]


def test_a_rolled_back_comment_leaves_no_notification(commenter, post, no_hold):
    @transaction.atomic
    def request_failing_after_the_comment() -> None:
        services.create_comment(actor=commenter, post=post, body="Hello")
        raise RuntimeError("the request failed after the comment was saved")

    with pytest.raises(RuntimeError):
        request_failing_after_the_comment()
    assert not Comment.objects.exists()
    assert not Notification.objects.exists()


def test_repair_creates_what_is_missing_once(commenter, other_reader, post):
    # Stored past the services (as before this change, or by an import): no notifications.
    first = CommentFactory.create(post=post, author=commenter)
    reply = CommentFactory.create(parent=first, author=other_reader, body="@writer agreed")
    assert not Notification.objects.exists()

    assert services.repair_comment_notifications() == 3
    assert _notified(first) == [(post.author_id, Kind.POST_COMMENT)]
    assert _notified(reply) == sorted(
        [(commenter.pk, Kind.COMMENT_REPLY), (post.author_id, Kind.MENTION)]
    )
    assert services.repair_comment_notifications() == 0
    assert Notification.objects.count() == 3


def test_repair_leaves_old_hidden_and_deleted_comments_alone(commenter, post):
    old = CommentFactory.create(post=post, author=commenter)
    Comment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    CommentFactory.create(post=post, author=commenter, status=S.HELD)
    CommentFactory.create(post=post, author=commenter, deleted_at=timezone.now())
    assert services.repair_comment_notifications() == 0
    # An old comment approved recently is recent enough.
    Comment.objects.filter(pk=old.pk).update(moderated_at=timezone.now())
    assert services.repair_comment_notifications() == 1


def test_a_second_notification_for_the_same_comment_and_recipient_is_refused(commenter, post):
    comment = CommentFactory.create(post=post, author=commenter)
    services.notify_for_comment(comment_id=comment.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            recipient=post.author, kind=Kind.MENTION, text="again", comment=comment
        )
    # Notifications without a comment (a post published twice) are not limited.
    for _ in range(2):
        Notification.objects.create(recipient=post.author, kind=Kind.POST_PUBLISHED, text="Up")


def test_repair_notifications_command_reports_what_it_created(commenter, post, capsys):
    CommentFactory.create(post=post, author=commenter)
    call_command("repair_notifications", "--hours", "1")
    assert capsys.readouterr().out.strip() == "Created 1 missing notification."
    call_command("repair_notifications")
    assert capsys.readouterr().out.strip() == "Created 0 missing notifications."
