"""Facts about the client of a request that several apps need (audit log, lockout, sessions)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address: the proxy's last X-Forwarded-For entry when trusted."""
    return client_ip_from_meta(request.META)


def client_ip_from_meta(meta: Mapping[str, Any]) -> str | None:
    """`client_ip` from the WSGI environ (or request.META) itself."""
    candidates: list[str] = []
    if settings.USE_X_FORWARDED_FOR:
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        candidates.extend(part.strip() for part in reversed(forwarded.split(",")) if part.strip())
    candidates.append(meta.get("REMOTE_ADDR", ""))
    for candidate in candidates[:1] + candidates[-1:]:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def user_agent(request: HttpRequest, *, limit: int = 300) -> str:
    """The User-Agent header, trimmed to what we store."""
    return request.headers.get("User-Agent", "")[:limit]
