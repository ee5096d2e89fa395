"""Real time: Channels."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from project.settings.data import CACHE_KEY_PREFIX, REDIS_URL
from project.settings.environment import env

# The channel layer's Redis; defaults to REDIS_URL (a separate instance can take the
# pub/sub traffic off the cache's Redis).
CHANNEL_LAYER_URL: str = env.str("CHANNEL_LAYER_URL", default=REDIS_URL)

# Which Redis channel layer carries live updates between processes (docs/deployment.md):
# - "core" (default): apps.core.channel_layers.RedisChannelLayer, channels_redis's core
#   layer with a bounded waiting pool and one reader per event loop. Group members are a
#   sorted set per group in Redis (checkable, cleaned by group_expiry), and messages for a
#   process that lost Redis for a moment wait there (`expiry`) instead of being dropped.
# - "pubsub": channels_redis.pubsub.RedisPubSubChannelLayer. About two connections per
#   process, groups kept in each process's memory; a message published while a process is
#   cut off from Redis is lost for its sockets (pages catch up when they reconnect).
CHANNEL_LAYER_BACKENDS = {
    "core": "apps.core.channel_layers.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}
CHANNEL_LAYER_BACKEND: str = env.str("CHANNEL_LAYER_BACKEND", default="core")
if CHANNEL_LAYER_BACKEND not in CHANNEL_LAYER_BACKENDS:
    raise ImproperlyConfigured(
        f"CHANNEL_LAYER_BACKEND must be one of {', '.join(CHANNEL_LAYER_BACKENDS)}, "
        f"not {CHANNEL_LAYER_BACKEND!r}."
    )


def channel_layer_settings(
    backend: str, url: str, key_prefix: str, max_connections: int = 50
) -> dict[str, dict[str, Any]]:
    """CHANNEL_LAYERS for `backend` ("core" or "pubsub") on the Redis at `url`."""
    prefix = f"{key_prefix}:asgi"
    if backend == "pubsub":
        # Redis pub/sub channels are server-wide, not per database: two sites on one Redis
        # server in different databases would hear each other, so the names carry the db.
        prefix += f":db{urlsplit(url).path.strip('/') or '0'}"
    config: dict[str, Any] = {
        "hosts": [
            {
                "address": url,
                # Connections per process (per event loop). The core layer's pool waits for
                # a free one when all are busy (redis-py 8's plain pool raises instead, which
                # dropped group_add/discard under bursts: stack-notes trap 14), so 50 serve
                # a storm of 1,000 connects; the pub/sub layer uses about two.
                "max_connections": max_connections,
                # Above channels-redis's 5 s blocking read, or idle consumers die (trap 15).
                "socket_timeout": 15,
                # A dead Redis fails a broadcast in 2 s instead of holding the
                # request that committed the comment for the whole socket_timeout.
                "socket_connect_timeout": 2,
            }
        ],
        "prefix": prefix,
    }
    if backend == "core":
        # pool_timeout: how long a command waits for a free pooled connection.
        config.update(capacity=1500, expiry=30, pool_timeout=10)
    return {"default": {"BACKEND": CHANNEL_LAYER_BACKENDS[backend], "CONFIG": config}}


CHANNEL_LAYERS: dict[str, dict[str, Any]] = (
    channel_layer_settings(
        CHANNEL_LAYER_BACKEND,
        CHANNEL_LAYER_URL,
        CACHE_KEY_PREFIX,
        env.int("CHANNEL_LAYER_MAX_CONNECTIONS", default=50),
    )
    if CHANNEL_LAYER_URL
    else {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
)
