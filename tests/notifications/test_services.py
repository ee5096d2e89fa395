from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError

from apps.notifications import broadcasts, services
from apps.notifications.models import Delivery, Kind, Notification, NotificationPreference
from tests.factories.accounts import UserFactory
from tests.notifications.conftest import comment_on

pytestmark = pytest.mark.django_db


def _one(recipient, *, actor=None, kind=Kind.MENTION, text="Hi", url="/", **ids):
    """notify() for one recipient: the notification, or None when it was skipped."""
    created = services.notify(
        recipient_ids=[recipient.pk],
        kind=kind,
        actor_id=actor.pk if actor is not None else None,
        text=text,
        url=url,
        **ids,
    )
    return created[0] if created else None


def _listen(group: str) -> tuple[Any, str]:
    layer = get_channel_layer()
    channel: str = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return layer, channel


# --------------------------------------------------------------------------
# notify (generic), broadcasting
# --------------------------------------------------------------------------


def test_notify_respects_off_email_and_in_app(post_author, commenter):
    def send():
        return _one(post_author, actor=commenter, text="Hello", url="/x/")

    in_app = send()
    assert in_app is not None
    assert not in_app.email_due
    services.set_preferences(actor=post_author, choices={Kind.MENTION: Delivery.EMAIL})
    email = send()
    assert email is not None
    assert email.email_due
    services.set_preferences(actor=post_author, choices={Kind.MENTION: Delivery.OFF})
    assert send() is None
    assert Notification.objects.count() == 2


def test_notify_skips_the_actor_inactive_users_and_unknown_kinds(post_author):
    assert _one(post_author, actor=post_author) is None
    inactive = UserFactory.create(is_active=False)
    assert _one(inactive) is None
    with pytest.raises(ValueError, match="Unknown"):
        _one(post_author, kind="nope")


def test_notify_tells_each_recipient_once_in_order(post_author, commenter, other_reader):
    created = services.notify(
        recipient_ids=[commenter.pk, post_author.pk, commenter.pk, other_reader.pk],
        kind=Kind.POST_PUBLISHED,
        actor_id=other_reader.pk,
        text="Your post was published",
        url="/p/",
    )
    assert [n.recipient for n in created] == [commenter, post_author]
    assert all(n.actor == other_reader for n in created)


def test_notify_never_tells_anyone_twice_about_one_comment(post, commenter, other_reader):
    comment = comment_on(post, commenter)
    first = services.notify(
        recipient_ids=[other_reader.pk],
        kind=Kind.MENTION,
        actor_id=commenter.pk,
        text="mentioned you",
        url="/",
        comment_id=comment.pk,
    )
    again = services.notify(
        recipient_ids=[other_reader.pk, post.author_id],
        kind=Kind.POST_COMMENT,
        actor_id=commenter.pk,
        text="commented",
        url="/",
        comment_id=comment.pk,
    )
    assert [n.recipient for n in first] == [other_reader]
    assert [n.recipient for n in again] == [post.author]


def test_notify_shortens_long_text(post_author):
    notification = _one(post_author, text="word " * 200)
    assert notification is not None
    assert len(notification.text) <= 300


def test_notify_pushes_after_commit_and_survives_a_dead_channel_layer(
    post_author, django_capture_on_commit_callbacks, monkeypatch
):
    from channels.layers import InMemoryChannelLayer

    async def refuse(self, group, message):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(InMemoryChannelLayer, "group_send", refuse)
    monkeypatch.setattr("apps.core.live.get_channel_layer", lambda: InMemoryChannelLayer())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = _one(post_author)
    assert callbacks
    assert notification is not None
    assert Notification.objects.filter(pk=notification.pk).exists()


def test_notify_broadcasts_created_event_to_the_recipient_group(
    post_author, django_capture_on_commit_callbacks
):
    layer, channel = _listen(f"notifications.user.{post_author.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        notification = _one(post_author, text="Hi <b>there</b>")
    assert notification is not None
    event = async_to_sync(layer.receive)(channel)
    assert event["type"] == "notification.created"
    assert event["data"]["notification"]["id"] == notification.pk
    assert event["data"]["unread"] == 1
    assert 'id="notification-count" hx-swap-oob="true"' in event["html"]
    assert 'hx-swap-oob="afterbegin:#notification-menu-list"' in event["html"]
    assert "Hi &lt;b&gt;there&lt;/b&gt;" in event["html"]
    assert "<b>" not in event["html"]


# --------------------------------------------------------------------------
# mark_read, set_preferences
# --------------------------------------------------------------------------


def _make(recipient, count=1, **fields):
    return [
        Notification.objects.create(recipient=recipient, kind=Kind.MENTION, text=f"n{i}", **fields)
        for i in range(count)
    ]


def test_mark_read_marks_only_the_actors_own(post_author, commenter, monkeypatch):
    pushed: list[int] = []
    monkeypatch.setattr(broadcasts, "notification_unread", pushed.append)
    mine = _make(post_author, 3)
    theirs = _make(commenter, 1)
    count = services.mark_read(actor=post_author, notification_ids=[mine[0].pk, theirs[0].pk])
    assert count == 1
    assert Notification.objects.filter(read_at__isnull=False).get() == mine[0]
    assert services.mark_read(actor=post_author, all=True) == 2
    assert services.mark_read(actor=post_author, all=True) == 0
    assert not Notification.objects.filter(recipient=commenter, read_at__isnull=False).exists()
    with pytest.raises(ValueError, match="notification_ids"):
        services.mark_read(actor=post_author)


def test_mark_read_pushes_the_new_count_after_commit(
    post_author, django_capture_on_commit_callbacks
):
    layer, channel = _listen(f"notifications.user.{post_author.pk}")
    _make(post_author, 2)
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_read(actor=post_author, all=True)
    event = async_to_sync(layer.receive)(channel)
    assert event["data"] == {"type": "notification.unread", "unread": 0}


def test_set_preferences_stores_and_validates(post_author):
    result = services.set_preferences(
        actor=post_author, choices={Kind.MENTION: Delivery.EMAIL, Kind.POST_COMMENT: Delivery.OFF}
    )
    assert result[Kind.MENTION] == Delivery.EMAIL
    assert result[Kind.POST_COMMENT] == Delivery.OFF
    assert result[Kind.COMMENT_REPLY] == Delivery.IN_APP
    services.set_preferences(actor=post_author, choices={Kind.MENTION: Delivery.IN_APP})
    assert (
        NotificationPreference.objects.get(user=post_author, kind=Kind.MENTION).delivery == "in_app"
    )
    with pytest.raises(ValidationError):
        services.set_preferences(actor=post_author, choices={Kind.MENTION: "carrier-pigeon"})
    with pytest.raises(ValidationError):
        services.set_preferences(actor=post_author, choices={"bogus": Delivery.OFF})


def test_set_preferences_away_from_email_cancels_pending_mail(post_author):
    (pending,) = _make(post_author, email_due=True)
    services.set_preferences(actor=post_author, choices={Kind.MENTION: Delivery.IN_APP})
    pending.refresh_from_db()
    assert not pending.email_due
