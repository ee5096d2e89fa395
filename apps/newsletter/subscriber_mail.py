"""The mail a subscriber gets about their subscription: the confirmation link, or a reminder.

Sent through Django's mail (EMAIL_BACKEND), after the sign-up's transaction commits; campaign
mail is apps.newsletter.mail's. Suppressed addresses get nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.translation import override

from apps.newsletter import selectors, tokens
from apps.newsletter.models import Subscriber, SubscriptionStatus


def send_subscriber_mail(subscriber_id: int, kind: str) -> bool:
    """Mail a subscriber their confirmation link ("confirm") or a reminder ("already")."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None or selectors.is_suppressed(subscriber.email):
        return False
    if kind == "confirm":
        subscriptions = selectors.waiting_for_confirmation(subscriber)
    else:
        subscriptions = subscriber.subscriptions.filter(
            status=SubscriptionStatus.ACTIVE
        ).select_related("newsletter")
    context = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL.rstrip("/"),
        "newsletters": [s.newsletter for s in subscriptions],
        "confirm_url": tokens.confirm_url(subscriber) if kind == "confirm" else "",
        "preferences_url": tokens.preferences_url(subscriber),
        "days": settings.NEWSLETTER_CONFIRM_DAYS,
    }
    if kind == "confirm" and not context["newsletters"]:
        return False
    # In the language of the page they signed up on.
    language = subscriber.language if subscriber.language in settings.SITE_LANGUAGES else ""
    with override(language or settings.LANGUAGE_CODE):
        _send(subscriber, kind, context)
    return True


def _send(subscriber: Subscriber, kind: str, context: dict[str, Any]) -> None:
    template = f"newsletter/email/{kind}"
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.NEWSLETTER_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL,
        to=[subscriber.email],
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    message.send()
