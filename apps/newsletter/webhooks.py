"""Receivers for django-anymail's `tracking` signal: bounces, complaints, unsubscribes.

anymail's views (/newsletter/anymail/<esp>/tracking/) check each provider's signature or
the shared basic-auth secret (ANYMAIL WEBHOOK_SECRET) and refuse a bad one before any
receiver runs; they then send one normalised event per provider event. Here:

- a hard bounce (`bounced`; a soft one arrives as `deferred` and is ignored) or a
  rejection because the address bounced before or is invalid puts the address on the
  suppression list; a complaint (`complained`, or a rejection for spam) does too. The
  matching delivery gets `bounced_at` / `complained_at`.
- `unsubscribed` (the provider's own unsubscribe link or list-unsubscribe handling)
  unsubscribes the reader from every newsletter.

The delivery is found by the provider's message id (anymail_status.message_id, stored as
`provider_id`) or by our Message-ID header; the address comes from the event.
"""

from __future__ import annotations

from typing import Any

import structlog
from anymail.signals import AnymailTrackingEvent, EventType, RejectReason, tracking
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone

from apps.newsletter.models import (
    Delivery,
    Source,
    Subscriber,
    Suppression,
    SuppressionReason,
    normalise_email,
)
from apps.newsletter.subscribers import unsubscribe

logger = structlog.get_logger("inkwell.newsletter")

_BOUNCE_REJECTS = {RejectReason.BOUNCED, RejectReason.INVALID}


def _kind(event: AnymailTrackingEvent) -> str | None:
    if event.event_type == EventType.BOUNCED:
        return SuppressionReason.HARD_BOUNCE
    if event.event_type == EventType.COMPLAINED:
        return SuppressionReason.COMPLAINT
    if event.event_type == EventType.REJECTED:
        if event.reject_reason in _BOUNCE_REJECTS:
            return SuppressionReason.HARD_BOUNCE
        if event.reject_reason == RejectReason.SPAM:
            return SuppressionReason.COMPLAINT
    if event.event_type == EventType.UNSUBSCRIBED:
        return "unsubscribed"
    return None


def _delivery(event: AnymailTrackingEvent) -> Delivery | None:
    ident = (event.message_id or "").strip()
    if not ident:
        return None
    bare = ident.strip("<>")
    wrapped = f"<{bare}>"
    return (
        Delivery.objects.filter(
            Q(provider_id__in=[ident, bare, wrapped]) | Q(message_id__in=[ident, wrapped])
        )
        .order_by("-id")
        .first()
    )


@receiver(tracking, dispatch_uid="inkwell.newsletter.tracking")
def handle_tracking(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    kind = _kind(event)
    if kind is None:
        return
    record_event(event=event, kind=kind, esp_name=esp_name)


@transaction.atomic
def record_event(*, event: AnymailTrackingEvent, kind: str, esp_name: str) -> None:
    """Apply one bounce, complaint or unsubscribe from a provider (idempotent)."""
    found = _delivery(event)
    email = normalise_email(event.recipient or (found.email if found else ""))
    now = event.timestamp or timezone.now()
    if kind == "unsubscribed":
        subscriber = Subscriber.objects.filter(email=email).first() if email else None
        if subscriber is None and found is not None and found.subscriber_id:
            subscriber = found.subscriber
        if subscriber is not None:
            _unsubscribe(subscriber, campaign_id=found.campaign_id if found else None)
        logger.info("newsletter.provider_unsubscribe", esp=esp_name, matched=found is not None)
        return
    if email:
        detail = (event.description or event.mta_response or f"{esp_name} {event.event_type}")[:500]
        Suppression.objects.get_or_create(email=email, defaults={"reason": kind, "detail": detail})
    if found is not None:
        field = "bounced_at" if kind == SuppressionReason.HARD_BOUNCE else "complained_at"
        Delivery.objects.filter(pk=found.pk, **{f"{field}__isnull": True}).update(**{field: now})
    logger.info("newsletter.suppressed", reason=kind, esp=esp_name, matched=found is not None)


def _unsubscribe(subscriber: Subscriber, *, campaign_id: int | None) -> None:
    """The provider's own unsubscribe (its list-unsubscribe handling): leave every list."""
    unsubscribe(subscriber=subscriber, campaign_id=campaign_id, source=Source.PROVIDER)
