"""One HTTP POST to a checked address: no redirects, no retries here, bounded time and size.

requests resolves the host again when it connects, which would reopen the window the
address check closed (DNS rebinding). A urllib3 connection can instead be opened to the IP
address itself while the request keeps the real name where it matters: the `Host` header,
and for https the TLS server name (SNI) and the certificate check (`server_hostname`,
`assert_hostname`). So the connection goes to exactly the address
`apps.webhooks.security.check_target` approved. One connection per attempt, no pool: there
is nothing to reuse between attempts minutes apart, and no redirect or retry logic in the way.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from http.client import HTTPException

from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NewConnectionError, ReadTimeoutError, TimeoutError

from apps.webhooks.models import BODY_LIMIT
from apps.webhooks.security import Target

USER_AGENT = "Inkwell-Webhooks/1.0 (+https://www.standardwebhooks.com/)"


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: an HTTP status and the start of the body, or an error."""

    status: int | None
    duration_ms: int
    body: str = ""
    error: str = ""
    location: str = ""  # a redirect's target, shown in the log (never followed)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


def _connection(target: Target, address: str) -> HTTPConnection:
    """A connection to `address` that speaks to the target by its name (Host, SNI, cert)."""
    connect = settings.WEBHOOKS_CONNECT_TIMEOUT
    if target.scheme == "https":
        return HTTPSConnection(
            address,
            target.port,
            timeout=connect,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return HTTPConnection(address, target.port, timeout=connect)


def deadline_seconds() -> float:
    """The longest an attempt may take in all, however slowly the answer trickles in."""
    return float(settings.WEBHOOKS_CONNECT_TIMEOUT + settings.WEBHOOKS_READ_TIMEOUT)


def _cut(connection: HTTPConnection, cut: threading.Event) -> None:
    cut.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _describe(error: Exception | None, *, cut: bool) -> str:
    if cut or error is None:
        return f"Took longer than {deadline_seconds():g} s in all: cut off."
    # NewConnectionError is a ConnectTimeoutError subclass in urllib3, but means "refused".
    if isinstance(error, NewConnectionError):
        return f"Could not connect: {error}"[:BODY_LIMIT]
    if isinstance(error, ReadTimeoutError | socket.timeout) or (
        isinstance(error, TimeoutError) and "read" in str(error).lower()
    ):
        return f"Timed out waiting for the answer (after {settings.WEBHOOKS_READ_TIMEOUT:g} s)."
    if isinstance(error, TimeoutError):
        return f"Timed out connecting (after {settings.WEBHOOKS_CONNECT_TIMEOUT:g} s)."
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:BODY_LIMIT]


def post(target: Target, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST `body` to the target's first checked address; never follows a redirect.

    Each read waits at most WEBHOOKS_READ_TIMEOUT, and a watchdog cuts the connection once
    the whole attempt has taken `deadline_seconds()`: a server that answers a byte at a
    time cannot hold a worker (or outlive the delivery's lease).
    """
    request_headers = {
        **headers,
        "Host": _host_header(target),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    started = time.monotonic()
    connection = _connection(target, target.addresses[0])
    cut = threading.Event()
    watchdog = threading.Timer(deadline_seconds(), _cut, args=(connection, cut))
    watchdog.daemon = True
    watchdog.start()

    def elapsed() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        connection.connect()
        connection.timeout = settings.WEBHOOKS_READ_TIMEOUT  # every read from here on
        connection.request(
            "POST", target.path, body=body, headers=request_headers, preload_content=False
        )
        response = connection.getresponse()
        # Only the start is kept: a huge or endless answer cannot fill memory or the log.
        data = response.read(BODY_LIMIT)
        if cut.is_set():
            # The cut can look like an early end of the headers: never count it as an answer.
            return Outcome(status=None, duration_ms=elapsed(), error=_describe(None, cut=True))
        return Outcome(
            status=response.status,
            duration_ms=elapsed(),
            body=data.decode("utf-8", errors="replace"),
            location=str(response.headers.get("Location", ""))[:500],
        )
    except (Urllib3Error, OSError, HTTPException) as error:
        return Outcome(status=None, duration_ms=elapsed(), error=_describe(error, cut=cut.is_set()))
    finally:
        watchdog.cancel()
        connection.close()
