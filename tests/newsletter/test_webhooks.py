from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from django.urls import reverse

from apps.newsletter.models import (
    Delivery,
    Subscription,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
)
from tests.factories.newsletter import CampaignFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

KEY = "mailgun-signing-key"
URL = "/newsletter/anymail/mailgun/tracking/"


@pytest.fixture(autouse=True)
def _anymail(settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": KEY}


@pytest.fixture
def delivery():
    subscription = SubscriptionFactory.create()
    subscriber = subscription.subscriber
    return Delivery.objects.create(
        campaign=CampaignFactory.create(),
        subscriber=subscriber,
        email=subscriber.email,
        status="sent",
        provider_id="<20261205.abc@mg.example.com>",
        message_id="<nl.1.1.x@blog.example.com>",
    )


def _payload(
    event: str, recipient: str, *, message_id: str, key: str = KEY, **extra: object
) -> str:
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    data = {
        "event": event,
        "recipient": recipient,
        "timestamp": time.time(),
        "message": {"headers": {"message-id": message_id}},
        **extra,
    }
    return json.dumps(
        {"signature": {"timestamp": timestamp, "token": token, "signature": signature},
         "event-data": data}
    )  # fmt: skip


def test_webhook_url_is_anymail_s():
    assert reverse("newsletter:anymail:mailgun_tracking_webhook") == URL


def test_hard_bounce_suppresses_the_address_and_stamps_the_delivery(client, delivery):
    body = _payload(
        "failed", delivery.email, message_id="20261205.abc@mg.example.com", severity="permanent",
        **{"delivery-status": {"description": "No such mailbox", "message": "550 5.1.1"}},  # type: ignore[arg-type]
    )  # fmt: skip
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 200
    suppression = Suppression.objects.get(email=delivery.email)
    assert suppression.reason == SuppressionReason.HARD_BOUNCE
    assert suppression.detail == "No such mailbox"
    delivery.refresh_from_db()
    assert delivery.bounced_at is not None
    # The same event again changes nothing (providers retry webhooks).
    assert client.post(URL, body, content_type="application/json").status_code == 200
    assert Suppression.objects.count() == 1


def test_soft_bounce_is_ignored(client, delivery):
    body = _payload("failed", delivery.email, message_id="x@y", severity="temporary")
    assert client.post(URL, body, content_type="application/json").status_code == 200
    assert not Suppression.objects.exists()


def test_complaint_suppresses_and_matches_our_message_id(client, delivery):
    body = _payload("complained", delivery.email, message_id=delivery.message_id)
    assert client.post(URL, body, content_type="application/json").status_code == 200
    assert Suppression.objects.get().reason == SuppressionReason.COMPLAINT
    delivery.refresh_from_db()
    assert delivery.complained_at is not None


def test_unsubscribe_event_unsubscribes_the_reader(client, delivery):
    body = _payload("unsubscribed", delivery.email, message_id="20261205.abc@mg.example.com")
    assert client.post(URL, body, content_type="application/json").status_code == 200
    statuses = set(
        Subscription.objects.filter(subscriber=delivery.subscriber).values_list("status", flat=True)
    )
    assert statuses == {SubscriptionStatus.UNSUBSCRIBED}
    delivery.refresh_from_db()
    assert delivery.unsubscribed_at is not None


def test_bad_signature_is_refused_and_changes_nothing(client, delivery):
    body = _payload("complained", delivery.email, message_id=delivery.message_id, key="wrong")
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert not Suppression.objects.exists()
    delivery.refresh_from_db()
    assert delivery.complained_at is None
