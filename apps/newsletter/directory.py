"""Reads behind the dashboard's subscriber list and suppression list.

Every query here has a fixed cost whatever the page holds: the list is one count, one
page of subscribers (with "suppressed" computed in the same query) and one prefetch of
their subscriptions with the newsletter joined in.
"""

from __future__ import annotations

from typing import Final

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from apps.newsletter.models import (
    Campaign,
    CampaignStatus,
    Newsletter,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
    normalise_email,
)

# The status filter's choices, in the order the dashboard offers them.
STATUSES: Final[dict[str, str]] = {
    "confirmed": "Subscribed",
    "pending": "Waiting for confirmation",
    "unsubscribed": "Unsubscribed",
    "suppressed": "Suppressed",
}
MAX_QUERY_LENGTH: Final = 254


def _suppressed() -> Exists:
    return Exists(Suppression.objects.filter(email=OuterRef("email")))


def _subscriptions(newsletter_id: int | None, status: str) -> Exists:
    """Whether the subscriber has a subscription with `status` (in one newsletter, if given)."""
    rows = Subscription.objects.filter(subscriber=OuterRef("pk"), status=status)
    if newsletter_id is not None:
        rows = rows.filter(newsletter_id=newsletter_id)
    return Exists(rows)


def subscriber_directory(
    *, q: str = "", newsletter_id: int | None = None, status: str = ""
) -> QuerySet[Subscriber]:
    """Subscribers for the staff list: newest first, searched by address, filtered.

    `q` matches part of the address (normalised like the addresses themselves).
    `newsletter_id` keeps subscribers who have any subscription to it; with `status`, the
    status applies to that newsletter. `status` is one of STATUSES (anything else is
    ignored): "confirmed" = an active subscription and not suppressed, "pending" = waiting
    for confirmation, "unsubscribed" = unsubscribed and no active subscription left,
    "suppressed" = on the suppression list. Each row carries `is_suppressed` and its
    `subscriptions` (newsletter joined), so showing a page costs no further query.
    """
    rows = Subscriber.objects.annotate(is_suppressed=_suppressed()).prefetch_related(
        Prefetch(
            "subscriptions",
            queryset=Subscription.objects.select_related("newsletter").order_by(
                "newsletter__position", "newsletter__name"
            ),
        )
    )
    needle = normalise_email(q)[:MAX_QUERY_LENGTH]
    if needle:
        rows = rows.filter(email__contains=needle)
    if newsletter_id is not None:
        rows = rows.filter(
            Exists(
                Subscription.objects.filter(subscriber=OuterRef("pk"), newsletter_id=newsletter_id)
            )
        )
    if status == "confirmed":
        rows = rows.filter(
            _subscriptions(newsletter_id, SubscriptionStatus.ACTIVE), is_suppressed=False
        )
    elif status == "pending":
        rows = rows.filter(_subscriptions(newsletter_id, SubscriptionStatus.PENDING))
    elif status == "unsubscribed":
        rows = rows.filter(
            _subscriptions(newsletter_id, SubscriptionStatus.UNSUBSCRIBED),
            ~_subscriptions(newsletter_id, SubscriptionStatus.ACTIVE),
        )
    elif status == "suppressed":
        rows = rows.filter(is_suppressed=True)
    return rows.order_by("-created_at", "-id")


def campaigns_for_staff() -> QuerySet[Campaign]:
    """Every campaign, newest first, with its post, author and newsletters loaded.

    Versions in other languages are listed on their campaign's page, not here.
    """
    return (
        Campaign.objects.filter(translation_of__isnull=True)
        .select_related("post", "created_by")
        .prefetch_related("newsletters")
        .order_by("-created_at", "-id")
    )


def post_email_campaign(post_id: int) -> Campaign | None:
    """The campaign that mails this post when it goes live ("also email this post"), if any."""
    return (
        Campaign.objects.filter(post_id=post_id, from_publish=True)
        .exclude(status=CampaignStatus.CANCELLED)
        .prefetch_related("newsletters")
        .first()
    )


def newsletters_for_staff() -> QuerySet[Newsletter]:
    """Every newsletter, inactive ones included (staff filter and import into any of them)."""
    return Newsletter.objects.order_by("position", "name")


def suppression_list(*, q: str = "") -> QuerySet[Suppression]:
    """Suppressed addresses, newest first, searched by part of the address."""
    rows = Suppression.objects.all()
    needle = normalise_email(q)[:MAX_QUERY_LENGTH]
    if needle:
        rows = rows.filter(email__contains=needle)
    return rows.order_by("-created_at", "-id")


def subscriber_counts() -> dict[str, int]:
    """How many subscribers each status filter would show (across all newsletters); 4 queries."""
    return {key: subscriber_directory(status=key).count() for key in STATUSES}


def is_suppressed(email: str) -> bool:
    """True when no newsletter may mail `email`."""
    return Suppression.objects.filter(email=normalise_email(email)).exists()


def suppressed_among(emails: list[str]) -> set[str]:
    """The normalised addresses of `emails` that are on the suppression list."""
    found: set[str] = set()
    for start in range(0, len(emails), 500):
        chunk = emails[start : start + 500]
        found.update(Suppression.objects.filter(email__in=chunk).values_list("email", flat=True))
    return found


__all__ = [
    "STATUSES",
    "campaigns_for_staff",
    "is_suppressed",
    "newsletters_for_staff",
    "post_email_campaign",
    "subscriber_counts",
    "subscriber_directory",
    "suppressed_among",
    "suppression_list",
]
