"""The WebSocket edge, in front of every live route (project.asgi wires it up).

- `BrowserOriginValidator`: browsers always send `Origin` on a WebSocket handshake, and a
  page on another site could otherwise open a socket that carries our reader's session
  cookie (cross-site WebSocket hijacking). A handshake with `Origin` is let through only
  when the origin is the site's own (the scheme, host and port the handshake itself came
  in on, its host one of ALLOWED_HOSTS) or listed in CSRF_TRUSTED_ORIGINS: the rule
  Django's CSRF check applies to the site's forms. Native clients (the mobile app) send no
  `Origin` at all and authenticate with a bearer token, not a cookie, so a handshake
  without the header has nothing to hijack: it is let through without its cookies, and
  the consumers treat it as anonymous unless it carries a valid token.
- `close_unknown_route`: the last route. Channels' URLRouter raises for a path no route
  matches, which the server answers with a 500 and a traceback; this accepts and closes
  with 4404, a code the client can read, like the consumers' own refusals.
- `LiveSocketGuard`: the outermost layer. When Redis (the channel layer, or the session
  cache) goes away while a socket connects, joins a group or waits for events, the socket
  is closed with 1013 ("try again later", which browsers retry with back-off, catching up
  through `?since=`) and one line is logged instead of a traceback per socket. When the
  channel layer's reader gives up for another reason (it logged why, once), its sockets
  close with 1011, which the same clients retry. It also drops frames a consumer sends
  after it closed the socket: a client frame that crossed the close would otherwise be
  answered into a closed socket, which the server reports with a traceback.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import structlog
from channels.auth import AuthMiddleware
from channels.sessions import CookieMiddleware, InstanceSessionWrapper
from channels.sessions import SessionMiddleware as ChannelsSessionMiddleware
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from redis.exceptions import RedisError

from apps.core import metrics
from apps.core.channel_layers import ReaderEndedError

logger = structlog.get_logger("inkwell.live")

CLOSE_UNKNOWN_ROUTE = 4404
# RFC 6455 "Try Again Later": htmx's ws extension and the mobile app reconnect with back-off.
CLOSE_TRY_AGAIN_LATER = 1013
# RFC 6455 "Internal Error": the channel layer's reader gave up (apps.core.channel_layers);
# retried by the same clients like 1013.
CLOSE_INTERNAL_ERROR = 1011

_DEFAULT_PORTS = {"http": 80, "https": 443}

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Origin:
    """A web origin with its port spelled out (`https://a.example` is port 443)."""

    scheme: str
    host: str
    port: int


def parse_origin(value: str) -> Origin | None:
    """The origin `value` names (`scheme://host[:port]`), or None unless it is one."""
    try:
        parsed = urlsplit(value.strip())
        port = parsed.port
    except ValueError:  # a port out of range, a broken IPv6 literal
        return None
    scheme = parsed.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parsed.hostname:
        return None
    if parsed.path or parsed.query or parsed.fragment or parsed.username is not None:
        return None
    return Origin(scheme, parsed.hostname.rstrip("."), port or _DEFAULT_PORTS[scheme])


def _header(headers: Headers, name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _is_secure(scope: dict[str, Any], headers: Headers) -> bool:
    """Did the handshake arrive over TLS? The same answer as Django's request.is_secure()."""
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        name = meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin-1")
        value = _header(headers, name)
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    # uvicorn says "wss" for TLS, and for X-Forwarded-Proto: https from a trusted proxy.
    return scope.get("scheme") in {"wss", "https"}


def site_origin(scope: dict[str, Any]) -> Origin | None:
    """The site's own origin for this handshake: its scheme and `Host`, if that is allowed."""
    headers: Headers = scope.get("headers", [])
    host = None
    if settings.USE_X_FORWARDED_HOST:
        host = _header(headers, b"x-forwarded-host")
    if host is None:
        host = _header(headers, b"host")
    if not host:
        return None
    domain, _port = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]  # what Django's get_host() allows
    if not domain or not validate_host(domain, allowed):
        return None
    scheme = "https" if _is_secure(scope, headers) else "http"
    return parse_origin(f"{scheme}://{host}")


def _trusted(origin: Origin) -> bool:
    """Is `origin` in CSRF_TRUSTED_ORIGINS (`https://*.example.com` covers subdomains)?"""
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        scheme, _, netloc = entry.partition("://")
        wildcard = netloc.startswith("*.")
        trusted = parse_origin(f"{scheme}://{netloc[2:] if wildcard else netloc}")
        if trusted is None or (trusted.scheme, trusted.port) != (origin.scheme, origin.port):
            continue
        if origin.host == trusted.host or (wildcard and origin.host.endswith(f".{trusted.host}")):
            return True
    return False


