"""Applications: installed apps, middleware, URLs, templates and components."""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

from django_components import ComponentsSettings

from project.settings.environment import BASE_DIR, IS_PRODUCTION

# daphne (a dev dependency) makes runserver speak ASGI; production serves with uvicorn and
# granian, and its import (with Twisted) costs each worker about 14 MB.
_DEV_SERVER = ["daphne"] if not IS_PRODUCTION and find_spec("daphne") else []

INSTALLED_APPS = [
    *_DEV_SERVER,
    "apps.accounts.admin_apps.InkwellAdminConfig",  # django.contrib.admin, OTP-protected
    "django.contrib.auth",
    "django.contrib.contenttypes",
    # Sessions with user, IP, user agent and last activity (the sessions page).
    "qsessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "channels",
    "django_htmx",
    "django_components",
    # The simple config: the default one rewrites TEMPLATES["OPTIONS"]["loaders"]
    # and would drop django-components' loader (stack-notes, trap 11).
    "template_partials.apps.SimpleAppConfig",
    "tailwind",
    "waffle",
    "csp",
    "cachalot",
    # Before django_tasks_db: our `db_worker` (with the reaper) replaces its command.
    "apps.core",
    "django_tasks",
    "django_tasks_db",
    "django_prometheus",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.google",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_email",
    "axes",  # last of the auth apps: its signal handlers must see every login attempt
    "apps.theme",
    "apps.accounts",
    "apps.blog",
    "apps.comments",
    "apps.notifications",
    "apps.newsletter",
    "apps.analytics",
    "apps.transfer",
    "apps.webhooks",
    "anymail",
    "ninja",  # Swagger UI's files for /api/vN/docs, served by us (CSP: self only)
    "corsheaders",
    "apps.api",
    "apps.dashboard",
]

AUTH_USER_MODEL = "accounts.User"
TAILWIND_APP_NAME = "apps.theme"

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    # Outages answer 503 + Retry-After (views here; handler500 for middleware, see its docstring).
    "apps.core.middleware.ServiceUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Permissions-Policy and Cross-Origin-Resource-Policy, static files included.
    "apps.core.middleware.SecurityHeadersMiddleware",
    # A body shorter than its Content-Length: 400 before anything reads it (the next one does).
    "apps.core.bodies.CompleteBodyMiddleware",
    # A NUL (%00) anywhere in the request: 400 before anything can pass it to PostgreSQL.
    "apps.core.middleware.RejectNulMiddleware",
    # Analytics beacons (POST /a/e) are answered here, without the rest of the stack.
    "apps.analytics.middleware.BeaconMiddleware",
    "apps.core.middleware.HeadMiddleware",  # HEAD answered as GET, without the body
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",  # before CommonMiddleware; only /api/ (CORS_URLS_REGEX)
    "apps.api.middleware.ApiMiddleware",  # /api/ only: body limit, rate limits, ETag, v1 sunset
    # Imported sites' old addresses: 301 on a 404 or on "/?p=123" only (no query otherwise).
    "apps.transfer.middleware.LegacyRedirectMiddleware",
    # Stored pages for anonymous readers, before sessions, users, CSRF and URL resolving.
    "apps.core.pagecache.PageCacheMiddleware",
    # Anonymous GETs may read from a replica; writers stay on the primary (read-your-writes).
    "apps.core.db_router.ReplicaRoutingMiddleware",
    "apps.accounts.middleware.SessionMiddleware",  # qsessions, with the real client IP
    # The request's language: the URL's on public pages, the reader's elsewhere. Before
    # CommonMiddleware: resolving /de/… needs the language active.
    "apps.core.languages.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the signed-in user read from a per-process copy while unchanged.
    "apps.accounts.middleware.AuthenticationMiddleware",
    # A signed-in person's saved language on the pages that follow the reader's choice.
    "apps.core.languages.AccountLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "apps.accounts.middleware.SessionActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "apps.accounts.mfa.middleware.RequireMFAMiddleware",  # after messages: it can flash why
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last but for the markers below: a locked-out login is answered before any view runs.
    "axes.middleware.AxesMiddleware",
    # Signed-in readers of cached pages: the stored page with their parts filled in.
    "apps.core.personal.MemberPageMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    "apps.core.middleware.OneThreadHopMiddleware",  # keep last (see its docstring)
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"
ASGI_APPLICATION = "project.asgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",  # LANGUAGE_CODE, LANGUAGE_BIDI
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.site",
                "apps.blog.context_processors.navigation",
                "apps.core.languages.context",  # the switcher and hreflang alternates
            ],
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    [
                        (
                            "django.template.loaders.cached.Loader",
                            [
                                "django.template.loaders.filesystem.Loader",
                                "django.template.loaders.app_directories.Loader",
                                "django_components.template_loader.Loader",
                            ],
                        )
                    ],
                )
            ],
            "builtins": [
                "template_partials.templatetags.partials",
                "django_components.templatetags.component_tags",
            ],
        },
    }
]

COMPONENTS = ComponentsSettings(
    dirs=[BASE_DIR / "components"],
    app_dirs=[],
    # Components are templates plus Tailwind classes; nothing is inlined (our CSP).
    reload_on_file_change=False,
)
