from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.newsletter import delivery as sending
from apps.newsletter.mail import message_id
from apps.newsletter.models import (
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
)
from tests.factories.newsletter import NewsletterFactory, SubscriberFactory, SubscriptionFactory
from tests.newsletter.sending import audience, sending_campaign, use_sink
from tests.newsletter.smtp_sink import SmtpSink
from tests.utils import metric_sample

pytestmark = pytest.mark.django_db


def test_queue_campaign_dedupes_and_skips_the_unwanted():
    weekly, news = NewsletterFactory.create(), NewsletterFactory.create()
    both = SubscriberFactory.create(email="both@example.com")
    SubscriptionFactory.create(subscriber=both, newsletter=weekly)
    SubscriptionFactory.create(subscriber=both, newsletter=news)
    only = SubscriptionFactory.create(newsletter=news).subscriber
    unconfirmed = SubscriberFactory.create(confirmed_at=None)
    SubscriptionFactory.create(subscriber=unconfirmed, newsletter=weekly, status="pending")
    SubscriptionFactory.create(newsletter=weekly, status=SubscriptionStatus.UNSUBSCRIBED)
    suppressed = SubscriptionFactory.create(newsletter=weekly).subscriber
    Suppression.objects.create(email=suppressed.email, reason=SuppressionReason.HARD_BOUNCE)
    SubscriptionFactory.create(newsletter=NewsletterFactory.create())  # another list
    campaign = sending_campaign(weekly, news)

    assert sending.queue_campaign(campaign_id=campaign.pk) == 2
    assert sending.queue_campaign(campaign_id=campaign.pk) == 0  # once only
    rows = Delivery.objects.filter(campaign=campaign)
    assert sorted(rows.values_list("email", flat=True)) == sorted([both.email, only.email])
    assert set(rows.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    campaign.refresh_from_db()
    assert campaign.recipients_count == 2
    assert campaign.queued_at is not None


@pytest.mark.parametrize("count", [10, 200])
def test_queue_campaign_runs_the_same_queries_for_any_audience(count):
    letter = NewsletterFactory.create()
    audience(count, letter)
    campaign = sending_campaign(letter)
    with CaptureQueriesContext(connection) as queries:
        assert sending.queue_campaign(campaign_id=campaign.pk) == count
    assert len(queries) <= 8  # lock, newsletters, one INSERT ... SELECT, update (+ savepoints)
    QUEUE_QUERIES[count] = len(queries)
    if len(QUEUE_QUERIES) == 2:
        assert len(set(QUEUE_QUERIES.values())) == 1


# Filled by the parametrised test above: the same count for every audience size.
QUEUE_QUERIES: dict[int, int] = {}


def test_claim_batch_query_count_does_not_grow_with_the_batch(settings):
    settings.NEWSLETTER_BATCH_SIZE = 500
    counts = []
    for size in (10, 200):
        letter = NewsletterFactory.create()
        audience(size, letter, prefix=f"c{size}-")
        campaign = sending_campaign(letter)
        sending.queue_campaign(campaign_id=campaign.pk)
        with CaptureQueriesContext(connection) as queries:
            rows = sending.claim_batch(campaign_id=campaign.pk)
        assert len(rows) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_send_loop_runs_constant_queries_per_batch_plus_one_mark_per_message(settings):
    settings.NEWSLETTER_BATCH_SIZE = 500
    settings.NEWSLETTER_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    overhead = []
    for size in (10, 60):
        letter = NewsletterFactory.create()
        audience(size, letter, prefix=f"q{size}-")
        campaign = sending_campaign(letter)
        sending.queue_campaign(campaign_id=campaign.pk)
        with CaptureQueriesContext(connection) as queries:
            assert sending.run_campaign(campaign_id=campaign.pk).sent == size
        overhead.append(len(queries) - size)  # one UPDATE ... SET status = 'sent' each
    assert overhead[0] == overhead[1]


def test_send_loop_sends_each_recipient_once_into_a_real_smtp_server(settings):
    letter = NewsletterFactory.create()
    audience(30, letter)
    campaign = sending_campaign(letter)
    settings.NEWSLETTER_BATCH_SIZE = 7
    sent = metric_sample("inkwell_emails_sent_total", kind="newsletter")
    with SmtpSink() as sink:
        use_sink(settings, sink)
        result = sending.run_campaign(campaign_id=campaign.pk)
    assert result.finished
    assert metric_sample("inkwell_emails_sent_total", kind="newsletter") == sent + 30
    assert result.sent == 30
    by_rcpt = Counter(r for m in sink.messages for r in m.recipients)
    assert len(by_rcpt) == 30
    assert set(by_rcpt.values()) == {1}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert campaign.finished_at is not None
    for row in Delivery.objects.filter(campaign=campaign):
        assert row.status == DeliveryStatus.SENT
        assert row.sent_at
        assert row.attempts == 1
        assert row.message_id == message_id(row)
    assert {m.message_id for m in sink.messages} == set(
        Delivery.objects.values_list("message_id", flat=True)
    )
    raw = sink.messages[0].raw
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    assert b"Content-Type: text/plain" in raw
    assert b"Content-Type: text/html" in raw


def test_rows_suppressed_or_unsubscribed_after_queueing_are_skipped(settings):
    letter = NewsletterFactory.create()
    first, second, third = audience(3, letter)
    campaign = sending_campaign(letter)
    sending.queue_campaign(campaign_id=campaign.pk)
    Suppression.objects.create(email=first.email, reason=SuppressionReason.COMPLAINT)
    Subscription.objects.filter(subscriber=second).update(status=SubscriptionStatus.UNSUBSCRIBED)
    with SmtpSink() as sink:
        use_sink(settings, sink)
        result = sending.run_campaign(campaign_id=campaign.pk)
    assert result.finished
    assert [m.recipients for m in sink.messages] == [(third.email,)]
    statuses = dict(Delivery.objects.values_list("email", "status"))
    assert statuses == {
        first.email: DeliveryStatus.SKIPPED,
        second.email: DeliveryStatus.SKIPPED,
        third.email: DeliveryStatus.SENT,
    }


def test_refusing_server_retries_with_back_off_then_fails_and_campaign_finishes(settings):
    letter = NewsletterFactory.create()
    audience(2, letter)
    campaign = sending_campaign(letter)
    settings.NEWSLETTER_MAX_ATTEMPTS = 3
    settings.NEWSLETTER_RETRY_BASE_SECONDS = 60
    with SmtpSink(mode="refuse") as sink:
        use_sink(settings, sink)
        first = sending.run_campaign(campaign_id=campaign.pk)
        assert not first.finished
        assert first.retried == 2
        row = Delivery.objects.order_by("pk").first()
        assert row is not None
        assert row.status == DeliveryStatus.PENDING
        assert row.attempts == 1
        assert "451" in row.error
        assert row.next_attempt_at is not None
        delay = (row.next_attempt_at - timezone.now()).total_seconds()
        assert 50 < delay <= 60
        due = [at for at in Delivery.objects.values_list("next_attempt_at", flat=True) if at]
        assert first.next_run_at == min(due)
        # Not due yet: nothing is retried early.
        assert sending.run_campaign(campaign_id=campaign.pk).retried == 0
        Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        sending.run_campaign(campaign_id=campaign.pk)
        row.refresh_from_db()
        assert row.attempts == 2
        assert row.next_attempt_at is not None
        assert 110 < (row.next_attempt_at - timezone.now()).total_seconds() <= 120  # doubled
        Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        last = sending.run_campaign(campaign_id=campaign.pk)
    assert last.finished
    assert last.failed == 2
    assert sink.messages == []
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED
    assert row.attempts == 3
    assert row.error.startswith("Refused: 451")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT


def test_permanent_refusal_fails_at_once(settings):
    letter = NewsletterFactory.create()
    audience(1, letter)
    campaign = sending_campaign(letter)
    failed = metric_sample("inkwell_emails_failed_total", kind="newsletter")
    with SmtpSink(mode="reject") as sink:
        use_sink(settings, sink)
        result = sending.run_campaign(campaign_id=campaign.pk)
    assert result.finished
    assert result.failed == 1
    assert metric_sample("inkwell_emails_failed_total", kind="newsletter") == failed + 1
    assert Delivery.objects.get().error.startswith("Refused: 550")


def test_a_server_that_times_out_is_retried_with_the_reason(settings):
    letter = NewsletterFactory.create()
    audience(1, letter)
    campaign = sending_campaign(letter)
    settings.NEWSLETTER_MAX_ATTEMPTS = 1
    with SmtpSink(mode="timeout", delay=2.0) as sink:
        use_sink(settings, sink, timeout=0.5)
        result = sending.run_campaign(campaign_id=campaign.pk)
    assert result.finished
    assert result.failed == 1
    row = Delivery.objects.get()
    assert row.status == DeliveryStatus.FAILED
    assert row.error == "Timed out talking to the mail server."


def test_a_server_that_is_down_retries_everything_later(settings):
    letter = NewsletterFactory.create()
    audience(3, letter)
    campaign = sending_campaign(letter)
    settings.NEWSLETTER_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens
    result = sending.run_campaign(campaign_id=campaign.pk)
    assert result.retried == 3
    assert not result.finished
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}


