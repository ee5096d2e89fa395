"""Internationalisation: the site's languages, its time zone, and where translations live.

`SITE_LANGUAGES` ("en,de,ar"): the languages the site publishes in, the first the default.
Public pages carry their language in the URL (`/de/posts/…`); the default language's
pages are unprefixed unless `PREFIX_DEFAULT_LANGUAGE` is on. A page's language comes from
its URL only, never from a cookie or Accept-Language, so the page cache can share it.
"""

from __future__ import annotations

from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured

from project.settings.environment import BASE_DIR, env

SITE_LANGUAGES: list[str] = [
    code.strip().lower() for code in env.list("SITE_LANGUAGES", default=["en", "de", "ar"])
]
if not SITE_LANGUAGES:
    raise ImproperlyConfigured("SITE_LANGUAGES must name at least one language.")
for _code in SITE_LANGUAGES:
    if _code not in LANG_INFO or "name" not in LANG_INFO[_code]:
        raise ImproperlyConfigured(
            f"SITE_LANGUAGES: {_code!r} is not a language code Django knows (e.g. en, de, ar)."
        )
if len(set(SITE_LANGUAGES)) != len(SITE_LANGUAGES):
    raise ImproperlyConfigured("SITE_LANGUAGES names a language twice.")

LANGUAGE_CODE = SITE_LANGUAGES[0]
# Django's own (code, English name) pairs; templates show each language's own name.
LANGUAGES: list[tuple[str, str]] = [(code, LANG_INFO[code]["name"]) for code in SITE_LANGUAGES]
PREFIX_DEFAULT_LANGUAGE: bool = env.bool("PREFIX_DEFAULT_LANGUAGE", default=False)
# Set only when a reader picks a language in the switcher (apps.core.languages.choose):
# it chooses the language of pages without one in their URL (the dashboard, account pages)
# and, with PREFIX_DEFAULT_LANGUAGE, where "/" sends them. Nothing is set before they choose.
LANGUAGE_COOKIE_NAME = "language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates follow the page's language: templates use DATE_FORMAT and friends; English keeps
# Inkwell's own (project/formats/en); other languages take Django's.
FORMAT_MODULE_PATH = ["project.formats"]

TIME_ZONE: str = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
