"""Starting an export: the permission check, the rate limit and the audit entry, in one place.

The dashboard view and `manage.py export_site` both come here, so a download can never skip
the audit log. The audit entry is written when the export starts: a download cut short
still handed out part of the site, which is what the log is for.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.accounts.audit import Kind, record_event
from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.core.ratelimit import hit
from apps.transfer.exporting.site import ExportProgress, stream_site_export


class RateLimitedError(Exception):
    """Too many exports in the window; `retry_after` seconds until the next one may start."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def check_rate(key: str, *, limit: int, window: int, what: str) -> None:
    """Count one export against `key`; raise RateLimitedError when the budget is spent."""
    usage = hit(key, limit=limit, window=window)
    if not usage.allowed:
        minutes = max(1, round(usage.retry_after / 60))
        budget = ngettext(
            "%(what)s: at most %(limit)d every %(window)d minutes.",
            "%(what)s: at most %(limit)d every %(window)d minutes.",
            limit,
        ) % {"what": what, "limit": limit, "window": window // 60}
        wait = ngettext(
            "Please try again in about %(minutes)d minute.",
            "Please try again in about %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
        raise RateLimitedError(
            f"{budget} {wait}",
            retry_after=usage.retry_after,
        )


def start_site_export(
    *,
    actor: User | None,
    with_passwords: bool = False,
    request: HttpRequest | None = None,
    progress: ExportProgress | None = None,
) -> Iterator[bytes]:
    """Check and record a full-site export, then return its zip stream (lazily produced).

    `actor` None means the operator's shell (`manage.py export_site`): no permission check
    or rate limit, but the audit entry is still written.
    """
    if actor is not None:
        if not can(actor, "site.export"):
            raise PermissionDenied(_("Only administrators can export the site."))
        check_rate(
            f"transfer:site-export:{actor.pk}",
            limit=getattr(settings, "SITE_EXPORT_RATE_LIMIT", 5),
            window=getattr(settings, "SITE_EXPORT_RATE_WINDOW", 3600),
            what=_("Site exports are limited"),
        )
    record_event(
        kind=Kind.SITE_EXPORTED,
        actor=actor,
        request=request,
        data={
            "migration_bundle": with_passwords,
            "password_hashes": with_passwords,
            "via": "dashboard" if request is not None else "command",
        },
    )
    return stream_site_export(with_passwords=with_passwords, progress=progress)
