"""Account reads shared by pages, the API and consumers."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db.models import QuerySet
from django.utils import timezone
from qsessions.models import Session

from apps.accounts.models import AuditEvent, User


def has_verified_email(user: User) -> bool:
    """True once the user has confirmed their primary email address."""
    return bool(
        user.is_authenticated
        and EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
    )


def sessions_for_user(user: User) -> QuerySet[Session]:
    """The user's live sessions, most recently active first."""
    sessions: QuerySet[Session] = Session.objects.filter(
        user=user, expire_date__gt=timezone.now()
    ).order_by("-updated_at")
    return sessions


def audit_events() -> QuerySet[AuditEvent]:
    """Every audit event, newest first, with actor and target loaded."""
    return AuditEvent.objects.select_related("actor", "target").order_by("-created_at", "-id")
