"""Facts about the client of a request that several apps need (audit log, lockout, sessions)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address: the proxy's last X-Forwarded-For entry when trusted."""
    candidates: list[str] = []
    if settings.USE_X_FORWARDED_FOR:
        forwarded = request.headers.get("x-forwarded-for", "")
        candidates.extend(part.strip() for part in reversed(forwarded.split(",")) if part.strip())
    candidates.append(request.META.get("REMOTE_ADDR", ""))
    for candidate in candidates[:1] + candidates[-1:]:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def user_agent(request: HttpRequest, *, limit: int = 300) -> str:
    """The User-Agent header, trimmed to what we store."""
    return request.headers.get("User-Agent", "")[:limit]
