from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from apps.accounts.models import AuditEvent
from apps.notifications.models import Kind, Notification
from apps.webhooks import services
from apps.webhooks.models import BODY_LIMIT, Delivery
from apps.webhooks.payloads import envelope
from apps.webhooks.signing import new_message_id
from apps.webhooks.transport import USER_AGENT

pytestmark = pytest.mark.django_db

S = Delivery.Status


def _delivery(endpoint, event="post.published", data=None):
    return Delivery.objects.create(
        endpoint=endpoint,
        event_type=event,
        message_id=new_message_id(),
        payload=envelope(event, data or {"id": 7, "title": "Café ☕"}),
        next_attempt_at=timezone.now(),
    )


def test_attempt_delivery_succeeds_with_a_signature_standardwebhooks_verifies(
    receiver, make_endpoint
):
    endpoint = make_endpoint(receiver.url("/ok?source=inkwell"))
    delivery = _delivery(endpoint)
    assert services.attempt_delivery(delivery.pk) == S.SUCCEEDED
    [got] = receiver.requests
    assert got.path == "/ok?source=inkwell"
    payload = Webhook(endpoint.secret).verify(got.body, got.headers)
    assert payload == delivery.payload
    assert got.headers["webhook-id"] == delivery.message_id
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["User-Agent"] == USER_AGENT
    assert got.headers["Host"] == receiver.base.removeprefix("http://")
    delivery.refresh_from_db()
    assert delivery.status == S.SUCCEEDED
    assert delivery.attempt_count == 1
    assert delivery.next_attempt_at is None
    [attempt] = delivery.attempts
    assert attempt["status"] == 200
    assert attempt["body"] == "thanks"
    assert attempt["error"] == ""
    assert attempt["duration_ms"] >= 0


def test_a_tampered_body_or_another_secret_fails_verification(receiver, make_endpoint):
    endpoint = make_endpoint(receiver.url("/ok"))
    services.attempt_delivery(_delivery(endpoint).pk)
    [got] = receiver.requests
    with pytest.raises(Exception, match="signature"):
        Webhook(endpoint.secret).verify(got.body + b" ", got.headers)
    other = make_endpoint(receiver.url("/ok"))
    with pytest.raises(Exception, match="signature"):
        Webhook(other.secret).verify(got.body, got.headers)


def test_a_500_is_logged_and_retried_after_the_first_back_off(receiver, make_endpoint):
    endpoint = make_endpoint(receiver.url("/fail"))
    delivery = _delivery(endpoint)
    before = timezone.now()
    assert services.attempt_delivery(delivery.pk) == S.FAILED
    delivery.refresh_from_db()
    [attempt] = delivery.attempts
    assert attempt["status"] == 500
    assert attempt["body"].startswith("Internal trouble")
    assert len(attempt["body"]) == BODY_LIMIT
    assert "HTTP 500" in attempt["error"]
    assert delivery.next_attempt_at is not None
    wait = (delivery.next_attempt_at - before).total_seconds()
    assert 5 <= wait < 7
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1
    # Not due yet: the periodic job and a second worker both leave it alone.
    assert services.attempt_delivery(delivery.pk) is None
    assert services.deliver_due() == 0
    assert len(receiver.requests) == 1


def test_retries_follow_the_schedule_then_give_up(receiver, make_endpoint, settings):
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 100
    endpoint = make_endpoint(receiver.url("/fail"))
    delivery = _delivery(endpoint)
    waits = []
    for _ in range(4):
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        started = timezone.now()
        services.deliver_due()
        delivery.refresh_from_db()
        if delivery.next_attempt_at:
            waits.append(round((delivery.next_attempt_at - started).total_seconds()))
    assert waits == [5, 300, 1800]
    assert delivery.status == S.GAVE_UP
    assert delivery.attempt_count == 4
    assert delivery.completed_at is not None


def test_jitter_stretches_a_wait_by_at_most_the_fraction(settings):
    settings.WEBHOOKS_RETRY_JITTER = 0.5
    waits = [services.retry_delay(2) for _ in range(50)]
    delays = {wait.total_seconds() for wait in waits if wait is not None}
    assert all(300 <= d <= 450 for d in delays)
    assert len(delays) > 1
    assert services.retry_delay(4) is None


