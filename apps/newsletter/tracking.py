"""Open and click tracking (only when NEWSLETTER_TRACKING is on)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def click(request: HttpRequest) -> HttpResponse:
    raise Http404


def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    raise Http404
