"""Newsletters over /api/v2: list with the reader's status, subscribe and leave with a token."""

from __future__ import annotations

import pytest

from apps.newsletter.models import (
    Newsletter,
    Subscription,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
)
from tests.api.conftest import access_for, call
from tests.comments.conftest import make_verified
from tests.factories.accounts import UserFactory
from tests.factories.newsletter import SubscriptionFactory

pytestmark = pytest.mark.django_db

URL = "/api/v2/newsletters"


@pytest.fixture
def verified():
    return make_verified(UserFactory.create(email="ada@example.com"))


def _status(email: str, slug: str) -> str:
    return str(Subscription.objects.get(subscriber__email=email, newsletter__slug=slug).status)


def test_list_newsletters_anonymously(api):
    response = call(api, "get", URL)

    assert response.status_code == 200
    body = response.json()
    assert [n["slug"] for n in body] == ["weekly", "announcements"]
    assert body[0]["is_default"] is True
    assert all(n["subscription"] is None for n in body)


def test_list_newsletters_shows_the_readers_status(api, verified):
    SubscriptionFactory.create(
        subscriber__email="ada@example.com", newsletter=Newsletter.objects.get(slug="weekly")
    )

    body = call(api, "get", URL, token=access_for(verified)).json()

    assert {n["slug"]: n["subscription"] for n in body} == {
        "weekly": "active",
        "announcements": None,
    }


def test_list_hides_the_status_of_an_address_the_account_has_not_verified(api):
    SubscriptionFactory.create(
        subscriber__email="ada@example.com", newsletter=Newsletter.objects.get(slug="weekly")
    )
    claimant = UserFactory.create(email="ada@example.com")  # not verified: proves nothing

    body = call(api, "get", URL, token=access_for(claimant)).json()

    assert all(n["subscription"] is None for n in body)


def test_subscribe_with_a_verified_address_is_active_at_once(
    api, verified, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = call(
            api, "post", f"{URL}/announcements/subscription", token=access_for(verified)
        )
        again = call(api, "post", f"{URL}/announcements/subscription", token=access_for(verified))

    assert response.status_code == 200
    assert response.json() == {"newsletter": "announcements", "status": "active"}
    assert again.json() == response.json()
    assert _status("ada@example.com", "announcements") == SubscriptionStatus.ACTIVE
    assert mailoutbox == []


def test_subscribe_with_an_unverified_address_is_pending_and_mails_a_link(
    api, django_capture_on_commit_callbacks, mailoutbox
):
    reader = UserFactory.create(email="bob@example.com")
    SubscriptionFactory.create(
        subscriber__email="bob@example.com", newsletter=Newsletter.objects.get(slug="weekly")
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = call(api, "post", f"{URL}/weekly/subscription", token=access_for(reader))

    # Already active, but an unverified account is not told so (it may not own the address).
    assert response.json() == {"newsletter": "weekly", "status": "pending"}
    assert len(mailoutbox) == 1


def test_unsubscribe_is_idempotent(api, verified):
    SubscriptionFactory.create(
        subscriber__email="ada@example.com", newsletter=Newsletter.objects.get(slug="weekly")
    )
    token = access_for(verified)

    for _ in range(2):
        response = call(api, "delete", f"{URL}/weekly/subscription", token=token)
        assert response.status_code == 204

    assert _status("ada@example.com", "weekly") == SubscriptionStatus.UNSUBSCRIBED
    nobody = make_verified(UserFactory.create())
    assert (
        call(api, "delete", f"{URL}/weekly/subscription", token=access_for(nobody)).status_code
        == 204
    )


@pytest.mark.parametrize("method", ["post", "delete"])
def test_subscription_needs_a_token_and_a_known_newsletter(api, verified, method):
    assert call(api, method, f"{URL}/weekly/subscription").status_code == 401
    response = call(api, method, f"{URL}/nope/subscription", token=access_for(verified))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_subscribe_is_rate_limited(api, verified, settings):
    settings.NEWSLETTER_SIGNUP_RATE_LIMIT_ADDRESS = 1
    token = access_for(verified)
    call(api, "post", f"{URL}/weekly/subscription", token=token)

    response = call(api, "post", f"{URL}/announcements/subscription", token=token)

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response["Retry-After"]) > 0


def test_subscribe_with_a_suppressed_verified_address_is_a_conflict(api, verified):
    Suppression.objects.create(email="ada@example.com", reason=SuppressionReason.COMPLAINT)

    response = call(api, "post", f"{URL}/weekly/subscription", token=access_for(verified))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "address_suppressed"
