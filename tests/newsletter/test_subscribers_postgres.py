"""Sign-up and confirmation under concurrency on PostgreSQL: one subscriber, activated once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from apps.newsletter import subscribers, tokens
from apps.newsletter.models import Source, Subscriber, Subscription, SubscriptionStatus

# serialized_rollback: the flush after a transactional test would drop the newsletters and
# switches that data migrations created, breaking the tests that follow.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _at_once(count: int, target: Callable[[], object]) -> list[BaseException]:
    """Run `target` in `count` threads released together; the errors they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(5)
            target()
        except BaseException as error:  # noqa: BLE001  # reported by the test
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    return errors


def test_simultaneous_sign_ups_of_one_new_address_make_one_subscriber(settings):
    settings.NEWSLETTER_SIGNUP_RATE_LIMIT_ADDRESS = 100

    errors = _at_once(4, lambda: subscribers.subscribe(email="Ada@example.com", source=Source.POST))

    assert errors == []
    assert Subscriber.objects.filter(email="ada@example.com").count() == 1
    assert Subscription.objects.get().status == SubscriptionStatus.PENDING


def test_simultaneous_confirmations_activate_once():
    subscribers.subscribe(email="ada@example.com", source=Source.POST)
    token = tokens.confirm_token(Subscriber.objects.get())
    results: list[subscribers.Confirmation] = []

    errors = _at_once(3, lambda: results.append(subscribers.confirm(token=token)))

    assert errors == []
    assert sorted(r.already for r in results) == [False, True, True]
    assert Subscription.objects.get().status == SubscriptionStatus.ACTIVE
