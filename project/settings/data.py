"""Data: database, cache."""

from __future__ import annotations

import os

from project.settings.environment import TESTING, VAR_DIR, env

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
# After Redis fails, how long (seconds) the cache goes on without it before trying again:
# reads are misses and writes are remembered meanwhile (apps.core.cache), so no request
# waits for a dead server's timeout more often than this.
CACHE_RETRY_INTERVAL: float = env.float("CACHE_RETRY_INTERVAL", default=5.0)
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, but an outage is a cache miss, not an error.
            "BACKEND": "apps.core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {
                # One pool per process, not one per thread and asyncio context (each live
                # socket had one connection of its own); up to 50 connections, then wait.
                "pool_class": "apps.core.redis_pool.SharedConnectionPool",
                "max_connections": env.int("CACHE_MAX_CONNECTIONS", default=50),
                "timeout": 5,
                "socket_connect_timeout": 2,
                "socket_timeout": 2,
                "RETRY_INTERVAL": CACHE_RETRY_INTERVAL,
            },
        }
    }
    # cachalot checks the backend's dotted path against a list; ours is Django's RedisCache
    # underneath (a subclass), which cachalot supports.
    SILENCED_SYSTEM_CHECKS = ["cachalot.W001"]
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
        "django_tasks_database_dbtaskresult",  # django_tasks_db.DBTaskResult
        "axes_accessattempt",
        "axes_accessfailurelog",
        "otp_totp_totpdevice",
        "otp_static_staticdevice",
        "otp_static_statictoken",
        "otp_email_emaildevice",
        "accounts_refreshtoken",  # reuse detection must see every use at once
        # Written every few seconds by the analytics drain: caching would only churn.
        "analytics_event",
        "analytics_visit",
        # Written by senders in other processes (db_worker, `manage.py send_campaigns`) row by
        # row: the sweep must see a campaign another process started, and caching a table
        # that changes with every message sent would only churn invalidations.
        "newsletter_campaign",
        "newsletter_delivery",
    }
)

# The page cache for anonymous readers (apps.core.pagecache): pages are dropped by the
# services that change what they show; the timeout only bounds staleness after a failed
# invalidation.
PAGE_CACHE_ENABLED: bool = env.bool("PAGE_CACHE_ENABLED", default=True)
# Which of CACHES holds the pages and their dependency tokens.
PAGE_CACHE_ALIAS: str = env.str("PAGE_CACHE_ALIAS", default="default")
PAGE_CACHE_TIMEOUT: int = env.int("PAGE_CACHE_TIMEOUT", default=60 * 60)
# Each worker keeps copies of the pages it served lately (bytes of bodies, 0 for none), so
# a hit reads only the pages' dependency tokens from the cache, not the page itself.
PAGE_CACHE_LOCAL_BYTES: int = env.int("PAGE_CACHE_LOCAL_BYTES", default=16 * 1024 * 1024)
# Cache-Control for shared caches in front (nginx): seconds fresh, then served stale while
# it revalidates. Browsers always revalidate (max-age=0) and get a 304 when nothing changed.
PAGE_CACHE_SHARED_MAX_AGE: int = env.int("PAGE_CACHE_SHARED_MAX_AGE", default=5)
PAGE_CACHE_STALE_WHILE_REVALIDATE: int = env.int("PAGE_CACHE_STALE_WHILE_REVALIDATE", default=30)
# A stampede renders a page once: the renderer holds this lock (seconds) while others
# get the previous version, or wait up to PAGE_CACHE_LOCK_WAIT seconds for the first one.
PAGE_CACHE_LOCK_TIMEOUT = 10
PAGE_CACHE_LOCK_WAIT = 2.0
# Signed-in readers get the stored page with their personal regions filled in
# (apps.core.personal) instead of a full render.
PAGE_CACHE_MEMBERS: bool = env.bool("PAGE_CACHE_MEMBERS", default=True)
# Their filled regions are kept per reader and session until what they show changes.
PERSONAL_REGIONS_KEPT: bool = env.bool("PERSONAL_REGIONS_KEPT", default=True)
