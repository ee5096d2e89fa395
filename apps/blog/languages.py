"""The language switcher's target: a public page in another language (its translation).

The switcher (templates/_language_switcher.html, apps.core.languages) links to `choose`,
which remembers the reader's choice and sends them to this page's version in the language
they chose: a post's translation, a category's or tag's translated address, or the same
listing under the other language's prefix.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from apps.blog import selectors
from apps.blog.models import Category, Tag
from apps.core.languages import home_url, is_reader_path, is_site_language


def _taxonomy_url(url_name: str, slug: str, language: str) -> str | None:
    found: Category | Tag | None = (
        selectors.by_any_slug(Category, slug)
        if url_name == "category_detail"
        else selectors.by_any_slug(Tag, slug)
    )
    if found is None:
        return None
    with translation.override(language):
        return str(found.get_absolute_url())


def alternate_url(path: str, language: str) -> str | None:
    """`path` (a public page of any language) in `language`, or None if it has no version.

    Posts go to their translation; categories and tags to their translated slug; other
    pages to the same page under the other language's prefix.
    """
    current = translation.get_language_from_path(path) or settings.LANGUAGE_CODE
    with translation.override(current):
        try:
            match = resolve(path)
        except Resolver404:
            return None
    if match.namespace != "blog":
        return None
    if match.url_name == "post_detail":
        post = selectors.published_post_by_slug(match.kwargs["slug"], current)
        if post is None:
            return None
        versions = selectors.published_versions(post)
        return next((v.url for v in versions if v.language == language), None)
    if match.url_name in {"category_detail", "tag_detail"}:
        return _taxonomy_url(match.url_name, match.kwargs["slug"], language)
    with translation.override(current):
        return translate_url(path, language)


def choose(request: HttpRequest, code: str) -> HttpResponse:
    """The switcher's link: remember the reader's language, then go to the page's version.

    A GET (the switcher is a plain link, so it works in page-cached pages without a CSRF
    token); it only sets a preference cookie, and for a signed-in reader their language.
    `next` must be on this site; anything else goes to the language's home page.
    """
    if not is_site_language(code):
        raise Http404("No such language.")
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = home_url(code)
    elif not is_reader_path(target.split("?", 1)[0]):
        target = alternate_url(target.split("?", 1)[0], code) or target
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    response["Cache-Control"] = "private, no-store"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and getattr(user, "language", code) != code:
        get_user_model().objects.filter(pk=user.pk).update(language=code)
    return response
