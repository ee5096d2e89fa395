"""Public newsletter pages (sign-up, confirm, preferences, unsubscribe)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def newsletter_page(request: HttpRequest) -> HttpResponse:
    raise Http404


def subscribe(request: HttpRequest) -> HttpResponse:
    raise Http404


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    raise Http404


def preferences(request: HttpRequest, token: str) -> HttpResponse:
    raise Http404


def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    raise Http404
