"""Emitting events: the one call the other apps make, and the admin's test and redelivery.

`emit(event_type, data)` is called inside the service that made the change. One query finds
the enabled endpoints that subscribe; nothing else happens until that transaction commits
(a rolled-back publish sends nothing); then one insert stores a delivery for each endpoint
and one task fans them out to the worker. So a publish costs the same number of queries
whether there are one or a hundred endpoints, and a site with none pays one query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.permissions import require
from apps.core.ratelimit import hit
from apps.core.transactions import after_commit
from apps.webhooks.events import EVENTS, TEST, subscribes_to
from apps.webhooks.models import Delivery, Endpoint
from apps.webhooks.payloads import envelope
from apps.webhooks.services.delivery import dispatch_deliveries, send_delivery
from apps.webhooks.services.endpoints import MANAGE
from apps.webhooks.signing import new_message_id

S = Delivery.Status
Data = dict[str, Any]


def subscribed_endpoints(event_type: str) -> list[int]:
    """The enabled endpoints that want `event_type` (one query, whatever their number)."""
    endpoints = Endpoint.objects.filter(enabled=True).values_list("pk", "events")
    return [pk for pk, events in endpoints if subscribes_to(events, event_type)]


def emit(event_type: str, data: Data | Callable[[], Data]) -> list[int]:
    """Send `event_type` to every subscribed endpoint once the transaction commits.

    `data` may be a function: it is called only when some endpoint wants the event, so a
    site without webhooks pays one (cacheable) query per event and nothing else. The
    endpoints are chosen now, inside the caller's transaction; the deliveries are stored
    and queued after the commit (a rollback sends nothing). Returns the endpoints' ids.
    """
    if event_type not in EVENTS:
        raise ValueError(f"Unknown webhook event {event_type!r}.")
    targets = subscribed_endpoints(event_type)
    if targets:
        body = envelope(event_type, data() if callable(data) else data)
        after_commit(fan_out, event_type, targets, body)
    return targets


def fan_out(event_type: str, endpoint_ids: list[int], body: Data) -> list[int]:
    """Store one delivery per endpoint in one insert and queue them in one task; their ids."""
    now = timezone.now()
    created = Delivery.objects.bulk_create(
        [
            Delivery(
                endpoint_id=pk,
                event_type=event_type,
                message_id=new_message_id(),
                payload=body,
                next_attempt_at=now,
            )
            for pk in endpoint_ids
        ]
    )
    ids = [delivery.pk for delivery in created]
    dispatch_deliveries.enqueue(ids)
    return ids


@transaction.atomic
def send_test_event(*, actor: User, endpoint: Endpoint) -> Delivery:
    """Send `webhook.test` to one endpoint now (once, no retries; rate limited per endpoint)."""
    require(actor, MANAGE)
    usage = hit(f"webhooks:test:{endpoint.pk}", limit=settings.WEBHOOKS_TEST_RATE_LIMIT, window=60)
    if not usage.allowed:
        raise ValidationError(
            _("Too many test events for this endpoint; try again in %(seconds)d s.")
            % {"seconds": usage.retry_after},
            code="rate_limited",
        )
    data = {"endpoint_id": endpoint.pk, "message": "A test event from the Inkwell dashboard."}
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event_type=TEST,
        message_id=new_message_id(),
        payload=envelope(TEST, data),
        next_attempt_at=timezone.now(),
    )
    after_commit(_send_now, delivery.pk)
    return delivery


@transaction.atomic
def redeliver(*, actor: User, delivery: Delivery, request: HttpRequest | None = None) -> Delivery:
    """Send a delivery again now, with the same `webhook-id` (receivers can de-duplicate)."""
    require(actor, MANAGE)
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if locked.status in (S.PENDING, S.FAILED) and locked.attempt_count == 0:
        raise ValidationError(_("This delivery has not been tried yet."), code="not_tried")
    locked.status = S.PENDING
    locked.next_attempt_at = timezone.now()
    locked.completed_at = None
    locked.save(update_fields=["status", "next_attempt_at", "completed_at"])
    after_commit(_send_now, locked.pk)
    return locked


def _send_now(delivery_id: int) -> None:
    send_delivery.enqueue(delivery_id, True)
