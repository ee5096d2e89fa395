"""Notification reads shared by the pages, the header bell, the consumer, the API and the mailer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, QuerySet, Subquery
from django.db.models.functions import Coalesce

from apps.accounts.models import User
from apps.notifications.models import Delivery, Kind, Notification, NotificationPreference

BELL_ITEMS = 5


def notifications_for(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first (one query however many are listed)."""
    queryset = Notification.objects.filter(recipient=user).select_related("actor")
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset.order_by("-created_at", "-id")


def unread_count(user: User | AnonymousUser) -> int:
    """How many of the user's notifications are unread (0 for visitors)."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def preferences_for(user: User) -> dict[str, str]:
    """Every kind with the user's delivery choice for it (in_app where they chose nothing)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))
    return {kind: chosen.get(kind, Delivery.IN_APP) for kind in Kind.values}


@dataclass(frozen=True)
class Bell:
    """What the header's bell shows: the unread count and the latest few notifications."""

    unread: int = 0
    latest: Sequence[Notification] = ()


def bell_for(user: User | AnonymousUser) -> Bell:
    """The header bell's data in one query; an empty bell (no queries) for visitors."""
    if not isinstance(user, User) or not user.is_authenticated:
        return Bell()
    # Every signed-in page renders the bell, so the count rides along on the latest
    # rows as a subquery instead of costing a second query. No rows means no unread.
    unread = (
        Notification.objects.filter(recipient=user, read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(total=Count("pk"))
        .values("total")
    )
    latest = list(
        notifications_for(user).annotate(unread_total=Coalesce(Subquery(unread), 0))[:BELL_ITEMS]
    )
    return Bell(unread=latest[0].unread_total if latest else 0, latest=latest)
