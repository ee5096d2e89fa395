"""Subscriber services: sign-up, double opt-in, links, preferences, unsubscribe, erasure, expiry."""

from __future__ import annotations

import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.utils import timezone

from apps.accounts.profile.services import delete_account
from apps.accounts.roles import Role
from apps.newsletter import subscribers, tokens
from apps.newsletter.models import (
    Consent,
    Delivery,
    DeliveryStatus,
    Newsletter,
    Source,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
)
from tests.accounts.conftest import make_user_with_role
from tests.comments.conftest import make_verified
from tests.factories.accounts import UserFactory
from tests.factories.newsletter import CampaignFactory, SubscriberFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def weekly() -> Newsletter:
    return Newsletter.objects.get(slug="weekly")  # made by migration 0002, the default one


@pytest.fixture
def announcements() -> Newsletter:
    return Newsletter.objects.get(slug="announcements")


def _sign_up(capture, email="ada@example.com", **kwargs):
    kwargs.setdefault("source", Source.POST)
    with capture(execute=True):
        return subscribers.subscribe(email=email, **kwargs)


def _status(email: str, newsletter: Newsletter) -> str:
    return str(Subscription.objects.get(subscriber__email=email, newsletter=newsletter).status)


def _confirm_link(mail: EmailMessage) -> str:
    [line] = [line for line in mail.body.splitlines() if "/newsletter/confirm/" in line]
    return line.strip().rstrip("/").rsplit("/", 1)[-1]


# --- sign-up -------------------------------------------------------------------------------


def test_subscribe_normalises_the_address_so_one_person_is_one_subscriber(
    django_capture_on_commit_callbacks, weekly
):
    _sign_up(django_capture_on_commit_callbacks, "  Ada@Example.COM ")
    _sign_up(django_capture_on_commit_callbacks, "ada@example.com")

    assert list(Subscriber.objects.values_list("email", flat=True)) == ["ada@example.com"]


@pytest.mark.parametrize(
    "address", ["", "   ", "not-an-address", "a@b", "x" * 250 + "@example.com"]
)
def test_subscribe_refuses_malformed_addresses_and_stores_nothing(address, mailoutbox):
    with pytest.raises(ValidationError) as caught:
        subscribers.subscribe(email=address, source=Source.PAGE)

    assert caught.value.code in {"required", "invalid"}
    assert not Subscriber.objects.exists()
    assert mailoutbox == []


def test_subscribe_is_pending_until_the_mailed_link_is_followed(
    django_capture_on_commit_callbacks, mailoutbox, weekly, settings
):
    signup = _sign_up(django_capture_on_commit_callbacks)

    assert signup.pending == [weekly]
    assert _status("ada@example.com", weekly) == SubscriptionStatus.PENDING
    assert Subscriber.objects.get().confirmed_at is None
    [mail] = mailoutbox
    assert mail.to == ["ada@example.com"]
    assert "Confirm your subscription" in mail.subject
    assert settings.SITE_URL.rstrip("/") + "/newsletter/confirm/" in mail.body
    assert "/newsletter/confirm/" in mail.alternatives[0][0]

    result = subscribers.confirm(token=_confirm_link(mail))

    assert result.activated == [weekly]
    assert not result.already
    assert _status("ada@example.com", weekly) == SubscriptionStatus.ACTIVE
    assert Subscriber.objects.get().confirmed_at is not None


def test_subscribe_sends_nothing_before_the_transaction_commits(mailoutbox, weekly):
    with pytest.raises(RuntimeError):  # noqa: PT012  (the sign-up is rolled back with the block)
        from django.db import transaction

        with transaction.atomic():
            subscribers.subscribe(email="ada@example.com", source=Source.PAGE)
            raise RuntimeError
    assert mailoutbox == []
    assert not Subscriber.objects.exists()


def test_subscribe_records_consent_with_form_wording_version_and_newsletters(
    django_capture_on_commit_callbacks, weekly, announcements, settings
):
    settings.NEWSLETTER_CONSENT_VERSION = "v-test"
    _sign_up(
        django_capture_on_commit_callbacks, newsletters=[weekly, announcements], source=Source.HOME
    )

    consent = Consent.objects.get()
    assert consent.source == Source.HOME
    assert consent.wording_version == "v-test"
    assert consent.newsletters == "weekly,announcements"
    assert consent.given_at is not None


def test_subscribe_without_a_newsletter_is_refused(weekly):
    with pytest.raises(ValidationError) as caught:
        subscribers.subscribe(email="ada@example.com", newsletters=[], source=Source.PAGE)
    assert caught.value.code == "no_newsletter"


