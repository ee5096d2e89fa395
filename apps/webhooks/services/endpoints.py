"""Endpoint writes: register, edit, delete, rotate the secret, switch on and off.

Admins only (`settings.manage`), checked here for every entry point. Registration, URL
changes, deletion, secret rotation and every switch on or off are security events and go
to the audit log: a webhook sends the site's activity to another server.
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.audit import record_event
from apps.accounts.models import AuditEvent, User
from apps.accounts.permissions import require
from apps.accounts.roles import Role
from apps.core.transactions import after_commit
from apps.notifications.models import Kind as NoticeKind
from apps.notifications.services import notify
from apps.webhooks.events import ALL, EVENTS
from apps.webhooks.models import Endpoint
from apps.webhooks.security import check_url_for_registration
from apps.webhooks.signing import generate_secret

logger = structlog.get_logger("inkwell.webhooks")

MANAGE = "settings.manage"


def clean_events(events: Iterable[str]) -> list[str]:
    """The subscribed events, known names only, `all` alone if chosen; at least one."""
    chosen = list(dict.fromkeys(events))
    unknown = [name for name in chosen if name != ALL and name not in EVENTS]
    if unknown:
        raise ValidationError(
            {"events": _("Unknown event: %(names)s.") % {"names": ", ".join(unknown)}},
            code="unknown_event",
        )
    if not chosen:
        raise ValidationError({"events": _("Choose at least one event.")}, code="no_events")
    return [ALL] if ALL in chosen else chosen


def _clean_url(url: str) -> str:
    try:
        return check_url_for_registration(url)
    except ValidationError as error:
        raise ValidationError({"url": error.messages}) from None


@transaction.atomic
def create_endpoint(
    *,
    actor: User,
    url: str,
    events: Iterable[str],
    description: str = "",
    request: HttpRequest | None = None,
) -> Endpoint:
    """Register an endpoint with a new secret (the URL must pass the address rule now)."""
    require(actor, MANAGE)
    endpoint = Endpoint(
        url=_clean_url(url),
        events=clean_events(events),
        description=description.strip()[:200],
        secret=generate_secret(),
        created_by=actor,
    )
    endpoint.full_clean()
    endpoint.save()
    record_event(
        kind=AuditEvent.Kind.WEBHOOK_CREATED,
        actor=actor,
        request=request,
        data={"endpoint": endpoint.pk, "url": endpoint.url, "events": endpoint.events},
    )
    return endpoint


@transaction.atomic
def update_endpoint(
    *,
    actor: User,
    endpoint: Endpoint,
    url: str,
    events: Iterable[str],
    description: str = "",
    request: HttpRequest | None = None,
) -> Endpoint:
    """Change an endpoint's URL, events or description (a new URL is checked and audited)."""
    require(actor, MANAGE)
    locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    old_url = locked.url
    locked.url = _clean_url(url)
    locked.events = clean_events(events)
    locked.description = description.strip()[:200]
    locked.full_clean()
    locked.save(update_fields=["url", "events", "description"])
    if locked.url != old_url:
        record_event(
            kind=AuditEvent.Kind.WEBHOOK_UPDATED,
            actor=actor,
            request=request,
            data={"endpoint": locked.pk, "url": locked.url, "old_url": old_url},
        )
    return locked


@transaction.atomic
def delete_endpoint(*, actor: User, endpoint: Endpoint, request: HttpRequest | None = None) -> None:
    """Delete an endpoint and its delivery log."""
    require(actor, MANAGE)
    record_event(
        kind=AuditEvent.Kind.WEBHOOK_DELETED,
        actor=actor,
        request=request,
        data={"endpoint": endpoint.pk, "url": endpoint.url},
    )
    endpoint.delete()


@transaction.atomic
def rotate_secret(
    *, actor: User, endpoint: Endpoint, request: HttpRequest | None = None
) -> Endpoint:
    """Give the endpoint a new secret; the old one stops working at once."""
    require(actor, MANAGE)
    locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    locked.secret = generate_secret()
    locked.secret_rotated_at = timezone.now()
    locked.save(update_fields=["secret", "secret_rotated_at"])
    record_event(
        kind=AuditEvent.Kind.WEBHOOK_SECRET_ROTATED,
        actor=actor,
        request=request,
        data={"endpoint": locked.pk, "url": locked.url},
    )
    return locked


@transaction.atomic
def enable_endpoint(
    *, actor: User, endpoint: Endpoint, request: HttpRequest | None = None
) -> Endpoint:
    """Switch an endpoint back on with a clean failure count (its URL is checked again)."""
    require(actor, MANAGE)
    locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    _clean_url(locked.url)
    locked.enabled = True
    locked.disabled_reason = ""
    locked.disabled_at = None
    locked.consecutive_failures = 0
    locked.save(update_fields=["enabled", "disabled_reason", "disabled_at", "consecutive_failures"])
    record_event(
        kind=AuditEvent.Kind.WEBHOOK_ENABLED,
        actor=actor,
        request=request,
        data={"endpoint": locked.pk, "url": locked.url},
    )
    return locked


@transaction.atomic
def disable_endpoint(
    *,
    endpoint_id: int,
    reason: str,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> Endpoint | None:
    """Switch an endpoint off (an admin, or the worker after too many failures).

    The worker (no actor) also tells every admin, in the bell and by email (after commit).
    None if it was already off or is gone.
    """
    if actor is not None:
        require(actor, MANAGE)
    locked = Endpoint.objects.select_for_update().filter(pk=endpoint_id, enabled=True).first()
    if locked is None:
        return None
    locked.enabled = False
    locked.disabled_reason = reason[:300]
    locked.disabled_at = timezone.now()
    locked.save(update_fields=["enabled", "disabled_reason", "disabled_at"])
    record_event(
        kind=AuditEvent.Kind.WEBHOOK_DISABLED,
        actor=actor,
        request=request,
        data={"endpoint": locked.pk, "url": locked.url, "reason": locked.disabled_reason},
    )
    logger.warning("webhooks.endpoint_disabled", endpoint_id=locked.pk, reason=reason)
    if actor is None:
        admins = admin_ids()
        text = f"The webhook endpoint {locked.url} was switched off: {locked.disabled_reason}"
        path = reverse("dashboard:webhook_detail", args=[locked.pk])
        notify(
            recipient_ids=admins,
            kind=NoticeKind.WEBHOOK_DISABLED,
            actor_id=None,
            text=text,
            url=path,
        )
        after_commit(_mail_admins, admins, text, path)
    return locked


def _mail_admins(admin_ids: list[int], text: str, path: str) -> None:
    """Mail the admins too: a switched-off endpoint loses events until someone acts."""
    addresses = list(
        User.objects.filter(pk__in=admin_ids, is_active=True).values_list("email", flat=True)
    )
    if not addresses:
        return
    body = (
        f"{text}\n\nNothing is sent to it until an admin switches it on again:\n"
        f"{settings.SITE_URL.rstrip('/')}{path}\n"
    )
    send_mail(
        f"[{settings.SITE_NAME}] A webhook endpoint was switched off",
        body,
        None,
        addresses,
    )


def admin_ids() -> list[int]:
    """Every active admin (the admin role, or a superuser)."""
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name=Role.ADMIN.value))
        .values_list("pk", flat=True)
        .distinct()
    )
