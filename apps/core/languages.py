"""The site's languages: which one a request is in, the switcher and hreflang alternates.

A public page's language comes from its URL only (`/de/posts/…`, or the unprefixed default
language), never from a cookie or Accept-Language: the page cache and both replay tiers key
pages by their path, so every reader of one address gets the same page. The reader's own
language (their choice in the switcher, remembered in a cookie set only then, or else their
browser's Accept-Language) applies to the pages that have no language in their address:
the dashboard, account pages, the JSON API's messages and the htmx endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.translation.trans_real import parse_accept_lang_header

# Addresses outside the public pages (project.urls: everything not in i18n_patterns). Their
# language is the reader's; tests/blog/test_translations.py checks the list covers every
# route but PUBLIC_UNPREFIXED, public answers in no one language (the default's is active).
READER_LANGUAGE_PATHS = (
    "/accounts/",
    "/admin/",
    "/api/",
    "/comments/",
    "/dashboard/",
    "/language/",
    "/newsletter/",
    "/notifications/",
    "/a/",
    "/healthz",
    "/readyz",
    "/robots.txt",
    "/favicon.ico",
    "/metrics",
    "/static/",
    "/media/",
)


PUBLIC_UNPREFIXED = ("/sitemap.xml",)


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself: "Deutsch", "العربية"
    bidi: bool


def site_languages() -> list[Language]:
    """The site's languages, the default first, each named in itself."""
    return [
        Language(code, LANG_INFO[code].get("name_local", code), LANG_INFO[code].get("bidi", False))
        for code in settings.SITE_LANGUAGES
    ]


def is_site_language(code: str) -> bool:
    return code in settings.SITE_LANGUAGES


def language_from_accept(header: str) -> str | None:
    """The first of the site's languages the Accept-Language header asks for, or None."""
    for accepted, _quality in parse_accept_lang_header(header):
        if accepted == "*":
            break
        try:
            return translation.get_supported_language_variant(accepted)
        except LookupError:
            continue
    return None


def reader_language(request: HttpRequest) -> str:
    """The language a reader chose (cookie), else their browser's, else the site's default.

    The JSON API has no cookie to go by: Accept-Language only.
    """
    if not request.path_info.startswith("/api/"):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if is_site_language(chosen):
            return chosen
    return language_from_accept(request.headers.get("Accept-Language", "")) or (
        settings.LANGUAGE_CODE
    )


def is_reader_path(path: str) -> bool:
    return path.startswith(READER_LANGUAGE_PATHS)


def request_language(request: HttpRequest) -> str:
    """The language `request` is answered in, as LanguageMiddleware will choose it.

    For the answers made before that middleware runs (a NUL byte, a body cut short, an
    outage): the URL's language, else the reader's where pages follow the reader (and the
    API, by Accept-Language), else the default.
    """
    path = request.path_info
    from_path = translation.get_language_from_path(path)
    if from_path is not None:
        return from_path
    if is_reader_path(path) or settings.PREFIX_DEFAULT_LANGUAGE:
        return reader_language(request)
    return str(settings.LANGUAGE_CODE)


