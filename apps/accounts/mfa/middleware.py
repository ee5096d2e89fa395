"""The second-factor gate in front of the dashboard and the Django admin.

It runs on every request, so it looks at nothing but the path unless the path is
gated: anonymous visitors and readers browsing the site cost no query. On a gated
path a verified session costs the one device lookup django-otp's middleware
makes anyway; only unverified sessions are checked further.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse

from apps.accounts.mfa.selectors import has_confirmed_device, mfa_required
from apps.accounts.models import User

GATED_PREFIXES = ("/dashboard/", "/admin/")


def _redirect(request: HttpRequest, url_name: str) -> HttpResponseBase:
    url = f"{reverse(url_name)}?{urlencode({'next': request.get_full_path()})}"
    if request.headers.get("HX-Request") == "true":
        # An htmx swap would follow a 302 and paste the page into a fragment.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


class RequireMFAMiddleware:
    """Staff, editors and admins must enrol; anyone with a device must have verified this session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info.startswith(GATED_PREFIXES):
            response = self._gate(request)
            if response is not None:
                return response
        return self.get_response(request)

    def _gate(self, request: HttpRequest) -> HttpResponseBase | None:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated:
            return None
        if user.is_verified():  # type: ignore[attr-defined]  # installed by OTPMiddleware
            return None
        # No flash message here: MessageMiddleware runs after this one. The pages we
        # send people to say why they are there.
        if has_confirmed_device(user):
            return _redirect(request, "accounts:mfa_verify")
        if mfa_required(user):
            return _redirect(request, "accounts:mfa_totp_setup")
        return None