def test_a_hanging_endpoint_times_out(receiver, make_endpoint):
    endpoint = make_endpoint(receiver.url("/hang"))
    delivery = _delivery(endpoint)
    assert services.attempt_delivery(delivery.pk) == S.FAILED
    delivery.refresh_from_db()
    [attempt] = delivery.attempts
    assert attempt["status"] is None
    assert "Timed out" in attempt["error"]
    assert 400 <= attempt["duration_ms"] < 1900


def test_an_answer_that_trickles_in_is_cut_off_at_the_deadline(receiver, make_endpoint):
    endpoint = make_endpoint(receiver.url("/drip"))
    delivery = _delivery(endpoint)
    assert services.attempt_delivery(delivery.pk) == S.FAILED
    delivery.refresh_from_db()
    [attempt] = delivery.attempts
    assert attempt["status"] is None
    assert attempt["error"] == "Took longer than 1.5 s in all: cut off."
    assert 1400 <= attempt["duration_ms"] < 2500


def test_a_redirect_is_a_failure_and_is_not_followed(receiver, make_endpoint):
    endpoint = make_endpoint(receiver.url("/redirect"))
    delivery = _delivery(endpoint)
    assert services.attempt_delivery(delivery.pk) == S.FAILED
    assert [r.path for r in receiver.requests] == ["/redirect"]
    delivery.refresh_from_db()
    [attempt] = delivery.attempts
    assert attempt["status"] == 302
    assert "redirects are not followed" in attempt["error"]
    assert receiver.url("/ok") in attempt["error"]


def test_a_closed_connection_is_a_failure_with_the_error(receiver, make_endpoint):
    endpoint = make_endpoint(receiver.url("/close"))
    delivery = _delivery(endpoint)
    assert services.attempt_delivery(delivery.pk) == S.FAILED
    delivery.refresh_from_db()
    [attempt] = delivery.attempts
    assert attempt["status"] is None
    assert attempt["error"]
    assert delivery.next_attempt_at is not None


def test_nothing_listening_is_a_failure(make_endpoint):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = make_endpoint(f"http://127.0.0.1:{port}/")
    delivery = _delivery(endpoint)
    assert services.attempt_delivery(delivery.pk) == S.FAILED
    delivery.refresh_from_db()
    assert delivery.attempts[0]["error"].startswith("Could not connect")


def test_endpoint_is_switched_off_after_n_failures_with_a_notice(
    receiver, make_endpoint, admin, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    from apps.accounts.roles import Role

    editor = make_user(Role.EDITOR)
    endpoint = make_endpoint(receiver.url("/fail"))
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            services.attempt_delivery(_delivery(endpoint).pk)
    endpoint.refresh_from_db()
    assert endpoint.enabled is False
    [mail] = mailoutbox
    assert mail.to == [admin.email]
    assert "switched off" in mail.subject
    assert f"/dashboard/webhooks/{endpoint.pk}/" in mail.body
    assert endpoint.disabled_at is not None
    assert "5 failed attempts in a row" in endpoint.disabled_reason
    notice = Notification.objects.get(kind=Kind.WEBHOOK_DISABLED)
    assert notice.recipient == admin
    assert endpoint.url in notice.text
    assert notice.url == f"/dashboard/webhooks/{endpoint.pk}/"
    assert not Notification.objects.filter(recipient=editor).exists()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.WEBHOOK_DISABLED)
    assert event.actor is None
    assert event.data["endpoint"] == endpoint.pk
    # A delivery due after the switch-off is given up without a request.
    before = len(receiver.requests)
    late = _delivery(endpoint)
    assert services.attempt_delivery(late.pk) == S.GAVE_UP
    assert len(receiver.requests) == before
    late.refresh_from_db()
    assert late.attempts[0]["error"] == "The endpoint is switched off."


def test_a_success_resets_the_failure_count(receiver, make_endpoint):
    endpoint = make_endpoint(receiver.url("/fail"))
    for _ in range(4):
        services.attempt_delivery(_delivery(endpoint).pk)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 4
    endpoint.url = receiver.url("/ok")
    endpoint.save()
    services.attempt_delivery(_delivery(endpoint).pk)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0
    assert endpoint.enabled


def test_deliver_due_sends_what_is_due_only(receiver, make_endpoint):
    endpoint = make_endpoint(receiver.url("/ok"))
    due = _delivery(endpoint)
    later = _delivery(endpoint)
    Delivery.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    assert services.deliver_due() == 1
    assert [r.headers["webhook-id"] for r in receiver.requests] == [due.message_id]


