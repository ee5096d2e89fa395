"""What the second-factor views share: the signed-in user, `next`, the verified-session gate."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from apps.accounts.mfa.selectors import has_confirmed_device
from apps.accounts.models import User

View = Callable[..., HttpResponseBase]


def signed_in_user(request: HttpRequest) -> User:
    """The signed-in user (views behind login_required only)."""
    user = request.user
    if not isinstance(user, User):  # pragma: no cover - login_required guarantees it
        raise TypeError("A signed-in user is required.")
    return user


def is_verified(request: HttpRequest) -> bool:
    """True when this session passed the second factor (django-otp's `user.is_verified()`)."""
    check = getattr(request.user, "is_verified", None)
    return bool(check is not None and check())


def next_url_from(request: HttpRequest, default: str = "") -> str:
    """A same-site `next` from the query or form, else `default`."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def with_next(url: str, next_url: str) -> str:
    """`url` carrying `next` in its query, when there is one."""
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def verified_session(view: View) -> View:
    """Once a user has a second factor, managing it needs a session that passed it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_verified(request) and has_confirmed_device(signed_in_user(request)):
            return redirect(with_next(reverse("accounts:mfa_verify"), request.get_full_path()))
        return view(request, *args, **kwargs)

    return wrapper
