"""Newsletter reads shared by the public pages, the API and the other parts of the app."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.selectors import has_verified_email
from apps.newsletter import tokens
from apps.newsletter.models import (
    Campaign,
    Newsletter,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
    normalise_email,
)


def newsletters_offered() -> QuerySet[Newsletter]:
    """The newsletters readers may subscribe to, in the site's order."""
    return Newsletter.objects.filter(is_active=True).order_by("position", "name")


def default_newsletters() -> QuerySet[Newsletter]:
    """What a sign-up box subscribes to when the reader chose nothing."""
    return newsletters_offered().filter(is_default=True)


def subscriber_by_email(email: str) -> Subscriber | None:
    return Subscriber.objects.filter(email=normalise_email(email)).first()


def subscriber_for_user(user: User | AnonymousUser) -> Subscriber | None:
    """The reader's own subscriber: linked to the account, or at its *verified* address.

    An unverified account address proves nothing: its subscriber may be someone else's.
    """
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    linked = Subscriber.objects.filter(user=user).first()
    if linked is not None or not has_verified_email(user):
        return linked
    return Subscriber.objects.filter(email=normalise_email(user.email)).first()


def subscriptions_of(subscriber: Subscriber | None) -> dict[int, Subscription]:
    """The subscriber's subscriptions by newsletter id (empty for nobody)."""
    if subscriber is None:
        return {}
    return {s.newsletter_id: s for s in subscriber.subscriptions.all()}


def is_suppressed(email: str) -> bool:
    """Never mail this address (a hard bounce, a complaint, or staff said so)."""
    return Suppression.objects.filter(email=normalise_email(email)).exists()


def subscriber_for_confirm_token(token: str) -> Subscriber:
    """The subscriber a confirmation link is for, or BadTokenError (nothing is changed)."""
    subscriber_id, version = tokens.read_confirm_token(token)
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None or subscriber.token_version != version:
        raise tokens.BadTokenError("unknown subscriber")
    return subscriber


def waiting_for_confirmation(subscriber: Subscriber) -> QuerySet[Subscription]:
    """The subscriber's pending subscriptions that a confirmation link may still activate."""
    cutoff = timezone.now() - timedelta(days=settings.NEWSLETTER_CONFIRM_DAYS)
    return subscriber.subscriptions.filter(
        status=SubscriptionStatus.PENDING, requested_at__gte=cutoff
    ).select_related("newsletter")


def subscriber_for_manage_token(token: str) -> tuple[Subscriber, int | None]:
    """The subscriber (and campaign) of a preferences or unsubscribe link, or BadTokenError."""
    subscriber_id, version, campaign_id = tokens.read_manage_token(token)
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None or subscriber.token_version != version:
        raise tokens.BadTokenError("unknown subscriber")
    return subscriber, campaign_id


def newsletters_of_campaign(campaign_id: int | None) -> list[Newsletter] | None:
    """What a campaign's unsubscribe link leaves: its newsletters (None: all, if unknown)."""
    if campaign_id is None:
        return None
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return None
    chosen = list(campaign.newsletters.all())
    return chosen or None