def test_an_in_flight_attempt_holds_a_lease(receiver, make_endpoint):
    endpoint = make_endpoint(receiver.url("/ok"))
    delivery = _delivery(endpoint)
    # What a worker that died mid-send leaves: the lease pushed next_attempt_at ahead.
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() + timedelta(seconds=40)
    )
    assert services.deliver_due() == 0
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert services.deliver_due() == 1


def test_redeliver_sends_again_with_the_same_webhook_id(
    receiver, make_endpoint, admin, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(receiver.url("/ok"))
    delivery = _delivery(endpoint)
    services.attempt_delivery(delivery.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.redeliver(actor=admin, delivery=delivery)
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert ids == [delivery.message_id, delivery.message_id]
    delivery.refresh_from_db()
    assert delivery.attempt_count == 2
    assert delivery.status == S.SUCCEEDED


def test_test_event_is_sent_once_without_retries(
    receiver, make_endpoint, admin, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(receiver.url("/fail"), events=["post.published"])
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.send_test_event(actor=admin, endpoint=endpoint)
    delivery.refresh_from_db()
    assert delivery.event_type == "webhook.test"
    assert delivery.status == S.GAVE_UP
    assert delivery.attempt_count == 1
    body = Webhook(endpoint.secret).verify(receiver.requests[0].body, receiver.requests[0].headers)
    assert body["type"] == "webhook.test"


def test_test_event_is_rate_limited(
    receiver, make_endpoint, admin, settings, django_capture_on_commit_callbacks
):
    from django.core.exceptions import ValidationError

    settings.WEBHOOKS_TEST_RATE_LIMIT = 2
    endpoint = make_endpoint(receiver.url("/ok"))
    with django_capture_on_commit_callbacks(execute=True):
        services.send_test_event(actor=admin, endpoint=endpoint)
        services.send_test_event(actor=admin, endpoint=endpoint)
    with pytest.raises(ValidationError, match="Too many test events"):
        services.send_test_event(actor=admin, endpoint=endpoint)
    assert len(receiver.requests) == 2


def test_retry_is_a_deferred_task_where_the_backend_can_defer(
    receiver, make_endpoint, settings, django_capture_on_commit_callbacks
):
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    endpoint = make_endpoint(receiver.url("/fail"))
    delivery = _delivery(endpoint)
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_delivery(delivery.pk)
    delivery.refresh_from_db()
    [queued] = default_task_backend.results  # type: ignore[attr-defined]  # DummyBackend
    assert queued.task.name == "send_delivery"
    assert queued.args == [delivery.pk]
    assert queued.task.run_after == delivery.next_attempt_at


def test_finished_deliveries_are_pruned_after_the_keep_days(make_endpoint, settings):
    settings.WEBHOOKS_KEEP_DAYS = 30
    endpoint = make_endpoint("http://127.0.0.1:9/hook")
    old = timezone.now() - timedelta(days=31)
    kept = [_delivery(endpoint) for _ in range(3)]
    gone = [_delivery(endpoint) for _ in range(2)]
    Delivery.objects.filter(pk=kept[0].pk).update(status=S.SUCCEEDED, completed_at=timezone.now())
    Delivery.objects.filter(pk=kept[1].pk).update(status=S.FAILED, next_attempt_at=None)
    Delivery.objects.filter(pk__in=[d.pk for d in gone]).update(status=S.GAVE_UP, completed_at=old)
    Delivery.objects.filter(pk=gone[0].pk).update(status=S.SUCCEEDED)
    assert services.prune_deliveries() == 2
    assert set(Delivery.objects.values_list("pk", flat=True)) == {d.pk for d in kept}


def test_an_unexpected_error_is_logged_as_a_failed_attempt(make_endpoint, monkeypatch):
    from apps.webhooks import transport

    def broken(*args, **kwargs):
        raise RuntimeError("surprise")

    monkeypatch.setattr(transport, "post", broken)
    endpoint = make_endpoint("http://127.0.0.1:9/hook")
    delivery = _delivery(endpoint)
    assert services.attempt_delivery(delivery.pk) == S.FAILED
    delivery.refresh_from_db()
    assert delivery.attempts[0]["error"] == "RuntimeError: surprise"
    assert delivery.next_attempt_at is not None
