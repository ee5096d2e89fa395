"""Subscribers: sign-up with double opt-in, confirmation, preferences, unsubscribe, erasure.

Every write about a subscriber goes through here, whichever door it came in by (the sign-up
boxes, /newsletter/, the signed-in one-click, the API, the preferences page, a mail client's
one-click unsubscribe).

- One person, one subscriber: addresses are normalised (`models.normalise_email`).
- Double opt-in: a sign-up makes its subscriptions PENDING and mails (after commit) a signed
  link that expires after NEWSLETTER_CONFIRM_DAYS; only following it makes them ACTIVE. The
  one exception is a signed-in reader subscribing their own verified account address: the
  account already proved they own it.
- No enumeration: a sign-up's answer to the page is the same whether the address is new,
  pending, subscribed or suppressed; what differs goes to the address's inbox, not the page.
- Rate limits per client IP and per address (apps.core.ratelimit), counted before anything
  is looked up, so the limit says nothing about the address either. The address is hashed in
  the counter's key: the cache never holds it in clear.
- Suppressed addresses (hard bounce, complaint, staff) are never mailed, silently.
- Consent is logged with every sign-up: when, from which form, which wording version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.accounts.selectors import has_verified_email
from apps.analytics.services import record_goal
from apps.core.ratelimit import hit
from apps.newsletter import selectors, subscriber_mail, tokens
from apps.newsletter.models import (
    Consent,
    Delivery,
    Newsletter,
    Source,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    normalise_email,
)
from apps.webhooks.emitters import subscriber_event

logger = structlog.get_logger("inkwell.newsletter")

RATE_PREFIX = "newsletter:signup"
# The embedded default's periodic runner calls `prune_due` every few seconds; it prunes at
# most this often.
PRUNE_EVERY_SECONDS = 3600


@dataclass(frozen=True)
class Signup:
    """What a sign-up did. Pages show anonymous readers one answer, whatever this holds."""

    subscriber: Subscriber | None
    # Subscribed now: already were, or the signed-in owner of a verified account address.
    active: list[Newsletter] = field(default_factory=list)
    # Waiting for the confirmation mail's link.
    pending: list[Newsletter] = field(default_factory=list)
    # The address is on the suppression list: nothing was stored and nothing mailed.
    suppressed: bool = False
    # `user` is signed in with this address as their verified account address: only then may
    # an answer say more than "check your inbox".
    owner: bool = False


@dataclass(frozen=True)
class Confirmation:
    subscriber: Subscriber
    activated: list[Newsletter]
    # The link was used before: nothing was waiting for it.
    already: bool


# --- sign-up -------------------------------------------------------------------------------


def validate_address(email: str) -> str:
    """The normalised address, or ValidationError for something that is not one."""
    address = normalise_email(email)
    if not address:
        raise ValidationError(_("Enter your email address."), code="required")
    if len(address) > 254:
        raise ValidationError(_("That email address is too long."), code="invalid")
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(_("Enter a valid email address."), code="invalid") from None
    return address


def _digest(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()[:32]


def _rate_limit(*, address: str, ip: str | None) -> None:
    window = settings.NEWSLETTER_SIGNUP_RATE_WINDOW
    checks = [(f"{RATE_PREFIX}:address:{_digest(address)}", "NEWSLETTER_SIGNUP_RATE_LIMIT_ADDRESS")]
    if ip:
        checks.insert(0, (f"{RATE_PREFIX}:ip:{ip}", "NEWSLETTER_SIGNUP_RATE_LIMIT_IP"))
    for key, setting in checks:
        usage = hit(key, limit=getattr(settings, setting), window=window)
        if not usage.allowed:
            minutes = max(1, round(usage.retry_after / 60))
            raise ValidationError(
                ngettext(
                    "Too many sign-ups in a short time. Please try again in %(minutes)s minute.",
                    "Too many sign-ups in a short time. Please try again in %(minutes)s minutes.",
                    minutes,
                ),
                code="rate_limited",
                params={"minutes": minutes, "retry_after": usage.retry_after},
            )


def _verified_owner(user: User | AnonymousUser | None, address: str) -> bool:
    """Is `user` signed in with `address` as their own, verified, account address?"""
    return (
        isinstance(user, User)
        and user.is_active
        and normalise_email(user.email) == address
        and has_verified_email(user)
    )


def _chosen(
    newsletters: Iterable[Newsletter] | None, language: str | None = None
) -> list[Newsletter]:
    offered = selectors.newsletters_offered()
    if newsletters is None:
        # The default ones: for every language, and this page's language's own.
        return [
            newsletter
            for newsletter in selectors.default_newsletters()
            if not newsletter.language or newsletter.language == language
        ]
    ids = {n.pk for n in newsletters}
    return list(offered.filter(pk__in=ids)) if ids else []


def _record_consent(
    *, subscriber: Subscriber, source: str, newsletters: Iterable[Newsletter]
) -> None:
    Consent.objects.create(
        subscriber=subscriber,
        source=source,
        wording_version=settings.NEWSLETTER_CONSENT_VERSION,
        newsletters=",".join(n.slug for n in newsletters)[:500],
    )


@transaction.atomic
def subscribe(
    *,
    email: str,
    newsletters: Iterable[Newsletter] | None = None,
    source: str,
    user: User | AnonymousUser | None = None,
    ip: str | None = None,
    language: str | None = None,
) -> Signup:
    """Sign `email` up to `newsletters` (default: the default ones), with double opt-in.

    A new or unconfirmed subscription waits for the link mailed after commit. A subscriber
    who is already confirmed and adds a newsletter is asked again too, unless `user` is
    signed in with this address as their verified account address (then it is active at
    once). Everything already active stays so; an address that asked for nothing new is
    mailed a reminder of how to manage their newsletters instead. Raises ValidationError
    (codes `required`, `invalid`, `no_newsletter`, `rate_limited`).
    """
    address = validate_address(email)
    _rate_limit(address=address, ip=ip)
    language = language if language in settings.SITE_LANGUAGES else None
    chosen = _chosen(newsletters, language)
    if not chosen:
        raise ValidationError(_("Choose at least one newsletter."), code="no_newsletter")
    owner = _verified_owner(user, address)
    if selectors.is_suppressed(address):
        logger.info("newsletter.signup_suppressed", source=source)
        return Signup(subscriber=None, pending=chosen, suppressed=True, owner=owner)

    # Insert-if-missing, then lock: simultaneous sign-ups of one new address make one row
    # and run one after the other (get_or_create's retry could read a stale cached miss).
    Subscriber.objects.bulk_create([Subscriber(email=address)], ignore_conflicts=True)
    subscriber = Subscriber.objects.select_for_update().get(email=address)
    if language and subscriber.language != language:
        # The language of the page they signed up on: their mail's and their campaigns'.
        subscriber.language = language
        subscriber.save(update_fields=["language"])
    now = timezone.now()
    if owner and isinstance(user, User):
        changed = []
        if subscriber.confirmed_at is None:
            subscriber.confirmed_at = now
            changed.append("confirmed_at")
        if subscriber.user_id is None and not Subscriber.objects.filter(user=user).exists():
            subscriber.user = user
            changed.append("user")
        if changed:
            subscriber.save(update_fields=changed)

    existing = selectors.subscriptions_of(subscriber)
    active: list[Newsletter] = []
    pending: list[Newsletter] = []
    activated: list[Newsletter] = []
    for newsletter in chosen:
        subscription = existing.get(newsletter.pk) or Subscription(
            subscriber=subscriber, newsletter=newsletter
        )
        if subscription.pk and subscription.status == SubscriptionStatus.ACTIVE:
            active.append(newsletter)
            continue
        subscription.source = source
        if owner:
            _activate(subscription, now)
            active.append(newsletter)
            activated.append(newsletter)
        else:
            subscription.status = SubscriptionStatus.PENDING
            subscription.requested_at = now
            pending.append(newsletter)
        subscription.save()
    _record_consent(subscriber=subscriber, source=source, newsletters=chosen)
    subscriber_event("subscriber.created", subscriber, activated)

    if pending:
        _mail_after_commit(subscriber.pk, "confirm")
    elif not owner:
        # Nothing new: the page says "check your inbox" all the same, and the inbox says
        # they were already subscribed (with the link to change that).
        _mail_after_commit(subscriber.pk, "already")
    logger.info("newsletter.signup", source=source, pending=len(pending), active=len(active))
    return Signup(subscriber=subscriber, active=active, pending=pending, owner=owner)


def _activate(subscription: Subscription, now: datetime) -> None:
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.subscribed_at = now
    subscription.unsubscribed_at = None
    subscription.requested_at = None


# --- mail ----------------------------------------------------------------------------------


def _mail_after_commit(subscriber_id: int, kind: str) -> None:
    def send_newsletter_mail() -> None:  # named: on_commit(robust=True) logs its __qualname__
        subscriber_mail.send_subscriber_mail(subscriber_id, kind)

    # Robust: a mail server that refuses must not turn a stored sign-up into an error page
    # (and the page's answer must not depend on what happened to the address).
    transaction.on_commit(send_newsletter_mail, robust=True)


# --- confirmation --------------------------------------------------------------------------


@transaction.atomic
def confirm(*, token: str) -> Confirmation:
    """Follow a confirmation link: confirm the address, activate what waits for it.

    Used twice, it answers `already=True` and changes nothing; an expired, tampered or
    no longer valid link raises tokens.BadTokenError and changes nothing.
    """
    subscriber_id, _ = tokens.read_confirm_token(token)
    # Lock the row: two clicks at once activate once.
    Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
    subscriber = selectors.subscriber_for_confirm_token(token)
    waiting = list(selectors.waiting_for_confirmation(subscriber))
    if not waiting and subscriber.confirmed_at is not None:
        return Confirmation(subscriber=subscriber, activated=[], already=True)
    now = timezone.now()
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = now
        subscriber.save(update_fields=["confirmed_at"])
    Subscription.objects.filter(pk__in=[s.pk for s in waiting]).update(
        status=SubscriptionStatus.ACTIVE, subscribed_at=now, unsubscribed_at=None, requested_at=None
    )
    logger.info("newsletter.confirmed", activated=len(waiting))
    subscriber_event("subscriber.created", subscriber, [s.newsletter for s in waiting])
    record_goal("newsletter_confirmed")  # counted after commit, never fails the confirmation
    return Confirmation(
        subscriber=subscriber, activated=[s.newsletter for s in waiting], already=False
    )


# --- preferences and unsubscribe -----------------------------------------------------------


@transaction.atomic
def update_preferences(
    *, subscriber: Subscriber, newsletters: Iterable[Newsletter], source: str = Source.PREFERENCES
) -> list[Subscription]:
    """Make the subscriber's active newsletters exactly `newsletters` (of those offered).

    The preferences link was mailed to the address, so following it proves the reader owns
    it: newsletters they tick are active at once (and the address counts as confirmed).
    Returns the subscriptions that changed.
    """
    wanted = {n.pk for n in newsletters}
    existing = selectors.subscriptions_of(subscriber)
    now = timezone.now()
    changed: list[Subscription] = []
    added: list[Newsletter] = []
    left: list[Newsletter] = []
    for newsletter in selectors.newsletters_offered():
        subscription = existing.get(newsletter.pk)
        if newsletter.pk in wanted:
            if subscription is not None and subscription.status == SubscriptionStatus.ACTIVE:
                continue
            subscription = subscription or Subscription(
                subscriber=subscriber, newsletter=newsletter
            )
            subscription.source = source
            _activate(subscription, now)
            subscription.save()
            changed.append(subscription)
            added.append(newsletter)
        elif subscription is not None and subscription.status != SubscriptionStatus.UNSUBSCRIBED:
            if subscription.status == SubscriptionStatus.ACTIVE:
                left.append(newsletter)
            _unsubscribe(subscription, now)
            changed.append(subscription)
    subscriber_event("subscriber.created", subscriber, added)
    subscriber_event("subscriber.unsubscribed", subscriber, left)
    if added:
        _record_consent(subscriber=subscriber, source=source, newsletters=added)
        if subscriber.confirmed_at is None:
            subscriber.confirmed_at = now
            subscriber.save(update_fields=["confirmed_at"])
    return changed


def _unsubscribe(subscription: Subscription, now: datetime) -> None:
    subscription.status = SubscriptionStatus.UNSUBSCRIBED
    subscription.unsubscribed_at = now
    subscription.requested_at = None
    subscription.save(update_fields=["status", "unsubscribed_at", "requested_at"])


@transaction.atomic
def unsubscribe(
    *,
    subscriber: Subscriber,
    newsletters: Iterable[Newsletter] | None = None,
    campaign_id: int | None = None,
    source: str,
) -> list[Subscription]:
    """Leave `newsletters` (None: every one). Idempotent; returns what changed.

    With `campaign_id` (the link came from that campaign's mail), its delivery to this
    subscriber is marked unsubscribed, for the campaign's numbers.
    """
    subscriptions = subscriber.subscriptions.exclude(status=SubscriptionStatus.UNSUBSCRIBED)
    if newsletters is not None:
        subscriptions = subscriptions.filter(newsletter__in=[n.pk for n in newsletters])
    now = timezone.now()
    changed = list(subscriptions.select_related("newsletter"))
    left = [s.newsletter for s in changed if s.status == SubscriptionStatus.ACTIVE]
    for subscription in changed:
        _unsubscribe(subscription, now)
    if campaign_id is not None:
        Delivery.objects.filter(
            campaign_id=campaign_id, subscriber=subscriber, unsubscribed_at__isnull=True
        ).update(unsubscribed_at=now)
    logger.info("newsletter.unsubscribed", source=source, count=len(changed))
    subscriber_event("subscriber.unsubscribed", subscriber, left)
    return changed


# --- erasure and expiry --------------------------------------------------------------------


def _erase(subscriber: Subscriber) -> None:
    """Remove the subscriber and everything that names them; campaign counts stay."""
    Delivery.objects.filter(subscriber=subscriber).update(subscriber=None, email="")
    Consent.objects.filter(subscriber=subscriber).delete()
    Subscription.objects.filter(subscriber=subscriber).delete()
    subscriber.delete()
    logger.info("newsletter.subscriber_erased")


@transaction.atomic
def erase_subscriber(*, actor: User, subscriber: Subscriber) -> None:
    """Erase a subscriber's personal data (staff with newsletter.manage, or the reader).

    Deliveries keep their status (a campaign's numbers do not change) but lose the address
    and the link to the subscriber. The suppression list keeps a suppressed address: it is
    what stops the site mailing someone who complained or whose mailbox bounced.
    """
    if not (can(actor, "newsletter.manage") or subscriber.user_id == actor.pk):
        raise PermissionDenied(_("You may not erase subscribers."))
    _erase(subscriber)


@transaction.atomic
def forget_subscriber(*, token: str) -> None:
    """The reader's own "remove my address" from the preferences page (signed link)."""
    subscriber, _ = selectors.subscriber_for_manage_token(token)
    _erase(subscriber)


def erase_for_account(user: User) -> int:
    """Erase the subscriber(s) of an account that is being deleted; returns how many.

    The one linked to the account and the one at its address: both are this person.
    """
    found = list(Subscriber.objects.filter(Q(user=user) | Q(email=normalise_email(user.email))))
    for subscriber in found:
        _erase(subscriber)
    return len(found)


@transaction.atomic
def prune_unconfirmed(*, now: datetime | None = None) -> tuple[int, int]:
    """Delete sign-ups nobody confirmed within NEWSLETTER_CONFIRM_DAYS.

    Returns (subscribers deleted, pending subscriptions of confirmed subscribers deleted).
    Safe to run at any time and from several places at once.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.NEWSLETTER_CONFIRM_DAYS)
    stale = Subscriber.objects.filter(confirmed_at__isnull=True, created_at__lt=cutoff).exclude(
        subscriptions__status=SubscriptionStatus.ACTIVE
    )
    stale_ids = list(stale.values_list("pk", flat=True))
    Delivery.objects.filter(subscriber_id__in=stale_ids).update(subscriber=None, email="")
    Subscriber.objects.filter(pk__in=stale_ids).delete()
    # What is left pending belongs to confirmed subscribers who asked for one more newsletter.
    expired = Subscription.objects.filter(status=SubscriptionStatus.PENDING).filter(
        Q(requested_at__lt=cutoff) | Q(requested_at__isnull=True, created_at__lt=cutoff)
    )
    _, by_model = expired.delete()
    subscriptions = by_model.get(Subscription._meta.label, 0)
    if stale_ids or subscriptions:
        logger.info("newsletter.pruned", subscribers=len(stale_ids), subscriptions=subscriptions)
    return len(stale_ids), subscriptions


def prune_due() -> int:
    """The embedded default's periodic job: `prune_unconfirmed` at most once an hour."""
    if not cache.add("newsletter:prune:ran", 1, timeout=PRUNE_EVERY_SECONDS):
        return 0
    subscribers, _ = prune_unconfirmed()
    return subscribers