class LanguageMiddleware:
    """Activates the request's language: the URL's for public pages, else the reader's.

    Django's LocaleMiddleware gives every unprefixed address the default language when the
    default is unprefixed (the dashboard too), and adds `Vary: Accept-Language` to public
    pages it did not take from the path; here public pages never vary by reader, and the
    pages outside them follow the reader's choice. With PREFIX_DEFAULT_LANGUAGE an
    unprefixed public address redirects to the reader's language (never page-cached: only
    200s are stored).
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        from_path = translation.get_language_from_path(path)
        by_reader = from_path is None and is_reader_path(path)
        language = request_language(request)
        # Nothing chose it yet but the browser: AccountLanguageMiddleware may put the
        # signed-in person's saved language in its place (never for the API).
        request.language_guessed = (  # type: ignore[attr-defined]
            by_reader
            and not path.startswith("/api/")
            and not is_site_language(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""))
        )
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            response: HttpResponse = self.get_response(request)
        finally:
            # Rendered by now (template responses are rendered inside get_response): the
            # thread goes back to the default, so work done outside a request (tasks, the
            # next request's early middleware) never inherits a reader's language.
            translation.deactivate()
        if (
            from_path is None
            and not by_reader
            and settings.PREFIX_DEFAULT_LANGUAGE
            and response.status_code == 404
        ):
            target = f"/{language}{request.get_full_path()}"
            redirect = HttpResponseRedirect(target)
            redirect["Cache-Control"] = "private, no-store"
            patch_vary_headers(redirect, ("Accept-Language", "Cookie"))
            return redirect
        if by_reader:
            patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", getattr(request, "LANGUAGE_CODE", language))
        return response


class AccountLanguageMiddleware:
    """A signed-in person's saved language where the reader chooses (dashboard, account).

    After authentication (LanguageMiddleware runs before it, without the user). The order:
    this browser's switcher cookie, then the account's language, then Accept-Language; so
    an editor who chose German sees a German dashboard on a new device too. Public pages
    keep their URL's language; the API speaks Accept-Language only.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if getattr(request, "language_guessed", False):
            # Only here is the user loaded: public pages never pay for it.
            user = getattr(request, "user", None)
            saved = getattr(user, "language", "") if user is not None else ""
            if saved and is_site_language(saved) and user is not None and user.is_authenticated:
                translation.activate(saved)
                request.LANGUAGE_CODE = saved
        response: HttpResponse = self.get_response(request)
        return response


# --------------------------------------------------------------------------
# Alternates: the current page in the other languages
# --------------------------------------------------------------------------


def home_url(language: str) -> str:
    with translation.override(language):
        return reverse("blog:home")


def set_alternates(request: HttpRequest, alternates: dict[str, str]) -> None:
    """A view that knows its page's versions ({language: path}) names them here."""
    request.language_alternates = alternates  # type: ignore[attr-defined]


def _alternates(request: HttpRequest) -> dict[str, str]:
    known = getattr(request, "language_alternates", None)
    if known is not None:
        return dict(known)
    path = request.path_info
    if is_reader_path(path) or getattr(request, "resolver_match", None) is None:
        return {}
    namespace = request.resolver_match.namespace  # type: ignore[union-attr]
    if namespace != "blog" or request.resolver_match.url_name == "post_detail":  # type: ignore[union-attr]
        return {}
    current = translation.get_language()
    found: dict[str, str] = {}
    for language in settings.SITE_LANGUAGES:
        with translation.override(current):
            url = translate_url(path, language)
        if translation.get_language_from_path(url) == language or (
            language == settings.LANGUAGE_CODE and not settings.PREFIX_DEFAULT_LANGUAGE
        ):
            found[language] = url
    return found


@dataclass(frozen=True)
class SwitcherLink:
    language: Language
    url: str  # the choose view, which remembers the choice, then goes to `target`
    current: bool
    available: bool  # this page exists in that language


def _switcher(request: HttpRequest) -> list[SwitcherLink]:
    alternates = _alternates(request)
    current = translation.get_language()
    here = request.get_full_path()
    public = not is_reader_path(request.path_info)
    links = []
    for language in site_languages():
        target = alternates.get(language.code) if public else here
        available = target is not None
        url = reverse("choose_language", kwargs={"code": language.code})
        links.append(
            SwitcherLink(
                language=language,
                url=f"{url}?{urlencode({'next': target or home_url(language.code)})}",
                current=language.code == current,
                available=available,
            )
        )
    return links


def context(request: HttpRequest) -> dict[str, Any]:
    """`language_switcher` and `language_alternates` (absolute hreflang links), lazily."""

    def alternates() -> list[tuple[str, str]]:
        found = _alternates(request)
        if len(found) < 2:
            return []  # a page in one language has no alternates to name
        links = [(code, request.build_absolute_uri(url)) for code, url in found.items()]
        default = found.get(settings.LANGUAGE_CODE)
        if default is not None:
            links.append(("x-default", request.build_absolute_uri(default)))
        return links

    return {
        "language_switcher": SimpleLazyObject(lambda: _switcher(request)),
        "language_alternates": SimpleLazyObject(alternates),
        "site_has_languages": len(settings.SITE_LANGUAGES) > 1,
    }
