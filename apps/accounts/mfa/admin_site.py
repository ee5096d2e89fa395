"""The Django admin behind the second factor, signing in through allauth.

`project/urls.py` gives the default `admin.site` this class (django-otp's
documented `admin.site.__class__ = OTPAdminSite` pattern), so every ModelAdmin
already registered keeps working.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp.admin import OTPAdminSite

from apps.accounts.mfa.selectors import has_confirmed_device
from apps.accounts.models import User


class InkwellAdminSite(OTPAdminSite):  # type: ignore[misc]  # django-otp is untyped
    """Only verified staff get in; the admin's own login form is replaced by allauth's."""

    def has_permission(self, request: HttpRequest) -> bool:
        is_verified = getattr(request.user, "is_verified", None)
        return bool(
            request.user.is_active
            and request.user.is_staff
            and is_verified is not None
            and is_verified()
        )

    @method_decorator(never_cache)
    @login_not_required
    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponseBase:
        index = reverse("admin:index", current_app=self.name)
        next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = index
        user = request.user
        if not user.is_authenticated:
            query = urlencode({REDIRECT_FIELD_NAME: next_url})
            return HttpResponseRedirect(f"{reverse('account_login')}?{query}")
        if self.has_permission(request):
            return HttpResponseRedirect(next_url)
        if user.is_active and user.is_staff:
            # Staff without a verified second factor (RequireMFAMiddleware normally
            # catches this first): enrol, or prove the factor for this session.
            enrolled = isinstance(user, User) and has_confirmed_device(user)
            step = "accounts:mfa_verify" if enrolled else "accounts:mfa_totp_setup"
            return HttpResponseRedirect(f"{reverse(step)}?{urlencode({'next': next_url})}")
        # Signed in without staff status: allauth's login would send them straight back here.
        raise PermissionDenied(_("Your account cannot use the admin."))
