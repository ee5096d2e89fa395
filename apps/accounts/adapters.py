"""allauth adapters: where allauth asks us about sign-up, login stages and social accounts."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext as _

from apps.accounts.models import User

# Where a new reader signed up from, kept in their session until they confirm their address.
RETURN_TO_SESSION_KEY = "inkwell_return_to"


def safe_next(request: HttpRequest, url: str | None) -> str | None:
    """`url` if it is a page of this site (never another host, never the account pages)."""
    if not url or url.startswith("/accounts/"):
        return None
    if not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return url


def remember_return_to(request: HttpRequest) -> None:
    """At sign-up: keep the page the reader came from, for after they confirm their address."""
    target = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if target is not None and hasattr(request, "session"):
        request.session[RETURN_TO_SESSION_KEY] = target


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]  # allauth is untyped
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool(settings.ACCOUNT_ALLOW_SIGNUP)

    def get_email_verification_redirect_url(self, email_address: Any) -> str:
        # Back to the page the reader signed up from, when this browser remembers it.
        session = getattr(self.request, "session", None)
        target = session.pop(RETURN_TO_SESSION_KEY, None) if session is not None else None
        if safe_next(self.request, target) and self.request.user.is_authenticated:
            return str(target)
        return str(super().get_email_verification_redirect_url(email_address))

    def get_login_stages(self) -> list[str]:
        # The second factor comes after the password (and after email verification).
        return [*super().get_login_stages(), "apps.accounts.mfa.stages.OTPStage"]


class ProviderNotConfiguredError(Http404, SocialApp.DoesNotExist):  # type: ignore[misc]
    """A provider without credentials: 404 for the client, still DoesNotExist for allauth."""


class SocialAccountAdapter(DefaultSocialAccountAdapter):  # type: ignore[misc]
    def get_app(self, request: HttpRequest, provider: str, client_id: str | None = None) -> Any:
        # /accounts/<provider>/login/ exists for every installed provider, configured or not;
        # allauth raises SocialApp.DoesNotExist for an unconfigured one, which was a 500.
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise ProviderNotConfiguredError(
                _("Signing in with %(provider)s is not set up on this site.")
                % {"provider": provider}
            ) from None

    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return bool(settings.ACCOUNT_ALLOW_SIGNUP)

    def populate_user(self, request: HttpRequest, sociallogin: Any, data: dict[str, Any]) -> User:
        user: User = super().populate_user(request, sociallogin, data)
        # allauth pre-fills the provider's login ("Octo-Cat"); ours must be URL-safe and free.
        user.username = unique_username(
            data.get("username") or (user.email or "").split("@")[0] or "reader"
        )
        if not user.display_name:
            full = data.get("name") or " ".join(
                filter(None, [data.get("first_name"), data.get("last_name")])
            )
            user.display_name = full.strip()[:80]
        return user


def unique_username(wanted: str) -> str:
    """A URL-safe username based on `wanted` that no account holds yet."""
    base = slugify(wanted).replace("-", "_").strip("_-")[:34] or "reader"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate
