"""Daily salts and the visitor id: a keyed hash that nobody can reverse or carry across days.

visitor id = BLAKE2b(key = the day's random salt, message = user agent, IP address, host),
cut to 64 bits. The salt is random (secrets.token_bytes), rotates at midnight in the site's
time zone, and is deleted after 48 hours (`purge_salts`): once it is gone, nobody, the operator
included, can recompute an id from an IP address and a user agent, and ids of different days
cannot be linked. Yesterday's salt is kept so a visit that crosses midnight stays one visit.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.analytics.models import Salt

SALT_BYTES = 32
_salts: dict[date, bytes] = {}  # the process's copy of today's and yesterday's salts
_absent: set[date] = set()  # past days without a salt: none can appear later (only today's is made)
_lock = threading.Lock()


def _salt_for(day: date, *, create: bool) -> bytes | None:
    with _lock:
        if day in _salts:
            return _salts[day]
        if not create and day in _absent:
            return None
    key = Salt.objects.filter(day=day).values_list("key", flat=True).first()
    if key is None and create:
        try:
            with transaction.atomic():
                key = Salt.objects.create(day=day, key=secrets.token_bytes(SALT_BYTES)).key
        except IntegrityError:  # another process created it first: use theirs
            key = Salt.objects.filter(day=day).values_list("key", flat=True).first()
    if key is None:
        if day < timezone.localdate():
            with _lock:
                _absent.add(day)
        return None
    with _lock:
        for old in [known for known in _salts if known < day - timedelta(days=1)]:
            del _salts[old]
        _salts[day] = bytes(key)
    return _salts[day]


def forget_cached_salts() -> None:
    """Drop the process's copies (tests, and after `purge_salts`)."""
    with _lock:
        _salts.clear()
        _absent.clear()


def _hash(salt: bytes, user_agent: str, ip: str, host: str) -> int:
    message = "\x00".join((user_agent, ip, host)).encode()
    digest = hashlib.blake2b(message, key=salt, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)  # fits PostgreSQL's bigint


def visitor_ids(
    *, user_agent: str, ip: str, host: str, day: date | None = None
) -> tuple[int, int | None]:
    """Today's visitor id, and yesterday's (None when that salt is gone) for open visits."""
    today = day or timezone.localdate()
    current = _salt_for(today, create=True)
    assert current is not None  # noqa: S101 (create=True always yields a salt)
    previous = _salt_for(today - timedelta(days=1), create=False)
    return (
        _hash(current, user_agent, ip, host),
        _hash(previous, user_agent, ip, host) if previous is not None else None,
    )


def purge_salts(today: date | None = None) -> int:
    """Delete salts older than yesterday's (48 hours at most); return how many went."""
    today = today or timezone.localdate()
    deleted, _ = Salt.objects.filter(day__lt=today - timedelta(days=1)).delete()
    with _lock:
        for old in [known for known in _salts if known < today - timedelta(days=1)]:
            del _salts[old]
    return deleted
