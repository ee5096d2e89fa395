from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from apps.core.cache import cachalot_off as cachalot_disabled
from apps.notifications import selectors
from apps.notifications.models import Delivery, Kind, Notification, NotificationPreference
from tests.factories.accounts import UserFactory
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


def _make(recipient, count, *, read=False, start=None):
    start = start or timezone.now()
    return [
        Notification.objects.create(
            recipient=recipient,
            kind=Kind.MENTION,
            actor=UserFactory.create(),
            text=f"n{i}",
            created_at=start + timedelta(seconds=i),
            read_at=timezone.now() if read else None,
        )
        for i in range(count)
    ]


def test_notifications_for_lists_the_users_own_newest_first(user):
    mine = _make(user, 3)
    _make(UserFactory.create(), 2)
    assert list(selectors.notifications_for(user)) == mine[::-1]


def test_notifications_for_unread_only(user):
    unread = _make(user, 2)
    _make(user, 2, read=True)
    assert set(selectors.notifications_for(user, unread_only=True)) == set(unread)


def test_notifications_for_takes_one_query_with_actors(user, django_assert_num_queries):
    _make(user, 10)
    with cachalot_disabled(), django_assert_num_queries(1):
        names = [n.actor.name for n in selectors.notifications_for(user) if n.actor]
    assert len(names) == 10


def test_unread_count(user):
    _make(user, 3)
    _make(user, 2, read=True)
    _make(UserFactory.create(), 4)
    assert selectors.unread_count(user) == 3
    assert selectors.unread_count(AnonymousUser()) == 0


def test_preferences_for_defaults_to_in_app(user):
    NotificationPreference.objects.create(user=user, kind=Kind.MENTION, delivery=Delivery.EMAIL)
    NotificationPreference.objects.create(
        user=UserFactory.create(), kind=Kind.POST_COMMENT, delivery=Delivery.OFF
    )
    prefs = selectors.preferences_for(user)
    assert prefs == {
        Kind.COMMENT_REPLY: Delivery.IN_APP,
        Kind.POST_COMMENT: Delivery.IN_APP,
        Kind.POST_PUBLISHED: Delivery.IN_APP,
        Kind.POST_SENT_BACK: Delivery.IN_APP,
        Kind.MENTION: Delivery.EMAIL,
        Kind.AUTHOR_PUBLISHED: Delivery.IN_APP,
        Kind.WEBHOOK_DISABLED: Delivery.IN_APP,
    }


@pytest.mark.parametrize("count", [0, 2, 12])
def test_bell_for_takes_one_query(user, count):
    _make(user, count)
    _make(user, 2, read=True)
    _make(UserFactory.create(), 3)
    with count_queries() as ctx:
        bell = selectors.bell_for(user)
        texts = [n.actor.name for n in bell.latest if n.actor]
    assert len(ctx) == 1
    assert bell.unread == count
    assert len(texts) == min(count + 2, selectors.BELL_ITEMS)


def test_bell_for_visitors_is_empty_without_queries(django_assert_num_queries):
    with django_assert_num_queries(0):
        bell = selectors.bell_for(AnonymousUser())
    assert bell.unread == 0
    assert not bell.latest
