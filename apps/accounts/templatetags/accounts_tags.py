"""Template helpers for the account pages, the header's account menu and allauth's elements."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from allauth.account.adapter import get_adapter
from django import template
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.accounts.roles import Role, role_of
from components.button.button import BASE as BUTTON_BASE
from components.button.button import VARIANTS as BUTTON_VARIANTS

register = template.Library()

# The dashboard app names its landing page; until it exists the menu leaves the link out.
DASHBOARD_URL_NAME = "dashboard:home"


@register.simple_tag
def site_name() -> str:
    """The site's name, for mail templates (allauth renders subjects without a request)."""
    return str(settings.SITE_NAME)


@register.simple_tag(takes_context=True)
def account_menu(context: template.Context) -> dict[str, Any]:
    """What the header offers: sign-up for visitors; the dashboard link for those allowed."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"signup_open": bool(get_adapter(request).is_open_for_signup(request))}
    dashboard_url = None
    if can(user, "dashboard.access"):
        try:
            dashboard_url = reverse(DASHBOARD_URL_NAME)
        except NoReverseMatch:
            dashboard_url = None
    return {"dashboard_url": dashboard_url}


@register.simple_tag
def user_role(user: object) -> Role | None:
    """The signed-in user's highest role (the 403 page names it); None for visitors."""
    return role_of(user) if isinstance(user, User) and user.is_authenticated else None


@register.simple_tag
def button_classes(variant: str = "primary", extra: str = "") -> str:
    """The `button` component's classes, for buttons drawn by allauth's element templates."""
    return f"{BUTTON_BASE} {BUTTON_VARIANTS[variant]} {extra}".strip()


@register.filter
def button_variant(tags: Iterable[str] | None) -> str:
    """Map allauth's button tags ("danger", "secondary", "link", …) to our button variants."""
    tags = set(tags or ())
    if tags & {"danger", "delete"}:
        return "danger"
    if tags & {"link", "cancel"}:
        return "ghost"
    if tags & {"secondary", "outline", "minor"}:
        return "secondary"
    return "primary"


@register.filter
def duration(value: timedelta | None) -> str:
    """A timedelta in words: "15 minutes", "1 hour", "1 hour 30 minutes"."""
    if value is None:
        return ""
    minutes = max(1, round(value.total_seconds() / 60))
    days, rest = divmod(minutes, 60 * 24)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts)


def _english() -> bool:
    """True while the page is rendered in English (the case rules below are English ones)."""
    return (get_language() or "en").split("-")[0] == "en"


@register.filter
def inline_label(value: Any) -> str:
    """A label used inside a sentence: lowercased in English ("the editor role"); other
    languages keep its case (German nouns are capitalised, Arabic has none)."""
    text = str(value)
    return text.lower() if _english() else text


@register.filter
def startswith(value: Any, prefix: Any) -> bool:
    """True when the string `value` starts with `prefix` (an empty prefix never matches)."""
    return bool(prefix) and str(value).startswith(str(prefix))


@register.simple_tag(takes_context=True)
def follow_button(context: template.Context, author: User) -> SafeString:
    """An author's follow button, inside the personal region that cached pages fill per reader.

    Rendering for a signed-in reader costs one query; for the stored (anonymous) page none.
    """
    from apps.accounts.regions import follow_button_html  # regions import the template layer

    if not author.is_active:
        return SafeString("")  # a closed account (the former-author placeholder) has no followers
    request = context["request"]
    # Only a signed-in reader's button is a form: reading the token for an anonymous page
    # would set the CSRF cookie and keep the page out of the page cache.
    token = str(context.get("csrf_token", "")) if request.user.is_authenticated else ""
    html = follow_button_html(
        request, author_id=author.pk, author_username=author.username, csrf_token=token
    )
    marker = f"follow author={author.pk} username={author.username}"
    return format_html("<!--personal:{}-->{}<!--/personal:follow-->", marker, html)


_TAG = re.compile(r"(<[^>]*>)")
_CAPITALISED = re.compile(r"\b([A-Z][a-z]+)\b")
# Names keep their capitals; everything else after the first word is lowercased.
_PROPER_NOUNS = frozenset({"Inkwell", "Google", "GitHub", "Apple", "Facebook", "Microsoft"})


@register.filter(is_safe=True)
def sentence_case(value: str) -> str:
    """ "Verify Your Email Address" → "Verify your email address": allauth's headings, our style.

    Only a capitalised word's case changes (not "TOTP", not the site's name), and only
    outside tags, so markup and escaping stay as they were. English only: translations are
    already in their language's own case (German capitalises every noun).
    """
    if not _english():
        return value
    keep = _PROPER_NOUNS | {str(settings.SITE_NAME)}
    first = True

    def lower(match: re.Match[str]) -> str:
        word = match[1]
        return word if word in keep else word.lower()

    parts = _TAG.split(str(value))
    for index, part in enumerate(parts):
        if part.startswith("<") or not part.strip():
            continue
        if first:
            # The first word keeps its capital: lowercase only what follows it.
            head = re.match(r"\s*[A-Za-z]+", part)
            end = head.end() if head else 0
            parts[index] = part[:end] + _CAPITALISED.sub(lower, part[end:])
            first = False
        else:
            parts[index] = _CAPITALISED.sub(lower, part)
    result = "".join(parts)
    return mark_safe(result) if isinstance(value, SafeString) else result  # noqa: S308


@register.simple_tag(takes_context=True)
def return_here(context: template.Context) -> str:
    """`?next=<this page>` for the header's sign-in and sign-up links, so people come back.

    On the account pages themselves the `next` they already carry is passed on instead.
    """
    request = context.get("request")
    if request is None:
        return ""
    if request.path.startswith("/accounts/"):
        target = request.GET.get("next", "")
    else:
        target = request.get_full_path()
    return f"?{urlencode({'next': target})}" if target else ""
