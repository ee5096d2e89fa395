"""Reads for the dashboard's webhook pages (admins only; the views check)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from apps.webhooks.models import Delivery, Endpoint


def endpoints_for_admin() -> QuerySet[Endpoint]:
    """Every endpoint, newest first, with its pending and failed delivery counts."""
    open_statuses = [Delivery.Status.PENDING, Delivery.Status.FAILED]
    return Endpoint.objects.annotate(
        open_deliveries=Count("deliveries", filter=Q(deliveries__status__in=open_statuses)),
        gave_up_deliveries=Count(
            "deliveries", filter=Q(deliveries__status=Delivery.Status.GAVE_UP)
        ),
    ).order_by("-created_at", "-id")


def deliveries_for_endpoint(endpoint: Endpoint, *, status: str = "") -> QuerySet[Delivery]:
    """The endpoint's deliveries, newest first (optionally one status only)."""
    deliveries = Delivery.objects.filter(endpoint=endpoint)
    if status in Delivery.Status.values:
        deliveries = deliveries.filter(status=status)
    return deliveries.order_by("-created_at", "-id")
