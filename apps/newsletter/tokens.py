"""Signed links in newsletter mail: confirm, preferences, unsubscribe, tracked clicks.

Every link is signed with the site's secret under its own salt, so one kind can never be
used as another. Confirmation links expire (NEWSLETTER_CONFIRM_DAYS); preferences and
unsubscribe links do not (a mail read a year later must still let the reader leave), but
they carry the subscriber's `token_version`, which erasure and re-confirmation change.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse

if TYPE_CHECKING:
    from apps.newsletter.models import Subscriber

CONFIRM_SALT = "inkwell.newsletter.confirm"
MANAGE_SALT = "inkwell.newsletter.manage"
CLICK_SALT = "inkwell.newsletter.click"


class BadTokenError(Exception):
    """A link that was tampered with, expired, or no longer applies."""


def absolute(path: str) -> str:
    """A path on this site as an absolute URL (mail has no page to be relative to)."""
    return settings.SITE_URL.rstrip("/") + path


def confirm_token(subscriber: Subscriber) -> str:
    return signing.dumps({"s": subscriber.pk, "v": subscriber.token_version}, salt=CONFIRM_SALT)


def manage_token(subscriber: Subscriber, *, campaign_id: int | None = None) -> str:
    data: dict[str, int] = {"s": subscriber.pk, "v": subscriber.token_version}
    if campaign_id is not None:
        data["c"] = campaign_id
    return signing.dumps(data, salt=MANAGE_SALT)


def read_confirm_token(token: str) -> tuple[int, int]:
    """(subscriber id, token version) from a confirmation link, or BadTokenError."""
    try:
        data = signing.loads(
            token, salt=CONFIRM_SALT, max_age=timedelta(days=settings.NEWSLETTER_CONFIRM_DAYS)
        )
    except signing.SignatureExpired as exc:
        raise BadTokenError("expired") from exc
    except signing.BadSignature as exc:
        raise BadTokenError("bad signature") from exc
    return _ids(data)


def read_manage_token(token: str) -> tuple[int, int, int | None]:
    """(subscriber id, token version, campaign id or None) from a preferences link."""
    try:
        data = signing.loads(token, salt=MANAGE_SALT)
    except signing.BadSignature as exc:
        raise BadTokenError("bad signature") from exc
    subscriber_id, version = _ids(data)
    campaign = data.get("c")
    return subscriber_id, version, campaign if isinstance(campaign, int) else None


def _ids(data: object) -> tuple[int, int]:
    if not isinstance(data, dict):
        raise BadTokenError("malformed")
    subscriber_id, version = data.get("s"), data.get("v")
    if not isinstance(subscriber_id, int) or not isinstance(version, int):
        raise BadTokenError("malformed")
    return subscriber_id, version


def confirm_url(subscriber: Subscriber) -> str:
    return absolute(reverse("newsletter:confirm", args=[confirm_token(subscriber)]))


def preferences_url(subscriber: Subscriber, *, campaign_id: int | None = None) -> str:
    token = manage_token(subscriber, campaign_id=campaign_id)
    return absolute(reverse("newsletter:preferences", args=[token]))


def unsubscribe_url(subscriber: Subscriber, *, campaign_id: int | None = None) -> str:
    """The one-click link: GET shows a confirm button, POST (RFC 8058) unsubscribes at once."""
    token = manage_token(subscriber, campaign_id=campaign_id)
    return absolute(reverse("newsletter:unsubscribe", args=[token]))


def click_url(*, delivery_id: int, url: str) -> str:
    """A tracked link: signed, so it can only ever redirect to the URL it was made for."""
    token = signing.dumps({"d": delivery_id, "u": url}, salt=CLICK_SALT, compress=True)
    return absolute(reverse("newsletter:click") + "?" + urlencode({"t": token}))


def read_click_token(token: str) -> tuple[int, str]:
    try:
        data = signing.loads(token, salt=CLICK_SALT)
    except signing.BadSignature as exc:
        raise BadTokenError("bad signature") from exc
    if not isinstance(data, dict) or not isinstance(data.get("d"), int):
        raise BadTokenError("malformed")
    url = data.get("u")
    if not isinstance(url, str):
        raise BadTokenError("malformed")
    return data["d"], url
