"""Webhooks (apps.webhooks): signed deliveries, retries, auto-disable, the private-address rule."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from project.settings.environment import IS_PRODUCTION, env

# Deliveries to private, loopback, link-local, multicast, reserved and unspecified addresses
# are refused (at registration and again, against the resolved address, at delivery). Off
# everywhere by default: an admin account must not become a way to reach the site's own
# Redis or a cloud metadata service. Turn it on for tests and trusted internal networks.
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES: bool = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=False)
# Plain http:// endpoints are refused in production unless this is on.
WEBHOOKS_ALLOW_HTTP: bool = env.bool("WEBHOOKS_ALLOW_HTTP", default=not IS_PRODUCTION)
# Seconds to connect, and to wait for each read of the answer.
WEBHOOKS_CONNECT_TIMEOUT: float = env.float("WEBHOOKS_CONNECT_TIMEOUT", default=10.0)
WEBHOOKS_READ_TIMEOUT: float = env.float("WEBHOOKS_READ_TIMEOUT", default=10.0)
# Seconds to wait before each retry (the first attempt is immediate); its length is the
# number of retries. Each wait is stretched by up to WEBHOOKS_RETRY_JITTER (a fraction).
WEBHOOKS_RETRY_SCHEDULE: list[int] = env.list(
    "WEBHOOKS_RETRY_SCHEDULE",
    cast=int,
    default=[5, 300, 1800, 7200, 18000, 36000, 36000],
)
WEBHOOKS_RETRY_JITTER: float = env.float("WEBHOOKS_RETRY_JITTER", default=0.2)
# An endpoint whose last this-many attempts all failed (with none succeeding in between) is
# switched off, and the admins are told.
WEBHOOKS_DISABLE_AFTER_FAILURES: int = env.int("WEBHOOKS_DISABLE_AFTER_FAILURES", default=15)
# Finished deliveries (succeeded or given up) are deleted after this many days.
WEBHOOKS_KEEP_DAYS: int = env.int("WEBHOOKS_KEEP_DAYS", default=30)
# Test events an admin may send per endpoint per minute.
WEBHOOKS_TEST_RATE_LIMIT: int = env.int("WEBHOOKS_TEST_RATE_LIMIT", default=5)
if (
    WEBHOOKS_CONNECT_TIMEOUT <= 0
    or WEBHOOKS_READ_TIMEOUT <= 0
    or WEBHOOKS_DISABLE_AFTER_FAILURES < 1
    or WEBHOOKS_KEEP_DAYS < 1
    or any(seconds < 0 for seconds in WEBHOOKS_RETRY_SCHEDULE)
):
    raise ImproperlyConfigured(
        "WEBHOOKS_*_TIMEOUT must be above 0, WEBHOOKS_DISABLE_AFTER_FAILURES and "
        "WEBHOOKS_KEEP_DAYS at least 1, and "
        "WEBHOOKS_RETRY_SCHEDULE made of seconds (0 or more)."
    )
