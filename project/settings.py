"""Inkwell settings: one module, driven by environment variables.

With nothing set, Inkwell runs on the embedded defaults (SQLite, local-memory
cache, in-memory channel layer, immediate tasks, console email). Setting a
service URL switches that part to its production backend; `DJANGO_ENV=production`
turns on the hardening. Every variable is documented in docs/configuration.md.

This module must import with an empty environment: mypy's Django plugin does.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django_components import ComponentsSettings

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# `.env` is read if it exists; real environment variables win (overwrite=False).
# Test runs ignore it, so a developer's .env cannot point the suite at their data.
if (BASE_DIR / ".env").is_file() and "pytest" not in sys.modules:
    env.read_env(BASE_DIR / ".env", overwrite=False)

# --------------------------------------------------------------------------
# Environment and hardening
# --------------------------------------------------------------------------

DJANGO_ENV: str = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be 'development', 'production' or 'test', not {DJANGO_ENV!r}."
    )
IS_PRODUCTION = DJANGO_ENV == "production"
TESTING = DJANGO_ENV == "test" or "pytest" in sys.modules

# The embedded key makes `make run` work with nothing configured. It is public,
# so production refuses it (below) and `check --deploy` flags it (apps.core.checks).
EMBEDDED_SECRET_KEY = "inkwell-embedded-development-key-not-for-production-use-0123456789"  # noqa: S105
SECRET_KEY: str = env.str("DJANGO_SECRET_KEY", default=EMBEDDED_SECRET_KEY)
DEBUG: bool = env.bool("DJANGO_DEBUG", default=not IS_PRODUCTION and not TESTING)
ALLOWED_HOSTS: list[str] = env.list(
    "DJANGO_ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])


def _secret_key_problem(key: str) -> str | None:
    """Say why a secret key is unfit for production, or None if it is fine."""
    if not key:
        return "DJANGO_SECRET_KEY is not set."
    if key == EMBEDDED_SECRET_KEY:
        return "DJANGO_SECRET_KEY is the public embedded development key."
    if key.startswith("django-insecure-"):
        return "DJANGO_SECRET_KEY is a generated development key (django-insecure-…)."
    if len(key) < 50 or len(set(key)) < 5:
        return "DJANGO_SECRET_KEY is too weak: use at least 50 random characters."
    return None


if IS_PRODUCTION:
    if problem := _secret_key_problem(os.environ.get("DJANGO_SECRET_KEY", "")):
        raise ImproperlyConfigured(
            f"{problem} Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(64))'"
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_ALLOWED_HOSTS is empty: list the host names this site answers to, "
            "comma-separated (e.g. DJANGO_ALLOWED_HOSTS=blog.example.com)."
        )

SECURE_SSL_REDIRECT: bool = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=IS_PRODUCTION)
# nginx terminates TLS and says so in this header (infrastructure/nginx).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if IS_PRODUCTION else None
SECURE_HSTS_SECONDS: int = env.int(
    "DJANGO_SECURE_HSTS_SECONDS", default=31_536_000 if IS_PRODUCTION else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = IS_PRODUCTION
SECURE_HSTS_PRELOAD: bool = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=IS_PRODUCTION)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Health probes come from the kubelet over plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = IS_PRODUCTION
CSRF_COOKIE_SECURE = IS_PRODUCTION
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"

# --------------------------------------------------------------------------
# Applications
# --------------------------------------------------------------------------

INSTALLED_APPS = [
    "daphne",  # channels.testing needs it; it also makes runserver speak ASGI
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
    "apps.core",
    "apps.theme",
    "apps.accounts",
    "apps.blog",
    "apps.comments",
    "apps.notifications",
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
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",  # before CommonMiddleware; only /api/ (CORS_URLS_REGEX)
    "apps.api.middleware.ApiMiddleware",  # /api/ only: body limit, rate limits, ETag, v1 sunset
    "apps.accounts.middleware.SessionMiddleware",  # qsessions, with the real client IP
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "apps.accounts.middleware.SessionActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "apps.accounts.mfa.middleware.RequireMFAMiddleware",  # after messages: it can flash why
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.core.middleware.ServiceUnavailableMiddleware",
    # Last but for the markers below: a locked-out login is answered before any view runs.
    "axes.middleware.AxesMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.site",
                "apps.blog.context_processors.navigation",
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

# --------------------------------------------------------------------------
# Data: database, cache
# --------------------------------------------------------------------------

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'inkwell.sqlite3'}")
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's pool; Django requires persistent connections off when it is used.
    if env.bool("DATABASE_POOL", default=True):
        _db["CONN_MAX_AGE"] = 0
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=5.0),
        }
    else:
        _db["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
    # Each test run gets its own database, so parallel runs on one server never collide.
    _db["TEST"] = {"NAME": f"test_{_db['NAME']}_{os.getpid()}"}
    _db.setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout keep the single embedded process from "database is locked".
    _db.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL: str = env.str("REDIS_URL", default="")
# Keeps parallel test runs (and several sites on one Redis) apart.
CACHE_KEY_PREFIX: str = env.str(
    "CACHE_KEY_PREFIX", default=f"inkwell-test-{os.getpid()}" if TESTING else "inkwell"
)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "inkwell",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
CACHALOT_ENABLED: bool = env.bool("CACHALOT_ENABLED", default=True)
CACHALOT_TIMEOUT = 60 * 60
# Tables that change on every request or that must always be read fresh.
CACHALOT_UNCACHABLE_TABLES = frozenset(
    {
        "django_migrations",
        "qsessions_session",
        "django_tasks_db_dbtaskresult",
        "axes_accessattempt",
        "axes_accessfailurelog",
        "otp_totp_totpdevice",
        "otp_static_staticdevice",
        "otp_static_statictoken",
        "otp_email_emaildevice",
        "accounts_refreshtoken",  # reuse detection must see every use at once
    }
)

# --------------------------------------------------------------------------
# Real time: Channels
# --------------------------------------------------------------------------

# The channel layer's Redis; defaults to REDIS_URL (a separate instance can take the
# pub/sub traffic off the cache's Redis).
CHANNEL_LAYER_URL: str = env.str("CHANNEL_LAYER_URL", default=REDIS_URL)
if CHANNEL_LAYER_URL:
    # The core layer, not channels_redis.pubsub: its group members are a sorted set per group
    # in Redis (checkable, and cleaned by group_expiry), and messages for a briefly
    # disconnected process wait in Redis instead of being dropped (docs/deployment.md).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": CHANNEL_LAYER_URL,
                        # redis-py 8 raises instead of waiting when its pool is full,
                        # which silently drops group_add/discard under bursts (trap 14).
                        "max_connections": env.int("CHANNEL_LAYER_MAX_CONNECTIONS", default=1000),
                        # Above channels-redis's 5 s blocking read, or idle consumers die (trap 15).
                        "socket_timeout": 15,
                        # A dead Redis fails a broadcast in 2 s instead of holding the
                        # request that committed the comment for the whole socket_timeout.
                        "socket_connect_timeout": 2,
                    }
                ],
                "prefix": f"{CACHE_KEY_PREFIX}:asgi",
                "capacity": 1500,
                "expiry": 30,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --------------------------------------------------------------------------
# Background work: django-tasks
# --------------------------------------------------------------------------

TASKS_BACKEND: str = env.str("TASKS_BACKEND", default="database" if IS_PRODUCTION else "immediate")
if TASKS_BACKEND not in {"immediate", "database"}:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be 'immediate' or 'database', not {TASKS_BACKEND!r}."
    )
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend"
        if TASKS_BACKEND == "database"
        else "django_tasks.backends.immediate.ImmediateBackend",
    }
}

# With the immediate backend nothing can run later, so `manage.py serve` runs these
# in a thread every few seconds (apps.core.periodic); production uses db_worker.
INPROCESS_PERIODIC_JOBS = [
    "apps.blog.services.publish_due",
    "apps.notifications.services.send_notification_emails",
]
INPROCESS_PERIODIC_SECONDS: float = env.float("INPROCESS_PERIODIC_SECONDS", default=10.0)

# --------------------------------------------------------------------------
# Email
# --------------------------------------------------------------------------

# smtp+tls://user:pass@host:587, consolemail://, filemail:///path, memorymail://
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND: str = _email["EMAIL_BACKEND"]
EMAIL_HOST: str = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT: int = int(_email.get("EMAIL_PORT") or 25)
EMAIL_HOST_USER: str = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD: str = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS: bool = bool(_email.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL: bool = bool(_email.get("EMAIL_USE_SSL", False))
# filemail:///srv/mail means /srv/mail (django-environ drops the leading slash).
EMAIL_FILE_PATH = (
    "/" + _email["EMAIL_FILE_PATH"] if _email.get("EMAIL_FILE_PATH") else str(VAR_DIR / "mail")
)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL: str = env.str("DEFAULT_FROM_EMAIL", default="Inkwell <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --------------------------------------------------------------------------
# Accounts: allauth, sessions, second factor, lockout
# --------------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out credentials before anything checks them.
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
SESSION_ENGINE = "qsessions.backends.cached_db"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
LOGIN_REDIRECT_URL = "/"

ACCOUNT_ADAPTER = "apps.accounts.adapters.AccountAdapter"
ACCOUNT_ALLOW_SIGNUP: bool = env.bool("ACCOUNT_ALLOW_SIGNUP", default=True)
SOCIALACCOUNT_ADAPTER = "apps.accounts.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_USER_MODEL_EMAIL_FIELD = "email"
ACCOUNT_UNIQUE_EMAIL = True
# "former-author" owns the posts of deleted accounts (apps.accounts.profile.services).
ACCOUNT_USERNAME_BLACKLIST = ["former-author", "admin", "administrator", "root", "inkwell"]
# Unverified users may sign in and read; services refuse them comments and posts.
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_CHANGE_EMAIL = True  # a new address is verified before it replaces the old one
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False  # our services end the *other* sessions instead
ACCOUNT_SESSION_REMEMBER = None  # the login form offers "remember me"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
# django-axes owns lockout (it is audited); allauth's failed-login limit is relaxed
# so the two limiters never race (stack-notes, trap 9). Its other limits stay.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "100/m/ip,100/5m/key",
    "signup": "20/m/ip",
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "confirm_email": "1/3m/key",
}
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False


def _social_provider(name: str, scope: list[str]) -> dict[str, Any] | None:
    """A provider configured from the environment, or None when its credentials are unset."""
    client_id = env.str(f"{name}_CLIENT_ID", default="")
    secret = env.str(f"{name}_CLIENT_SECRET", default="")
    if not (client_id and secret):
        return None
    return {"APPS": [{"client_id": client_id, "secret": secret}], "SCOPE": scope}


# A provider is offered when its credentials are set here or a SocialApp exists in the admin.
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, Any]] = {
    key: config
    for key, config in {
        "github": _social_provider("GITHUB", ["read:user", "user:email"]),
        "google": _social_provider("GOOGLE", ["profile", "email"]),
    }.items()
    if config
}

OTP_TOTP_ISSUER: str = env.str("SITE_NAME", default="Inkwell")
OTP_EMAIL_TOKEN_VALIDITY = 10 * 60
OTP_EMAIL_SUBJECT = "Your sign-in code"
# "Trust this browser": how long a browser that passed the second factor may skip it.
MFA_TRUST_BROWSER_DAYS = 30

AXES_FAILURE_LIMIT: int = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME: float = env.float("AXES_COOLOFF_MINUTES", default=15.0) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"  # allauth's login form
AXES_USERNAME_CALLABLE = "apps.accounts.lockouts.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "apps.core.http.client_ip"
# Behind nginx (production) the client is the last address nginx appended to
# X-Forwarded-For; elsewhere it is the socket's peer.
USE_X_FORWARDED_FOR: bool = env.bool("DJANGO_USE_X_FORWARDED_FOR", default=IS_PRODUCTION)

# --------------------------------------------------------------------------
# Passwords
# --------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
if TESTING:
    # Hashing passwords at full strength costs ~0.3 s per user and buys tests nothing.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --------------------------------------------------------------------------
# Internationalisation
# --------------------------------------------------------------------------

LANGUAGE_CODE = "en"
TIME_ZONE: str = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --------------------------------------------------------------------------
# Static and media files
# --------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "django_components.finders.ComponentsFileSystemFinder",
]
if not IS_PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Manifest storage answers 500 for unbuilt assets, so only after collectstatic (trap 8).
_static_backend = (
    "whitenoise.storage.CompressedManifestStaticFilesStorage"
    if IS_PRODUCTION and not TESTING
    else "django.contrib.staticfiles.storage.StaticFilesStorage"
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": _static_backend},
}
# Outside production whitenoise serves straight from the finders: no collectstatic.
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# --------------------------------------------------------------------------
# Content Security Policy (django-csp 4)
# --------------------------------------------------------------------------

# No inline script or style anywhere: everything is a file under /static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --------------------------------------------------------------------------
# Logging (structlog)
# --------------------------------------------------------------------------

LOG_FORMAT: str = env.str("LOG_FORMAT", default="json" if IS_PRODUCTION else "console")
LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO")
LOGGING_CONFIG = None  # apps.core.logging configures logging once, in CoreConfig.ready()

# --------------------------------------------------------------------------
# Site
# --------------------------------------------------------------------------

SITE_NAME: str = env.str("SITE_NAME", default="Inkwell")
SITE_TAGLINE: str = env.str(
    "SITE_TAGLINE", default="Essays, notes and field reports on making things."
)
SITE_URL: str = env.str("SITE_URL", default="http://127.0.0.1:8000")
POSTS_PER_PAGE = 12
# Comments per user per window (apps.comments.services.create_comment, web and API alike).
COMMENT_RATE_LIMIT: int = env.int("COMMENT_RATE_LIMIT", default=5)
COMMENT_RATE_WINDOW: int = env.int("COMMENT_RATE_WINDOW", default=60)
# Notification emails wait this long for others to join the same message (one per batch).
NOTIFICATION_EMAIL_DELAY_SECONDS: int = env.int("NOTIFICATION_EMAIL_DELAY_SECONDS", default=300)

# --------------------------------------------------------------------------
# JSON API (django-ninja, apps.api) and CORS (django-cors-headers)
# --------------------------------------------------------------------------

API_ACCESS_TOKEN_SECONDS: int = env.int("API_ACCESS_TOKEN_SECONDS", default=15 * 60)
API_REFRESH_TOKEN_DAYS: int = env.int("API_REFRESH_TOKEN_DAYS", default=30)
# Requests per window: per client IP without a token, per user with one (apps.core.ratelimit).
API_RATE_LIMIT_ANON: int = env.int("API_RATE_LIMIT_ANON", default=60)
API_RATE_LIMIT_USER: int = env.int("API_RATE_LIMIT_USER", default=600)
API_RATE_LIMIT_WINDOW: int = env.int("API_RATE_LIMIT_WINDOW", default=60)
# API bodies are small JSON documents; anything bigger is refused before it is read.
API_MAX_BODY_BYTES: int = env.int("API_MAX_BODY_BYTES", default=64 * 1024)
# The day v1 stops answering (its `Sunset` header), as YYYY-MM-DD.
API_V1_SUNSET: str = env.str("API_V1_SUNSET", default="2027-11-30")
CORS_ALLOWED_ORIGINS: list[str] = env.list("API_CORS_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False  # Bearer tokens only: cookies never cross origins
CORS_ALLOW_HEADERS = ["accept", "authorization", "content-type", "if-none-match", "user-agent"]
CORS_EXPOSE_HEADERS = [
    "ETag",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Retry-After",
    "Deprecation",
    "Sunset",
    "Link",
]

# --------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------

PROMETHEUS_EXPORT_MIGRATIONS = False
