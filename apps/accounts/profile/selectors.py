"""Reads for the profile, sessions and deletion pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.crypto import constant_time_compare, salted_hmac

from apps.accounts.mfa.selectors import email_device, has_confirmed_device
from apps.accounts.models import User
from apps.accounts.selectors import sessions_for_user

_SESSION_ID_SALT = "inkwell.accounts.profile.session"


@dataclass(frozen=True)
class SessionRow:
    """One signed-in browser as the sessions page shows it."""

    public_id: str
    browser: str
    os: str
    device: str
    ip: str | None
    created_at: datetime | None
    last_seen: datetime
    is_current: bool


def session_public_id(session_key: str) -> str:
    """A stable name for a session that reveals nothing of its key (the key is a credential)."""
    return salted_hmac(_SESSION_ID_SALT, session_key).hexdigest()[:32]


def _version(*parts: str | None) -> str:
    return ".".join(part for part in parts if part)


def _describe(user_agent: str | None, info: Any) -> tuple[str, str, str]:
    """Browser, operating system and device from ua-parser's result (None when no UA)."""
    if info is None:
        return ("Unknown browser" if not user_agent else user_agent[:60], "", "")
    browser = "Unknown browser"
    if info.user_agent is not None and info.user_agent.family != "Other":
        browser = f"{info.user_agent.family} {_version(info.user_agent.major)}".strip()
    os_name = ""
    if info.os is not None and info.os.family != "Other":
        os_name = f"{info.os.family} {_version(info.os.major, info.os.minor)}".strip()
    device = ""
    if info.device is not None and info.device.family not in {"Other", "Mac"}:
        device = info.device.family
    return browser, os_name, device


def session_rows(user: User, *, current_key: str | None) -> list[SessionRow]:
    """The user's live sessions, the one in use first, then the most recently active."""
    rows = []
    for session in sessions_for_user(user):
        browser, os_name, device = _describe(session.user_agent, session.device_info)
        rows.append(
            SessionRow(
                public_id=session_public_id(session.session_key),
                browser=browser,
                os=os_name,
                device=device,
                ip=session.ip,
                created_at=session.created_at,
                last_seen=session.updated_at,
                is_current=bool(current_key) and session.session_key == current_key,
            )
        )
    rows.sort(key=lambda row: not row.is_current)  # stable: keeps "most recent first"
    return rows


def session_key_for(user: User, public_id: str) -> str | None:
    """The key of the user's live session named `public_id`, or None."""
    keys = sessions_for_user(user).values_list("session_key", flat=True)
    for key in keys:
        if constant_time_compare(session_public_id(key), public_id):
            return str(key)
    return None


def needs_second_factor(user: User) -> bool:
    """True when confirming something sensitive also takes a current second-factor code."""
    return has_confirmed_device(user)


def can_send_email_code(user: User) -> bool:
    """True when the user's second factor includes codes sent by email."""
    return email_device(user) is not None