def test_rows_of_a_dead_worker_are_resent_after_the_lease_with_the_same_message_id(settings):
    letter = NewsletterFactory.create()
    audience(4, letter)
    campaign = sending_campaign(letter)
    sending.queue_campaign(campaign_id=campaign.pk)
    settings.NEWSLETTER_BATCH_SIZE = 2
    claimed = sending.claim_batch(campaign_id=campaign.pk)  # ... and the worker dies
    assert {r.status for r in claimed} == {DeliveryStatus.SENDING}
    with SmtpSink() as sink:
        use_sink(settings, sink)
        early = sending.run_campaign(campaign_id=campaign.pk)
        assert early.sent == 2
        assert not early.finished
        assert early.next_run_at is not None
        Delivery.objects.filter(status=DeliveryStatus.SENDING).update(
            claimed_at=timezone.now()
            - timedelta(seconds=settings.NEWSLETTER_CLAIM_LEASE_SECONDS + 1)
        )
        late = sending.run_campaign(campaign_id=campaign.pk)
    assert late.finished
    assert late.sent == 2
    resent = {m.message_id for m in sink.messages if m.recipients[0] in {r.email for r in claimed}}
    assert resent == {message_id(r) for r in claimed}


def test_cancelled_campaign_stops_sending(settings):
    letter = NewsletterFactory.create()
    audience(3, letter)
    campaign = sending_campaign(letter)
    sending.queue_campaign(campaign_id=campaign.pk)
    campaign.status = CampaignStatus.CANCELLED
    campaign.save()
    result = sending.run_campaign(campaign_id=campaign.pk)
    assert result.sent == 0
    assert result.next_run_at is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_on_postgres_never_send_one_delivery_twice(settings):
    letter = NewsletterFactory.create()
    audience(300, letter)
    campaign = sending_campaign(letter)
    sending.queue_campaign(campaign_id=campaign.pk)
    settings.NEWSLETTER_BATCH_SIZE = 10
    settings.NEWSLETTER_SEND_RATE = 200  # ~1.5 s for one worker alone: the others join in
    results = []
    errors: list[BaseException] = []
    with SmtpSink() as sink:
        use_sink(settings, sink)
        start = threading.Barrier(3)

        def work() -> None:
            try:
                start.wait()
                results.append(sending.run_campaign(campaign_id=campaign.pk))
            except BaseException as exc:
                errors.append(exc)
                raise
            finally:
                connections.close_all()

        threads = [threading.Thread(target=work) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert errors == []
    assert sum(r.sent for r in results) == 300
    assert sum(1 for r in results if r.sent) >= 2  # they really shared the work
    by_rcpt = Counter(r for m in sink.messages for r in m.recipients)
    assert len(by_rcpt) == 300
    assert set(by_rcpt.values()) == {1}
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 300
    assert Subscriber.objects.count() == 300