def test_subscribe_to_a_newsletter_no_longer_offered_is_refused(weekly):
    weekly.is_active = False
    weekly.save()
    with pytest.raises(ValidationError):
        subscribers.subscribe(email="ada@example.com", newsletters=[weekly], source=Source.PAGE)


def test_suppressed_addresses_are_never_stored_nor_mailed(
    django_capture_on_commit_callbacks, mailoutbox, weekly
):
    Suppression.objects.create(email="ada@example.com", reason=SuppressionReason.HARD_BOUNCE)

    signup = _sign_up(django_capture_on_commit_callbacks, "ADA@example.com")

    assert signup.suppressed
    assert signup.pending == [weekly]  # what the page is told is the same as for anyone
    assert not Subscriber.objects.exists()
    assert mailoutbox == []


def test_an_address_already_subscribed_is_told_by_mail_not_by_the_answer(
    django_capture_on_commit_callbacks, mailoutbox, weekly
):
    SubscriptionFactory.create(subscriber__email="ada@example.com", newsletter=weekly)

    signup = _sign_up(django_capture_on_commit_callbacks)

    assert signup.active == [weekly]
    assert not signup.owner
    [mail] = mailoutbox
    assert "already subscribed" in mail.subject
    assert "/newsletter/preferences/" in mail.body
    assert _status("ada@example.com", weekly) == SubscriptionStatus.ACTIVE


def test_a_confirmed_subscriber_adding_a_newsletter_confirms_it_by_mail(
    django_capture_on_commit_callbacks, mailoutbox, weekly, announcements
):
    SubscriptionFactory.create(subscriber__email="ada@example.com", newsletter=weekly)

    _sign_up(django_capture_on_commit_callbacks, newsletters=[announcements])

    assert _status("ada@example.com", announcements) == SubscriptionStatus.PENDING
    [mail] = mailoutbox
    assert "Announcements" in mail.body
    assert "Weekly digest" not in mail.body


def test_a_signed_in_reader_with_a_verified_address_is_subscribed_at_once(
    django_capture_on_commit_callbacks, mailoutbox, weekly
):
    reader = make_verified(UserFactory.create(email="ada@example.com"))

    signup = _sign_up(django_capture_on_commit_callbacks, "ADA@example.com", user=reader)

    assert signup.owner
    assert signup.active == [weekly]
    assert _status("ada@example.com", weekly) == SubscriptionStatus.ACTIVE
    subscriber = Subscriber.objects.get()
    assert subscriber.user == reader
    assert subscriber.confirmed_at is not None
    assert mailoutbox == []


def test_a_signed_in_reader_with_an_unverified_address_gets_a_confirmation_mail(
    django_capture_on_commit_callbacks, mailoutbox, weekly
):
    reader = UserFactory.create(email="ada@example.com")

    signup = _sign_up(django_capture_on_commit_callbacks, user=reader)

    assert not signup.owner
    assert _status("ada@example.com", weekly) == SubscriptionStatus.PENDING
    assert Subscriber.objects.get().user is None
    assert len(mailoutbox) == 1


def test_a_signed_in_reader_typing_someone_elses_address_gets_double_opt_in(
    django_capture_on_commit_callbacks, mailoutbox, weekly
):
    reader = make_verified(UserFactory.create(email="ada@example.com"))

    _sign_up(django_capture_on_commit_callbacks, "bob@example.com", user=reader)

    assert _status("bob@example.com", weekly) == SubscriptionStatus.PENDING
    assert mailoutbox[0].to == ["bob@example.com"]


def test_sign_ups_are_rate_limited_per_address(settings, weekly):
    settings.NEWSLETTER_SIGNUP_RATE_LIMIT_ADDRESS = 2
    for ip in ("10.0.0.1", "10.0.0.2"):
        subscribers.subscribe(email="ada@example.com", source=Source.PAGE, ip=ip)

    with pytest.raises(ValidationError) as caught:
        subscribers.subscribe(email="ADA@example.com", source=Source.PAGE, ip="10.0.0.3")

    assert caught.value.code == "rate_limited"
    subscribers.subscribe(email="bob@example.com", source=Source.PAGE, ip="10.0.0.3")


def test_sign_ups_are_rate_limited_per_ip(settings, weekly):
    settings.NEWSLETTER_SIGNUP_RATE_LIMIT_IP = 2
    subscribers.subscribe(email="a@example.com", source=Source.PAGE, ip="10.0.0.9")
    subscribers.subscribe(email="b@example.com", source=Source.PAGE, ip="10.0.0.9")

    with pytest.raises(ValidationError) as caught:
        subscribers.subscribe(email="c@example.com", source=Source.PAGE, ip="10.0.0.9")

    assert caught.value.code == "rate_limited"
    assert not Subscriber.objects.filter(email="c@example.com").exists()
    subscribers.subscribe(email="c@example.com", source=Source.PAGE, ip="10.0.0.10")


