"""Numbering under concurrency on PostgreSQL: two transactions, consecutive unique numbers."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from apps.comments.models import StreamEvent
from apps.comments.services import stream
from tests.factories.comments import CommentFactory

# serialized_rollback: the flush after a transactional test would drop the roles and switches
# that data migrations created, breaking the tests that follow.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _in_thread(target, *args):
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target(*args)
        except BaseException as error:  # noqa: BLE001  # reported by the test
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_two_transactions_on_one_post_get_consecutive_numbers_in_commit_order(published_post):
    comment = CommentFactory.create(post=published_post)
    first_has_number = threading.Event()
    timeline: list[tuple[str, int]] = []

    def slow_writer() -> None:
        with transaction.atomic():
            event = stream.record_event(comment=comment, kind=StreamEvent.Kind.UPDATED)
            first_has_number.set()
            time.sleep(0.5)  # still holding the post's counter
            timeline.append(("first commits", event.seq))

    def second_writer() -> None:
        first_has_number.wait(5)
        with transaction.atomic():
            event = stream.record_event(comment=comment, kind=StreamEvent.Kind.UPDATED)
            timeline.append(("second numbered", event.seq))

    threads = [_in_thread(slow_writer), _in_thread(second_writer)]
    for thread, errors in threads:
        thread.join(10)
        assert not errors, errors
    # The second waited for the first's commit, then took the next number: a number that
    # is visible means every smaller one is visible too.
    assert timeline == [("first commits", 1), ("second numbered", 2)]
    assert list(
        StreamEvent.objects.filter(post=published_post)
        .order_by("seq")
        .values_list("seq", flat=True)
    ) == [1, 2]


def test_concurrent_first_events_of_a_post_share_no_number(published_post):
    # Neither transaction finds the post's counter row: both try to create it.
    comment = CommentFactory.create(post=published_post)
    start = threading.Barrier(4)

    def writer() -> None:
        start.wait(5)
        with transaction.atomic():
            stream.record_event(comment=comment, kind=StreamEvent.Kind.UPDATED)

    threads = [_in_thread(writer) for _ in range(4)]
    for thread, errors in threads:
        thread.join(10)
        assert not errors, errors
    seqs = sorted(StreamEvent.objects.filter(post=published_post).values_list("seq", flat=True))
    assert seqs == [1, 2, 3, 4]
