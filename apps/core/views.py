from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from apps.core.health import CHECKS, run_checks
from apps.core.http import client_ip


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else."""
    return JsonResponse({"status": "ok"})


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database, cache and channel layer all answer; 503 names what failed.

    `?need=database` (repeatable) checks only the parts named: the web pods' probe asks for
    the database alone, because they serve every page from it while Redis is down
    (docs/deployment.md, "When Redis or PostgreSQL is down"); a full `/readyz` is what the
    WebSocket pods' probe and the `InkwellReadinessFailing` alert see.
    """
    parts = request.GET.getlist("need") or None
    if parts is not None and not set(parts) <= set(CHECKS):
        return JsonResponse(
            {"status": "bad_request", "detail": f"need must be one of {', '.join(CHECKS)}"},
            status=400,
        )
    checks = run_checks(parts)
    failing = [name for name, result in checks.items() if result != "ok"]
    if failing:
        return JsonResponse(
            {"status": "unavailable", "failing": failing, "checks": checks}, status=503
        )
    return JsonResponse({"status": "ok", "checks": checks})


@require_safe
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico whatever the page says; send them to the real icon."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    return render(request, "core/robots.txt", content_type="text/plain")


def metrics_refusal(request: HttpRequest) -> HttpResponse | None:
    """Why this request may not read /metrics (a 403 or 401 answer), or None if it may.

    The metrics name every view and its traffic: the app refuses strangers itself,
    whatever the ingress or nginx do (METRICS_ALLOWED_NETWORKS, METRICS_TOKEN).
    """
    try:
        address = ipaddress.ip_address(client_ip(request) or "")
    except ValueError:
        address = None
    networks = [
        ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_NETWORKS
    ]
    if address is None or not any(address in network for network in networks):
        return HttpResponse("Forbidden", status=403, content_type="text/plain")
    token = str(settings.METRICS_TOKEN)
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), token.encode()):
            return HttpResponse(
                "Unauthorized",
                status=401,
                content_type="text/plain",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
    return None


@require_safe
@never_cache
def metrics(request: HttpRequest) -> HttpResponseBase:
    """Every worker's metrics (apps.core.metrics), for allowed networks and the token only."""
    refusal = metrics_refusal(request)
    if refusal is not None:
        return refusal
    from apps.core.metrics import render

    body, content_type = render()
    return HttpResponse(body, content_type=content_type)