def origin_allowed(value: str, scope: dict[str, Any]) -> bool:
    """May a browser page at origin `value` open this socket? Scheme, host and port count."""
    origin = parse_origin(value)
    if origin is None:  # "null" (sandboxed frames, file:), or not an origin at all
        return False
    return origin == site_origin(scope) or _trusted(origin)


async def _refuse(receive: Any, send: Any) -> None:
    """Turn the handshake down before accepting it: the server answers 403."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close"})


class BrowserOriginValidator:
    """Check `Origin` when present (scheme, host and port); pass native clients through."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        headers: Headers = scope.get("headers", [])
        origins = [value for name, value in headers if name == b"origin"]
        if not origins:
            # No cookie-borne identity may ride a handshake that no browser would make.
            scope = {**scope, "headers": [(n, v) for n, v in headers if n != b"cookie"]}
            return await self.application(scope, receive, send)
        origin = origins[0].decode("latin-1")
        if len(origins) == 1 and origin_allowed(origin, scope):
            return await self.application(scope, receive, send)
        logger.info("live.origin_refused", origin=origin[:200], path=scope.get("path", "")[:200])
        return await _refuse(receive, send)


async def close_unknown_route(scope: Any, receive: Any, send: Any) -> None:
    """Accept, then close with 4404: no live route has this path."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": CLOSE_UNKNOWN_ROUTE})


class LiveSocketGuard:
    """Close with 1013 and log one line when Redis fails, with 1011 when the layer's reader
    gave up; drop frames sent after a close."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        route = metrics.socket_route(str(scope.get("path", "")))
        open_sockets = metrics.LIVE_SOCKETS_OPEN.labels(route=route)
        accepted = closed = False

        async def guarded_send(message: dict[str, Any]) -> None:
            nonlocal accepted, closed
            if closed:
                return  # the socket is closing: nothing more may be sent on it
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                open_sockets.inc()
            elif message["type"] == "websocket.close":
                closed = True
            await send(message)

        try:
            try:
                await self.application(scope, receive, guarded_send)
            except RedisError as error:
                # The outage is the news, not the stack: one line per socket, which closes
                # with a code the client retries. What it misses comes back through ?since=.
                logger.warning(
                    "live.redis_unavailable",
                    path=scope.get("path", "")[:200],
                    error=f"{type(error).__name__}: {error}"[:300],
                )
                code, reason = CLOSE_TRY_AGAIN_LATER, "redis_unavailable"
            except ReaderEndedError:
                # The layer's reader gave up and logged why, once for all of its sockets.
                code, reason = CLOSE_INTERNAL_ERROR, "reader_ended"
            else:
                return
            metrics.LIVE_SOCKET_DROPS.labels(route=route, reason=reason).inc()
            if closed:
                return
            # The client may have gone too; then there is nobody left to tell.
            with contextlib.suppress(OSError, RuntimeError):
                if not accepted:
                    await send({"type": "websocket.accept"})
                await send({"type": "websocket.close", "code": code})
        finally:
            if accepted:
                open_sockets.dec()


class _SessionWrapper(InstanceSessionWrapper):  # type: ignore[misc]  # channels is untyped
    """Channels' session wrapper, with frames passed straight through.

    Channels saves a session only on `http.response.start` (`save_message_types`), but its
    `send` reads the session's state for every message first: on a socket that is each
    frame of a fan-out, a dozen lazy-object lookups per reader for nothing.
    """

    async def send(self, message: dict[str, Any]) -> Any:
        if message["type"] == "websocket.send":
            return await self.real_send(message)
        return await super().send(message)


class SessionMiddleware(ChannelsSessionMiddleware):  # type: ignore[misc]  # channels is untyped
    """channels.sessions.SessionMiddleware (4.3) with `_SessionWrapper`."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        wrapper = _SessionWrapper(scope, send)
        await wrapper.resolve_session()
        return await self.inner(wrapper.scope, receive, wrapper.send)


def AuthMiddlewareStack(inner: Any) -> Any:  # noqa: N802  (channels' name)
    """channels.auth.AuthMiddlewareStack, with our SessionMiddleware."""
    return CookieMiddleware(SessionMiddleware(AuthMiddleware(inner)))
