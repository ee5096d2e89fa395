"""Backup codes just generated: shown once, downloadable for a few minutes, then gone.

The codes live in the session (never in a URL or a log) for `WINDOW` seconds, so
the user can download them right after seeing them; after that only their
count is known to us, and the way to see codes again is to generate new ones.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.http import HttpRequest

SESSION_KEY = "inkwell_mfa_fresh_backup_codes"
WINDOW = 10 * 60


@dataclass(frozen=True)
class FreshCodes:
    codes: list[str]
    created_at: float
    shown: bool

    @property
    def seconds_left(self) -> int:
        return max(0, int(self.created_at + WINDOW - time.time()))

    @property
    def minutes_left(self) -> int:
        return max(1, -(-self.seconds_left // 60))


def remember(request: HttpRequest, codes: list[str]) -> None:
    """Keep freshly generated codes for this session's next page and download."""
    request.session[SESSION_KEY] = {"codes": list(codes), "at": time.time(), "shown": False}


def peek(request: HttpRequest) -> FreshCodes | None:
    """The fresh codes if they are still within the window; expired ones are dropped."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    fresh = FreshCodes(
        codes=[str(code) for code in data.get("codes", [])],
        created_at=float(data.get("at", 0)),
        shown=bool(data.get("shown")),
    )
    if fresh.seconds_left <= 0 or not fresh.codes:
        forget(request)
        return None
    return fresh


def mark_shown(request: HttpRequest) -> None:
    """Record that the page has displayed the codes; reloads will not show them again."""
    data = request.session.get(SESSION_KEY)
    if isinstance(data, dict) and not data.get("shown"):
        request.session[SESSION_KEY] = {**data, "shown": True}


def forget(request: HttpRequest) -> None:
    """Drop the fresh codes (expired, replaced, or 2FA turned off)."""
    request.session.pop(SESSION_KEY, None)


def display(code: str) -> str:
    """A backup code as we print it: two groups of five, easier to read and type."""
    return f"{code[:5]}-{code[5:]}" if len(code) == 10 else code
