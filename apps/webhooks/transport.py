"""One HTTP POST to a checked address: no redirects, no retries here, bounded time and size.

requests resolves the host again when it connects, which would reopen the window the
address check closed (DNS rebinding). urllib3's connection pool can instead be pointed at
the IP address itself while the request keeps the real name where it matters: the `Host`
header, and for https the TLS server name (SNI) and the certificate check
(`server_hostname`, `assert_hostname`). So the connection goes to exactly the address
`apps.webhooks.security.check_target` approved.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import urllib3
from django.conf import settings
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


def _pool(target: Target, address: str, timeout: urllib3.Timeout) -> urllib3.HTTPConnectionPool:
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(
        address, target.port, timeout=timeout, retries=False, maxsize=1
    )


def _describe(error: Exception) -> str:
    # NewConnectionError is a ConnectTimeoutError subclass in urllib3, but means "refused".
    if isinstance(error, NewConnectionError):
        return f"Could not connect: {error}"[:BODY_LIMIT]
    if isinstance(error, ReadTimeoutError) or (
        isinstance(error, TimeoutError) and "read" in str(error).lower()
    ):
        return f"Timed out waiting for the answer (after {settings.WEBHOOKS_READ_TIMEOUT:g} s)."
    if isinstance(error, TimeoutError):
        return f"Timed out connecting (after {settings.WEBHOOKS_CONNECT_TIMEOUT:g} s)."
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:BODY_LIMIT]


def post(target: Target, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST `body` to the target's first checked address; never follows a redirect."""
    timeout = urllib3.Timeout(
        connect=settings.WEBHOOKS_CONNECT_TIMEOUT, read=settings.WEBHOOKS_READ_TIMEOUT
    )
    request_headers = {
        **headers,
        "Host": _host_header(target),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    started = time.monotonic()
    pool = _pool(target, target.addresses[0], timeout)

    def elapsed() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers=request_headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            # Only the start is kept: a huge or endless answer cannot fill memory or the log.
            data = response.read(BODY_LIMIT)
        finally:
            response.release_conn()
            response.close()
        return Outcome(
            status=response.status,
            duration_ms=elapsed(),
            body=data.decode("utf-8", errors="replace"),
            location=str(response.headers.get("Location", ""))[:500],
        )
    except (Urllib3Error, OSError) as error:
        return Outcome(status=None, duration_ms=elapsed(), error=_describe(error))
    finally:
        pool.close()
