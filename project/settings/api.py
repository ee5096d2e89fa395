"""JSON API (django-ninja, apps.api) and CORS (django-cors-headers)."""

from __future__ import annotations

from project.settings.environment import env

API_ACCESS_TOKEN_SECONDS: int = env.int("API_ACCESS_TOKEN_SECONDS", default=15 * 60)
API_REFRESH_TOKEN_DAYS: int = env.int("API_REFRESH_TOKEN_DAYS", default=30)
# Requests per window: per client IP without a token, per user with one (apps.core.ratelimit).
API_RATE_LIMIT_ANON: int = env.int("API_RATE_LIMIT_ANON", default=60)
API_RATE_LIMIT_USER: int = env.int("API_RATE_LIMIT_USER", default=600)
API_RATE_LIMIT_WINDOW: int = env.int("API_RATE_LIMIT_WINDOW", default=60)
# API bodies are small JSON documents; anything bigger is refused before it is read.
API_MAX_BODY_BYTES: int = env.int("API_MAX_BODY_BYTES", default=64 * 1024)
# How long the answer to a write sent with an Idempotency-Key is kept for its retries.
IDEMPOTENCY_KEY_TTL: int = env.int("IDEMPOTENCY_KEY_TTL", default=24 * 60 * 60)
# The day v1 stops answering (its `Sunset` header), as YYYY-MM-DD.
API_V1_SUNSET: str = env.str("API_V1_SUNSET", default="2027-11-30")
CORS_ALLOWED_ORIGINS: list[str] = env.list("API_CORS_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False  # Bearer tokens only: cookies never cross origins
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "if-none-match",
    "user-agent",
]
CORS_EXPOSE_HEADERS = [
    "ETag",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Retry-After",
    "Idempotent-Replayed",
    "Deprecation",
    "Sunset",
    "Link",
]
