from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.core.health import run_checks
from apps.core.middleware import outage_response


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database, cache and channel layer all answer; 503 names what failed."""
    checks = run_checks()
    failing = [name for name, result in checks.items() if result != "ok"]
    if failing:
        return JsonResponse(
            {"status": "unavailable", "failing": failing, "checks": checks}, status=503
        )
    return JsonResponse({"status": "ok", "checks": checks})


@require_GET
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico whatever the page says; send them to the real icon."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    return render(request, "core/robots.txt", content_type="text/plain")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403: a page that says why, in the site's layout (naming the user's role)."""
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a 503 with Retry-After when a backing service is down, else the 500 page.

    Django calls it inside its `except` block, for exceptions raised anywhere, middleware
    included (ServiceUnavailableMiddleware sees only the view's), so `sys.exc_info()` names
    the exception.
    """
    if (response := outage_response(request, sys.exc_info()[1])) is not None:
        return response
    # No context processors that could touch a failing database.
    return render(request, "500.html", status=500)
