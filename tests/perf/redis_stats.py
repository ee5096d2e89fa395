"""Redis as `make bench` sees it: its memory, and what the bench's own databases hold.

`used_memory` is the whole server's (other databases and other users count too), so the
bench also adds up `MEMORY USAGE` of the keys in its own databases.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import redis

# Past this many keys the sum is a lower bound (it is printed with "≥").
MAX_KEYS = 200_000


@dataclass(frozen=True)
class DbUsage:
    db: int
    keys: int
    bytes: int
    complete: bool


def db_number(url: str) -> int:
    return int(urlsplit(url).path.strip("/") or 0)


def flush(url: str) -> None:
    """Empty the one database `url` names (FLUSHDB), never the server."""
    with redis.Redis.from_url(url) as client:
        client.flushdb()


def server_memory(url: str) -> tuple[int, int]:
    """(used_memory, maxmemory) of the whole Redis server, in bytes (0: no limit)."""
    with redis.Redis.from_url(url) as client:
        info = client.info("memory")
    return int(info["used_memory"]), int(info.get("maxmemory", 0))


def db_usage(url: str) -> DbUsage:
    with redis.Redis.from_url(url) as client:
        keys = int(client.dbsize())
        total = 0
        seen = 0
        batch: list[bytes] = []
        for key in client.scan_iter(count=1000):
            batch.append(key)
            if len(batch) == 1000:
                total += _usage(client, batch)
                seen += len(batch)
                batch = []
            if seen >= MAX_KEYS:
                break
        total += _usage(client, batch)
        seen += len(batch)
    return DbUsage(db=db_number(url), keys=keys, bytes=total, complete=seen >= keys)


def _usage(client: redis.Redis, keys: list[bytes]) -> int:
    if not keys:
        return 0
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.memory_usage(key, samples=0)
    return sum(int(n or 0) for n in pipe.execute())