def test_the_rate_limit_counts_unknown_and_known_addresses_alike(settings, weekly):
    settings.NEWSLETTER_SIGNUP_RATE_LIMIT_ADDRESS = 1
    SubscriptionFactory.create(subscriber__email="known@example.com", newsletter=weekly)
    for address in ("known@example.com", "new@example.com"):
        subscribers.subscribe(email=address, source=Source.PAGE)
        with pytest.raises(ValidationError):
            subscribers.subscribe(email=address, source=Source.PAGE)


# --- confirmation links --------------------------------------------------------------------


def test_a_confirmation_link_used_twice_says_already_confirmed(
    django_capture_on_commit_callbacks, mailoutbox, weekly
):
    _sign_up(django_capture_on_commit_callbacks)
    token = _confirm_link(mailoutbox[0])
    subscribers.confirm(token=token)
    confirmed_at = Subscriber.objects.get().confirmed_at

    again = subscribers.confirm(token=token)

    assert again.already
    assert again.activated == []
    assert Subscriber.objects.get().confirmed_at == confirmed_at


def test_an_expired_confirmation_link_changes_nothing(
    django_capture_on_commit_callbacks, mailoutbox, weekly, monkeypatch, settings
):
    _sign_up(django_capture_on_commit_callbacks)
    token = _confirm_link(mailoutbox[0])
    later = time.time() + (settings.NEWSLETTER_CONFIRM_DAYS + 1) * 86400
    monkeypatch.setattr(time, "time", lambda: later)  # what django.core.signing reads

    with pytest.raises(tokens.BadTokenError, match="expired"):
        subscribers.confirm(token=token)

    assert _status("ada@example.com", weekly) == SubscriptionStatus.PENDING
    assert Subscriber.objects.get().confirmed_at is None


@pytest.mark.parametrize("change", ["flip", "other-kind", "garbage"])
def test_a_tampered_confirmation_link_changes_nothing(
    django_capture_on_commit_callbacks, mailoutbox, weekly, change
):
    _sign_up(django_capture_on_commit_callbacks)
    subscriber = Subscriber.objects.get()
    token = {
        "flip": _confirm_link(mailoutbox[0])[:-2] + "xy",
        # A preferences token is signed with another salt: it never confirms.
        "other-kind": tokens.manage_token(subscriber),
        "garbage": "not-a-token",
    }[change]

    with pytest.raises(tokens.BadTokenError):
        subscribers.confirm(token=token)

    assert _status("ada@example.com", weekly) == SubscriptionStatus.PENDING


def test_a_confirmation_link_for_an_erased_subscriber_is_refused(
    django_capture_on_commit_callbacks, mailoutbox, weekly
):
    _sign_up(django_capture_on_commit_callbacks)
    token = _confirm_link(mailoutbox[0])
    subscribers.forget_subscriber(token=tokens.manage_token(Subscriber.objects.get()))

    with pytest.raises(tokens.BadTokenError):
        subscribers.confirm(token=token)


def test_confirming_does_not_revive_a_newsletter_left_meanwhile(
    django_capture_on_commit_callbacks, mailoutbox, weekly
):
    _sign_up(django_capture_on_commit_callbacks)
    subscriber = Subscriber.objects.get()
    subscribers.unsubscribe(subscriber=subscriber, source=Source.PREFERENCES)

    subscribers.confirm(token=_confirm_link(mailoutbox[0]))

    assert _status("ada@example.com", weekly) == SubscriptionStatus.UNSUBSCRIBED


# --- preferences and unsubscribe -----------------------------------------------------------


def test_update_preferences_adds_and_drops_newsletters(weekly, announcements):
    subscription = SubscriptionFactory.create(newsletter=weekly)
    subscriber = subscription.subscriber

    changed = subscribers.update_preferences(subscriber=subscriber, newsletters=[announcements])

    assert {s.newsletter.slug for s in changed} == {"weekly", "announcements"}
    assert _status(subscriber.email, weekly) == SubscriptionStatus.UNSUBSCRIBED
    assert _status(subscriber.email, announcements) == SubscriptionStatus.ACTIVE
    consent = Consent.objects.get()
    assert (consent.source, consent.newsletters) == (Source.PREFERENCES, "announcements")


