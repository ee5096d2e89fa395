"""Sending: one attempt at a time, retried with back-off, endpoints switched off when failing.

Each attempt first *claims* its delivery with a conditional update that pushes
`next_attempt_at` past the longest possible attempt (a lease): two workers, or a worker and
the periodic job, can never send the same attempt twice, and a worker that dies mid-send
leaves a delivery that becomes due again when the lease ends. The HTTP request runs outside
any transaction (no row lock held across the network); the result is written afterwards.

Retries wait WEBHOOKS_RETRY_SCHEDULE[n] seconds (stretched by up to WEBHOOKS_RETRY_JITTER,
so endpoints that came back do not get every queued retry at the same second). With the
database task backend each retry is a task with `run_after`; the immediate backend cannot
defer, so `deliver_due` (run by the in-process periodic runner, and by `manage.py
deliver_webhooks` from cron as the safety net) sends what is due.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import default_task_backend, task

from apps.core.transactions import after_commit
from apps.webhooks import transport
from apps.webhooks.events import TEST
from apps.webhooks.models import BODY_LIMIT, Delivery, Endpoint
from apps.webhooks.security import check_target
from apps.webhooks.services.endpoints import disable_endpoint
from apps.webhooks.signing import signed_headers
from apps.webhooks.transport import Outcome

logger = structlog.get_logger("inkwell.webhooks")

S = Delivery.Status
OPEN = (S.PENDING, S.FAILED)
# Deliveries `deliver_due` sends per run (the rest wait for the next run).
DUE_BATCH = 100
PRUNE_EVERY_SECONDS = 3600


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed (compact JSON, UTF-8)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def lease_seconds() -> float:
    return settings.WEBHOOKS_CONNECT_TIMEOUT + settings.WEBHOOKS_READ_TIMEOUT + 30


def retry_delay(attempt: int) -> timedelta | None:
    """How long to wait after failed attempt number `attempt` (1-based); None: give up."""
    schedule = settings.WEBHOOKS_RETRY_SCHEDULE
    if attempt > len(schedule):
        return None
    base = schedule[attempt - 1]
    stretch = 1 + random.uniform(0, settings.WEBHOOKS_RETRY_JITTER)  # noqa: S311  # not crypto
    return timedelta(seconds=base * stretch)


def _claim(delivery_id: int, *, force: bool) -> bool:
    now = timezone.now()
    open_rows = Delivery.objects.filter(pk=delivery_id, status__in=OPEN)
    if not force:
        open_rows = open_rows.filter(next_attempt_at__lte=now)
    return bool(open_rows.update(next_attempt_at=now + timedelta(seconds=lease_seconds())))


def _send(delivery: Delivery, endpoint: Endpoint) -> Outcome:
    try:
        # Checked again now, against what the name resolves to now; the transport then
        # connects to exactly that address.
        target = check_target(endpoint.url)
    except ValidationError as error:
        return Outcome(status=None, duration_ms=0, error="Refused: " + " ".join(error.messages))
    body = body_bytes(delivery.payload)
    headers = signed_headers(
        secret=endpoint.secret, message_id=delivery.message_id, when=timezone.now(), body=body
    )
    return transport.post(target, body, headers)


def attempt_delivery(delivery_id: int, *, force: bool = False) -> str | None:
    """Make one attempt if the delivery is due (or `force`d); its new status, None if not due.

    `force` (a redelivery or test an admin asked for) sends even to a switched-off endpoint.
    """
    if not _claim(delivery_id, force=force):
        return None
    delivery = Delivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.enabled and not force:
        outcome = Outcome(status=None, duration_ms=0, error="The endpoint is switched off.")
        return _record(delivery.pk, outcome, give_up=True)
    try:
        outcome = _send(delivery, endpoint)
    except Exception as error:  # any failure is an attempt, logged and retried
        logger.exception("webhooks.attempt_crashed", delivery_id=delivery.pk)
        outcome = Outcome(status=None, duration_ms=0, error=f"{type(error).__name__}: {error}")
    logger.info(
        "webhooks.attempt",
        delivery_id=delivery.pk,
        endpoint_id=endpoint.pk,
        event_type=delivery.event_type,
        status=outcome.status,
        ok=outcome.ok,
        duration_ms=outcome.duration_ms,
    )
    return _record(delivery.pk, outcome, give_up=delivery.event_type == TEST)


def _log_entry(outcome: Outcome, when: datetime) -> dict[str, Any]:
    error = outcome.error
    if not error and not outcome.ok and outcome.status is not None:
        if 300 <= outcome.status < 400:
            to = f" to {outcome.location}" if outcome.location else ""
            error = f"Redirect (HTTP {outcome.status}){to}: redirects are not followed."
        else:
            error = f"HTTP {outcome.status}: only a 2xx answer counts as delivered."
    return {
        "at": when.isoformat(),
        "status": outcome.status,
        "duration_ms": outcome.duration_ms,
        "body": outcome.body[:BODY_LIMIT],
        "error": error[:BODY_LIMIT],
    }


@transaction.atomic
def _record(delivery_id: int, outcome: Outcome, *, give_up: bool = False) -> str:
    """Store an attempt's result; schedule the retry, or give up; count the endpoint's failures."""
    now = timezone.now()
    delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
    entry = _log_entry(outcome, now)
    delivery.attempts = [*delivery.attempts, entry]
    delivery.attempt_count += 1
    if outcome.ok:
        delivery.status = S.SUCCEEDED
        delivery.next_attempt_at = None
        delivery.completed_at = now
        Endpoint.objects.filter(pk=delivery.endpoint_id, consecutive_failures__gt=0).update(
            consecutive_failures=0
        )
    else:
        delay = None if give_up else retry_delay(delivery.attempt_count)
        if delay is None:
            delivery.status = S.GAVE_UP
            delivery.next_attempt_at = None
            delivery.completed_at = now
        else:
            delivery.status = S.FAILED
            delivery.next_attempt_at = now + delay
            after_commit(_enqueue_retry, delivery.pk, delivery.next_attempt_at)
        if entry["error"] != "The endpoint is switched off.":
            _count_failure(delivery.endpoint_id, entry["error"])
    delivery.save(
        update_fields=["attempts", "attempt_count", "status", "next_attempt_at", "completed_at"]
    )
    return str(delivery.status)


def _count_failure(endpoint_id: int, error: str) -> None:
    Endpoint.objects.filter(pk=endpoint_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    failures = (
        Endpoint.objects.filter(pk=endpoint_id, enabled=True)
        .values_list("consecutive_failures", flat=True)
        .first()
    )
    limit = settings.WEBHOOKS_DISABLE_AFTER_FAILURES
    if failures is not None and failures >= limit:
        disable_endpoint(
            endpoint_id=endpoint_id,
            reason=f"{failures} failed attempts in a row. The last: {error}"[:300],
        )


def _enqueue_retry(delivery_id: int, when: datetime) -> None:
    if default_task_backend.supports_defer:
        send_delivery.using(run_after=when).enqueue(delivery_id)


def prune_deliveries(*, now: datetime | None = None) -> int:
    """Delete finished deliveries older than WEBHOOKS_KEEP_DAYS; how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOKS_KEEP_DAYS)
    deleted, _details = Delivery.objects.filter(
        status__in=(S.SUCCEEDED, S.GAVE_UP), completed_at__lt=cutoff
    ).delete()
    return deleted


def deliver_due(*, limit: int = DUE_BATCH) -> int:
    """Attempt every delivery whose time has come (oldest first); how many were attempted.

    Also prunes the log, at most once an hour (the periodic runner calls this every few
    seconds; `manage.py deliver_webhooks` from cron in production).
    """
    if cache.add("webhooks:prune:ran", 1, timeout=PRUNE_EVERY_SECONDS):
        prune_deliveries()
    due = list(
        Delivery.objects.filter(status__in=OPEN, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(attempt_delivery(pk) is not None for pk in due)


@task()
def send_delivery(delivery_id: int, force: bool = False) -> str | None:
    """Make one attempt at a delivery (safe to run twice: the claim lets one through)."""
    return attempt_delivery(delivery_id, force=force)


@task()
def dispatch_deliveries(delivery_ids: list[int]) -> int:
    """Fan one event's deliveries out to one task each (so a slow endpoint delays no other).

    The publishing request enqueues this single task, whatever the number of endpoints.
    """
    for delivery_id in delivery_ids:
        send_delivery.enqueue(delivery_id)
    return len(delivery_ids)
