"""The beacon endpoint: validate fast, hash, queue, answer 202. Nothing else happens here.

CSRF-exempt by design (sendBeacon cannot send a token, and the page is cached without one),
so the beacon is checked instead: size, JSON shape, the page URL's host (and the Origin
header, when sent) must be this site, and each visitor id has a rate limit.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.analytics import beacons, buffer, metrics
from apps.analytics.visitors import visitor_ids
from apps.core import ratelimit
from apps.core.http import client_ip


def _answer(outcome: str, status: int) -> HttpResponse:
    metrics.beacons.labels(outcome).inc()
    response = HttpResponse(status=status)
    response["Cache-Control"] = "no-store"
    return response


def _same_origin(request: HttpRequest, host: str) -> bool:
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None  # "null" comes from sandboxed frames and file:// pages
    return origin.lower() in {f"https://{host}".lower(), f"http://{host}".lower()}


@csrf_exempt
@require_POST
def event(request: HttpRequest) -> HttpResponse:
    """Record one page view from our script (static/analytics/a.js)."""
    if not settings.ANALYTICS_ENABLED:
        return _answer("disabled", 204)
    declared = request.headers.get("Content-Length", "0")
    if not declared.isdigit() or int(declared) > beacons.MAX_BODY:
        return _answer("invalid", 400)
    try:
        host = request.get_host()
        data = beacons.parse_body(request.body)
        page = beacons.normalise_page(data["u"], data["r"], site_host=host)
    except (beacons.BadBeaconError, DisallowedHost):
        return _answer("invalid", 400)
    if not _same_origin(request, host):
        return _answer("invalid", 400)
    if settings.ANALYTICS_HONOUR_DNT and (
        request.headers.get("DNT") == "1" or request.headers.get("Sec-GPC") == "1"
    ):
        return _answer("dnt", 202)
    user_agent = request.headers.get("User-Agent", "")
    client = beacons.describe_client(user_agent[:500])
    if client.is_bot:
        return _answer("bot", 202)
    ip = client_ip(request) or ""
    visitor, previous = visitor_ids(user_agent=user_agent, ip=ip, host=host)
    usage = ratelimit.hit(
        f"analytics:{visitor}",
        limit=settings.ANALYTICS_RATE_LIMIT,
        window=settings.ANALYTICS_RATE_WINDOW,
    )
    if not usage.allowed:
        return _answer("rate_limited", 429)
    country = beacons.country_of(ip)
    buffer.push(beacons.event(page, client, visitor=visitor, previous=previous, country=country))
    return _answer("accepted", 202)
