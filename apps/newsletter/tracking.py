"""Open and click tracking (counted only when NEWSLETTER_TRACKING is on; off by default).

A tracked link carries its target inside a signed token (tokens.click_url), so the click
view can only ever redirect to a URL this site signed for that delivery: a forged or
edited token gets a 400, never a redirect (no open redirect). Links keep working after
tracking is turned off; they are then just not counted. The open pixel is a signed
delivery id; it always answers with the same transparent GIF, whatever the token.
"""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from apps.newsletter import tokens
from apps.newsletter.models import Delivery

OPEN_SALT = "inkwell.newsletter.open"
_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def open_url(*, delivery_id: int) -> str:
    """The open pixel's absolute URL for one delivery."""
    token = signing.dumps(delivery_id, salt=OPEN_SALT)
    return tokens.absolute(reverse("newsletter:open", args=[token]))


def read_open_token(token: str) -> int:
    try:
        value = signing.loads(token, salt=OPEN_SALT)
    except signing.BadSignature as exc:
        raise tokens.BadTokenError("bad signature") from exc
    if not isinstance(value, int):
        raise tokens.BadTokenError("malformed")
    return value


@require_safe
@never_cache
def click(request: HttpRequest) -> HttpResponse:
    try:
        delivery_id, url = tokens.read_click_token(request.GET.get("t", ""))
    except tokens.BadTokenError:
        return HttpResponseBadRequest("This link is broken or was altered.")
    if urlsplit(url).scheme not in {"http", "https"}:
        return HttpResponseBadRequest("This link is broken or was altered.")
    # A HEAD (a mail scanner checking the link) answers the same and counts nothing.
    if settings.NEWSLETTER_TRACKING and request.method == "GET":
        # Only the first click is stamped: one UPDATE, no read.
        Delivery.objects.filter(pk=delivery_id, clicked_at__isnull=True).update(
            clicked_at=timezone.now()
        )
    return HttpResponseRedirect(url)


@require_safe
@never_cache
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    if settings.NEWSLETTER_TRACKING and request.method == "GET":
        try:
            delivery_id = read_open_token(token)
        except tokens.BadTokenError:
            pass
        else:
            Delivery.objects.filter(pk=delivery_id, opened_at__isnull=True).update(
                opened_at=timezone.now()
            )
    return HttpResponse(_GIF, content_type="image/gif")
