"""Helpers for the campaign and delivery tests: an editor, an audience, a sink-backed send."""

from __future__ import annotations

from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.newsletter.models import (
    Campaign,
    CampaignStatus,
    Newsletter,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from tests.accounts.conftest import make_user_with_role
from tests.factories.newsletter import CampaignFactory, NewsletterFactory


def make_editor() -> User:
    return make_user_with_role(Role.EDITOR, email="editor@example.com")


def audience(count: int, newsletter: Newsletter, *, prefix: str = "r") -> list[Subscriber]:
    """`count` confirmed subscribers actively subscribed to `newsletter` (bulk inserts)."""
    now = timezone.now()
    subscribers = Subscriber.objects.bulk_create(
        [Subscriber(email=f"{prefix}{i}@example.com", confirmed_at=now) for i in range(count)]
    )
    Subscription.objects.bulk_create(
        [
            Subscription(
                subscriber=s,
                newsletter=newsletter,
                status=SubscriptionStatus.ACTIVE,
                subscribed_at=now,
            )
            for s in subscribers
        ]
    )
    return subscribers


def sending_campaign(*newsletters: Newsletter, **fields) -> Campaign:
    letters = newsletters or (NewsletterFactory.create(),)
    campaign = CampaignFactory.create(
        status=CampaignStatus.SENDING, started_at=timezone.now(), **fields
    )
    campaign.newsletters.set(letters)
    return campaign


def use_sink(settings, sink, *, timeout: float = 5.0) -> None:
    settings.NEWSLETTER_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_TIMEOUT = timeout
