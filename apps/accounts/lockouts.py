"""django-axes lockouts as admins see them: which account + address pairs are locked, and unlocking.

django-axes counts failed sign-ins per (login, IP address) pair (`AXES_LOCKOUT_PARAMETERS`)
and sums them over every browser (user agent) that pair used. A pair is locked out while
that sum, over the attempts inside the cool-off, is at or over `AXES_FAILURE_LIMIT`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.audit import Kind, record_event
from apps.accounts.models import User
from apps.accounts.permissions import require


@dataclass(frozen=True)
class Lockout:
    """One locked (login, IP address) pair; `user` is the account the login names, if any."""

    username: str | None
    ip_address: str | None
    failures: int
    last_attempt: datetime
    expires_at: datetime | None
    user: User | None


@dataclass(frozen=True)
class LockoutPolicy:
    failure_limit: int
    cool_off: timedelta | None  # None: a lockout lasts until an admin clears it

    @property
    def cool_off_minutes(self) -> int | None:
        return None if self.cool_off is None else round(self.cool_off.total_seconds() / 60)


def lockout_policy() -> LockoutPolicy:
    """How many failures lock a (login, IP) pair, and for how long (from the AXES_* settings)."""
    limit = settings.AXES_FAILURE_LIMIT
    # A callable or dotted-path limit depends on the request; this page has none to give it.
    return LockoutPolicy(
        failure_limit=limit if isinstance(limit, int) else 5, cool_off=get_cool_off()
    )


def current_lockouts() -> list[Lockout]:
    """Every (login, IP) pair that django-axes refuses right now, most recent first (two queries)."""
    policy = lockout_policy()
    cool_off = policy.cool_off
    attempts = AccessAttempt.objects.all()
    if cool_off is not None:
        if getattr(settings, "AXES_USE_ATTEMPT_EXPIRATION", False):
            attempts = attempts.filter(expiration__expires_at__gt=timezone.now())
        else:
            attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    rows = (
        attempts.order_by()
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), last_attempt=Max("attempt_time"))
        .filter(failures__gte=policy.failure_limit)
        .order_by("-last_attempt", "username", "ip_address")
    )
    pairs = list(rows)
    # Logins are email addresses as typed; accounts store them lower-cased.
    logins = {(row["username"] or "").lower() for row in pairs} - {""}
    users = {user.email: user for user in User.objects.filter(email__in=logins)}
    return [
        Lockout(
            username=row["username"],
            ip_address=row["ip_address"],
            failures=row["failures"],
            last_attempt=row["last_attempt"],
            expires_at=row["last_attempt"] + cool_off if cool_off is not None else None,
            user=users.get((row["username"] or "").lower()),
        )
        for row in pairs
    ]


@transaction.atomic
def clear_lockout(
    *,
    actor: User,
    username: str | None,
    ip_address: str | None,
    request: HttpRequest | None = None,
) -> int:
    """Forget every failed attempt of one (login, IP) pair so it may sign in again; admins only.

    Returns how many attempt records were removed; raises ValidationError if there were none.
    """
    require(actor, "users.manage")
    if username and ip_address:
        removed = int(reset(ip=ip_address, username=username))
    else:
        # axes.utils.reset treats a missing value as "any", which would unlock far more
        # than this pair; attempts without a login or address are matched exactly instead.
        missing_login = Q(username__isnull=True) | Q(username="")
        removed, _details = (
            AccessAttempt.objects.filter(missing_login if not username else Q(username=username))
            .filter(Q(ip_address__isnull=True) if not ip_address else Q(ip_address=ip_address))
            .delete()
        )
    if not removed:
        raise ValidationError(_("That sign-in is not locked out (any more)."))
    target = User.objects.filter(email__iexact=username).first() if username else None
    record_event(
        kind=Kind.LOCKOUT_CLEARED,
        actor=actor,
        target=target,
        request=request,
        data={"login": (username or "")[:254], "ip": ip_address, "attempts": removed},
    )
    return removed


# allauth authenticates with `{"email": …}`, the login form posts `login`, and axes'
# own success handler passes `{"login": …}` (AXES_USERNAME_FORM_FIELD). Without one
# answer for all three, failures would be recorded without an account and lockout
# would silently become per-IP only.


def lockout_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """The lower-cased email (or username) an attempt was for, or None if it names none."""
    for source in (credentials or {}, getattr(request, "POST", {}) if request is not None else {}):
        for key in ("login", "email", "username"):
            value = source.get(key)
            if value:
                return str(value).strip().lower()[:254]
    return None