def test_unsubscribe_from_a_campaign_marks_its_delivery_and_is_idempotent(weekly, announcements):
    subscription = SubscriptionFactory.create(newsletter=weekly)
    subscriber = subscription.subscriber
    SubscriptionFactory.create(subscriber=subscriber, newsletter=announcements)
    campaign = CampaignFactory.create()
    campaign.newsletters.add(weekly)
    delivery = Delivery.objects.create(
        campaign=campaign, subscriber=subscriber, email=subscriber.email, status=DeliveryStatus.SENT
    )

    changed = subscribers.unsubscribe(
        subscriber=subscriber, newsletters=[weekly], campaign_id=campaign.pk, source="one-click"
    )
    again = subscribers.unsubscribe(
        subscriber=subscriber, newsletters=[weekly], campaign_id=campaign.pk, source="one-click"
    )

    assert [s.newsletter for s in changed] == [weekly]
    assert again == []
    assert _status(subscriber.email, weekly) == SubscriptionStatus.UNSUBSCRIBED
    assert _status(subscriber.email, announcements) == SubscriptionStatus.ACTIVE
    delivery.refresh_from_db()
    assert delivery.unsubscribed_at is not None


# --- erasure -------------------------------------------------------------------------------


def _subscriber_with_history(email: str, weekly: Newsletter) -> Subscriber:
    subscription = SubscriptionFactory.create(subscriber__email=email, newsletter=weekly)
    subscriber = subscription.subscriber
    Consent.objects.create(subscriber=subscriber, source=Source.PAGE, wording_version="1")
    campaign = CampaignFactory.create()
    Delivery.objects.create(
        campaign=campaign, subscriber=subscriber, email=email, status=DeliveryStatus.SENT
    )
    return subscriber


def _no_trace_of(email: str) -> None:
    assert not Subscriber.objects.filter(email=email).exists()
    assert not Subscription.objects.exists()
    assert not Consent.objects.exists()
    assert not Delivery.objects.filter(email=email).exists()
    assert not Delivery.objects.filter(subscriber__isnull=False).exists()
    # The campaign's numbers stay: the delivery row is kept without who it was.
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_erase_subscriber_needs_newsletter_manage(weekly):
    subscriber = _subscriber_with_history("ada@example.com", weekly)

    with pytest.raises(PermissionDenied):
        subscribers.erase_subscriber(actor=UserFactory.create(), subscriber=subscriber)

    assert Subscriber.objects.filter(pk=subscriber.pk).exists()


def test_erase_subscriber_removes_their_personal_data(weekly):
    subscriber = _subscriber_with_history("ada@example.com", weekly)

    subscribers.erase_subscriber(actor=make_user_with_role(Role.EDITOR), subscriber=subscriber)

    _no_trace_of("ada@example.com")


def test_deleting_an_account_erases_its_newsletter_data(weekly):
    reader = make_verified(UserFactory.create(email="ada@example.com"))
    subscriber = _subscriber_with_history("ada@example.com", weekly)
    subscriber.user = reader
    subscriber.save()

    delete_account(actor=reader, password="correct-horse-battery")

    _no_trace_of("ada@example.com")


def test_deleting_an_account_erases_its_linked_subscriber_at_an_older_address(weekly):
    reader = UserFactory.create(email="new@example.com")
    subscriber = _subscriber_with_history("old@example.com", weekly)
    subscriber.user = reader
    subscriber.save()

    delete_account(actor=reader, password="correct-horse-battery")

    _no_trace_of("old@example.com")


# --- expiry --------------------------------------------------------------------------------


def test_prune_deletes_unconfirmed_sign_ups_older_than_the_confirm_window(weekly, settings):
    old = timezone.now() - timedelta(days=settings.NEWSLETTER_CONFIRM_DAYS + 1)
    stale = SubscriberFactory.create(email="stale@example.com", confirmed_at=None, created_at=old)
    SubscriptionFactory.create(
        subscriber=stale, newsletter=weekly, status=SubscriptionStatus.PENDING, requested_at=old
    )
    Consent.objects.create(subscriber=stale, source=Source.PAGE, wording_version="1")
    SubscriberFactory.create(email="fresh@example.com", confirmed_at=None)
    confirmed = SubscriberFactory.create(email="kept@example.com", created_at=old)
    SubscriptionFactory.create(
        subscriber=confirmed,
        newsletter=weekly,
        status=SubscriptionStatus.PENDING,
        requested_at=old,
    )
    out = StringIO()

    call_command("prune_newsletter", stdout=out)

    assert set(Subscriber.objects.values_list("email", flat=True)) == {
        "fresh@example.com",
        "kept@example.com",
    }
    assert not Subscription.objects.exists()
    assert not Consent.objects.exists()
    assert "1 unconfirmed sign-up(s)" in out.getvalue()


def test_prune_due_runs_at_most_once_an_hour(weekly, settings):
    old = timezone.now() - timedelta(days=settings.NEWSLETTER_CONFIRM_DAYS + 1)
    SubscriberFactory.create(confirmed_at=None, created_at=old)
    assert subscribers.prune_due() == 1
    SubscriberFactory.create(confirmed_at=None, created_at=old)
    assert subscribers.prune_due() == 0
