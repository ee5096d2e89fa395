"""The audit log's one writer. Security events go through `record_event` and nowhere else."""

from __future__ import annotations

from typing import Any

import structlog
from django.http import HttpRequest

from apps.accounts.models import AuditEvent, User
from apps.core.http import client_ip, user_agent

logger = structlog.get_logger("inkwell.audit")

Kind = AuditEvent.Kind


def _label(user: User | None) -> str:
    return user.email if user is not None and user.pk else ""


def record_event(
    *,
    kind: AuditEvent.Kind,
    actor: User | None = None,
    target: User | None = None,
    request: HttpRequest | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event (who, what, to whom, from where); also log it as a structured line."""
    actor = actor if actor is not None and actor.is_authenticated else None
    event = AuditEvent(
        kind=kind,
        actor=actor,
        actor_label=_label(actor) or str((data or {}).get("login", ""))[:254],
        target=target if target is not None and target.pk else None,
        target_label=_label(target),
        ip=client_ip(request) if request is not None else None,
        user_agent=user_agent(request) if request is not None else "",
        data=data or {},
    )
    event.save()
    logger.info(
        "audit",
        kind=str(kind),
        actor=event.actor_label,
        target=event.target_label,
        ip=event.ip,
    )
    return event
