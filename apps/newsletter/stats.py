"""Read-only numbers for the dashboard: per-campaign results and subscriber growth.

campaign_stats is two queries (one aggregate over the deliveries, one for the failure
reasons); subscriber_growth is three (today's total, new per day, departures per day).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.newsletter.models import (
    Campaign,
    Delivery,
    DeliveryStatus,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)


@dataclass(frozen=True)
class FailureReason:
    reason: str
    count: int


@dataclass(frozen=True)
class CampaignStats:
    recipients: int
    sent: int
    pending: int
    failed: int
    skipped: int
    bounced: int
    complained: int
    unsubscribed: int
    # None when tracking is off (NEWSLETTER_TRACKING): not zero, unknown.
    opened: int | None
    clicked: int | None
    reasons: list[FailureReason] = field(default_factory=list)


def campaign_stats(campaign: Campaign) -> CampaignStats:
    """What happened to a campaign's mail; opens and clicks only when tracking is on."""
    d = DeliveryStatus
    row = Delivery.objects.filter(campaign=campaign).aggregate(
        recipients=Count("pk"),
        sent=Count("pk", filter=Q(status=d.SENT)),
        pending=Count("pk", filter=Q(status__in=[d.PENDING, d.SENDING])),
        failed=Count("pk", filter=Q(status=d.FAILED)),
        skipped=Count("pk", filter=Q(status=d.SKIPPED)),
        bounced=Count("pk", filter=Q(bounced_at__isnull=False)),
        complained=Count("pk", filter=Q(complained_at__isnull=False)),
        unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
    )
    reasons = [
        FailureReason(reason=r["error"] or "Unknown", count=r["n"])
        for r in Delivery.objects.filter(campaign=campaign, status=d.FAILED)
        .values("error")
        .annotate(n=Count("pk"))
        .order_by("-n", "error")[:20]
    ]
    tracking = settings.NEWSLETTER_TRACKING
    return CampaignStats(
        recipients=row["recipients"],
        sent=row["sent"],
        pending=row["pending"],
        failed=row["failed"],
        skipped=row["skipped"],
        bounced=row["bounced"],
        complained=row["complained"],
        unsubscribed=row["unsubscribed"],
        opened=row["opened"] if tracking else None,
        clicked=row["clicked"] if tracking else None,
        reasons=reasons,
    )


class GrowthPoint(NamedTuple):
    day: date
    total: int  # active subscribers at the end of the day
    new: int  # confirmed that day
    unsubscribed: int  # left their last newsletter that day


def subscriber_growth(days: int = 90) -> list[GrowthPoint]:
    """Active subscribers per day for the last `days` days, with arrivals and departures.

    An active subscriber is confirmed and has at least one active subscription. Past
    totals are today's total walked back by each day's arrivals and departures (erased
    subscribers leave no trace, so old totals are a close estimate, not an audit).
    """
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    active = Exists(
        Subscription.objects.filter(subscriber=OuterRef("pk"), status=SubscriptionStatus.ACTIVE)
    )
    total_now = Subscriber.objects.filter(active, confirmed_at__isnull=False).count()
    last_left = (
        Subscription.objects.filter(subscriber=OuterRef("pk"), unsubscribed_at__isnull=False)
        .order_by("-unsubscribed_at")
        .values("unsubscribed_at")[:1]
    )
    new_by_day = dict(
        Subscriber.objects.filter(confirmed_at__date__gte=first)
        .annotate(day=TruncDate("confirmed_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    left_by_day = dict(
        Subscriber.objects.filter(~active, confirmed_at__isnull=False)
        .annotate(left_at=Subquery(last_left))
        .filter(left_at__date__gte=first)
        .annotate(day=TruncDate("left_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    points: list[GrowthPoint] = []
    total = total_now
    for offset in range(days):
        day = today - timedelta(days=offset)
        new, left = new_by_day.get(day, 0), left_by_day.get(day, 0)
        points.append(GrowthPoint(day=day, total=max(total, 0), new=new, unsubscribed=left))
        total = total - new + left  # the day before
    points.reverse()
    return points
