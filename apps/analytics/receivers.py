"""Signal receivers: allauth's sign-up signal counts the "signed_up" goal."""

from __future__ import annotations

from typing import Any

from apps.analytics.services import record_goal


def signed_up(sender: Any, **kwargs: Any) -> None:
    """A new account: count the goal (after commit; nothing about the account is kept)."""
    record_goal("signed_up")
