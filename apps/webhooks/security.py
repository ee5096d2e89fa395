"""Where a webhook may be sent: the scheme rule and the private-address (SSRF) rule.

An admin types a URL; the worker later POSTs to it from inside the site's network. Without
a rule, that is a way to reach the site's own Redis, the database, an internal admin page or
a cloud metadata service (169.254.169.254). So, unless WEBHOOKS_ALLOW_PRIVATE_ADDRESSES is
on, every address the host resolves to must be a public unicast address; IPv4-mapped IPv6
(`::ffff:127.0.0.1`) is judged by the IPv4 address inside it.

The check runs at registration (a clear form error) and again at every delivery against
the addresses resolved *then*; the transport connects to the very address that was checked
(`apps.webhooks.transport`), so a DNS answer that changes between check and connection
(DNS rebinding) cannot send the request somewhere else.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    """A URL taken apart, with the addresses its host resolved to (all of them allowed)."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]


def is_public_address(address: IPAddress) -> bool:
    """True for a globally routable unicast address (IPv4 inside IPv6 judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address carried inside IPv6 (mapped, 6to4, Teredo) is judged by itself.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None:
            return is_public_address(embedded)
    # is_global is False for private, loopback, link-local, reserved, unspecified, shared
    # (100.64/10) and documentation ranges; multicast has global scopes, so it is named.
    return address.is_global and not address.is_multicast


def split_url(url: str) -> tuple[str, str, int, str]:
    """Scheme, host, port and request path of `url`; ValidationError if it cannot be sent to."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValidationError(_("That is not a valid URL."), code="invalid") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise ValidationError(_("Use an http:// or https:// URL."), code="scheme")
    if scheme == "http" and not settings.WEBHOOKS_ALLOW_HTTP:
        raise ValidationError(
            _("Use an https:// URL: plain http is not allowed here."), code="https"
        )
    if not parts.hostname:
        raise ValidationError(_("The URL has no host name."), code="invalid")
    if parts.username or parts.password:
        raise ValidationError(
            _("Leave user names and passwords out of the URL; the signature proves the sender."),
            code="credentials",
        )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (a literal address resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise ValidationError(
            _("The host name “%(host)s” could not be resolved.") % {"host": host},
            code="unresolvable",
        ) from None
    # sockaddr[0] may carry an IPv6 zone ("fe80::1%eth0"): the part before % is the address.
    found = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    return list(dict.fromkeys(found))


def check_target(url: str) -> Target:
    """Take `url` apart and resolve it; refuse it if any address is not public (unless allowed).

    Every address must pass, not just the first: a host that answers with one public and
    one private address could otherwise be pinned to the private one on a later attempt.
    """
    scheme, host, port, path = split_url(url)
    addresses = resolve(host, port)
    if not addresses:
        raise ValidationError(
            _("The host name “%(host)s” has no address.") % {"host": host}, code="unresolvable"
        )
    if not settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        for address in addresses:
            if not is_public_address(address):
                raise ValidationError(
                    _(
                        "%(host)s resolves to %(address)s, a private, loopback, link-local or "
                        "reserved address: webhooks may only be sent to public addresses."
                    )
                    % {"host": host, "address": address},
                    code="private_address",
                )
    return Target(
        scheme=scheme,
        host=host,
        port=port,
        path=path,
        addresses=tuple(str(a) for a in addresses),
    )


def check_url_for_registration(url: str) -> str:
    """The cleaned URL if it may be registered (scheme, host, and the address rule)."""
    check_target(url)
    return url.strip()
