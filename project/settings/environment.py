"""Environment and hardening: the project's paths, `env`, DJANGO_ENV and the security settings.

Every later section imports what it reads from here (`env`, BASE_DIR, IS_PRODUCTION, TESTING, …).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

# project/settings/environment.py -> the repository root.
BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# `.env` is read if it exists; real environment variables win (overwrite=False).
# Test runs ignore it, so a developer's .env cannot point the suite at their data.
if (BASE_DIR / ".env").is_file() and "pytest" not in sys.modules:
    env.read_env(BASE_DIR / ".env", overwrite=False)

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
# Earlier keys, still accepted for what they signed (sessions, reset links) while a new key
# rolls out (docs/operations.md, "Rotate secrets"); comma-separated.
SECRET_KEY_FALLBACKS: list[str] = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
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
    if DEBUG:
        # Debug pages print settings, SQL and tracebacks to whoever triggers an error.
        raise ImproperlyConfigured(
            "DJANGO_DEBUG is on with DJANGO_ENV=production: debug pages show settings and "
            "tracebacks to anyone. Unset DJANGO_DEBUG (or set DJANGO_DEBUG=false)."
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
# Browser features no page of ours uses, switched off for every response
# (apps.core.middleware.SecurityHeadersMiddleware); `()` allows no origin at all.
_DENIED_FEATURES = (
    "accelerometer",
    "autoplay",
    "bluetooth",
    "browsing-topics",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "interest-cohort",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "publickey-credentials-get",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY: dict[str, list[str]] = {feature: [] for feature in _DENIED_FEATURES}
# Other sites may not embed our responses (pages, API answers, static files) with no-cors
# requests; CORS requests to /api/ are unaffected. Empty turns the header off.
CROSS_ORIGIN_RESOURCE_POLICY: str = env.str(
    "DJANGO_CROSS_ORIGIN_RESOURCE_POLICY", default="same-origin"
)

# Freeze the loaded application out of the garbage collector in each server process
# (apps.core.warmup): full collections then skip it, which cuts the slow tail.
GC_FREEZE: bool = env.bool("GC_FREEZE", default=True)
