"""Real time: Channels."""

from __future__ import annotations

from project.settings.data import CACHE_KEY_PREFIX, REDIS_URL
from project.settings.environment import env

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
