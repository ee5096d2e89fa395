"""Account reads shared by pages, the API and consumers."""

from __future__ import annotations

import operator
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import reduce
from typing import TYPE_CHECKING, TypedDict

from allauth.account.models import EmailAddress
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django_otp import device_classes
from qsessions.models import Session

from apps.accounts.models import AuditEvent, Follow, User
from apps.accounts.roles import Role

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


def has_verified_email(user: User) -> bool:
    """True once the user has confirmed their primary email address."""
    return bool(
        user.is_authenticated
        and EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
    )


def sessions_for_user(user: User) -> QuerySet[Session]:
    """The user's live sessions, most recently active first."""
    sessions: QuerySet[Session] = Session.objects.filter(
        user=user, expire_date__gt=timezone.now()
    ).order_by("-updated_at")
    return sessions


def audit_events() -> QuerySet[AuditEvent]:
    """Every audit event, newest first, with actor and target loaded."""
    return AuditEvent.objects.select_related("actor", "target").order_by("-created_at", "-id")


# What an admin should notice on the overview; routine sign-ins and sign-outs are left out.
SECURITY_KINDS = (
    # New accounts and new second factors: an admin watching for abuse wants to see both.
    AuditEvent.Kind.SIGNUP,
    AuditEvent.Kind.MFA_ENROLLED,
    AuditEvent.Kind.LOGIN_FAILED,
    AuditEvent.Kind.LOCKOUT,
    AuditEvent.Kind.LOCKOUT_CLEARED,
    AuditEvent.Kind.MFA_DISABLED,
    AuditEvent.Kind.MFA_FAILED,
    AuditEvent.Kind.BACKUP_CODE_USED,
    AuditEvent.Kind.ROLE_CHANGED,
    AuditEvent.Kind.USER_DEACTIVATED,
    AuditEvent.Kind.USER_REACTIVATED,
    AuditEvent.Kind.PASSWORD_RESET,
    AuditEvent.Kind.EMAIL_CHANGED,
)


def _in_group(name: str) -> Exists:
    memberships = User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=name)
    return Exists(memberships)


def _role_annotation() -> Case:
    # The same order as apps.accounts.roles.role_of: superusers are admins, then the
    # highest role group held, else reader. tests/dashboard/test_selectors.py keeps them equal.
    return Case(
        When(is_superuser=True, then=Value(Role.ADMIN.value)),
        When(_in_group(Role.ADMIN.value), then=Value(Role.ADMIN.value)),
        When(_in_group(Role.EDITOR.value), then=Value(Role.EDITOR.value)),
        When(_in_group(Role.AUTHOR.value), then=Value(Role.AUTHOR.value)),
        default=Value(Role.READER.value),
    )


def _has_confirmed_device() -> Q | Value:
    # Any confirmed django-otp device (TOTP, email, backup codes), as django_otp.user_has_device.
    exists = [
        Exists(model.objects.filter(user_id=OuterRef("pk"), confirmed=True))
        for model in device_classes()
    ]
    if not exists:
        return Value(False)
    return reduce(operator.or_, (Q(check) for check in exists))


class DirectoryAnnotations(TypedDict):
    role_value: str  # a Role value
    has_2fa: bool


def user_directory(
    *, search: str = "", role: Role | None = None, active: bool | None = None
) -> QuerySet[WithAnnotations[User, DirectoryAnnotations]]:
    """Accounts for the users page, by email, each with `role_value` and `has_2fa` in one query.

    `search` matches email, username or display name; `role` and `active` narrow the list.
    """
    users = User.objects.annotate(
        role_value=_role_annotation(),
        has_2fa=Case(
            When(_has_confirmed_device(), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )
    if search:
        users = users.filter(
            Q(email__icontains=search)
            | Q(username__icontains=search)
            | Q(display_name__icontains=search)
        )
    if role is not None:
        users = users.filter(role_value=role.value)
    if active is not None:
        users = users.filter(is_active=active)
    return users.order_by("email", "pk")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered_audit_events(
    *,
    kind: str = "",
    user: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events newest first, narrowed by kind, a user's email (as actor or target) and days.

    Days are whole days in the current time zone, both ends included.
    """
    events = audit_events()
    if kind:
        events = events.filter(kind=kind)
    if user:
        # Labels keep the address the event was recorded with; the accounts may have changed since.
        events = events.filter(
            Q(actor_label__icontains=user)
            | Q(target_label__icontains=user)
            | Q(actor__email__icontains=user)
            | Q(target__email__icontains=user)
        )
    if date_from is not None:
        events = events.filter(created_at__gte=_day_start(date_from))
    if date_to is not None:
        events = events.filter(created_at__lt=_day_start(date_to + timedelta(days=1)))
    return events


def recent_security_events(limit: int = 8) -> QuerySet[AuditEvent]:
    """The latest events an admin should notice (failures, lockouts, role and account changes)."""
    return audit_events().filter(kind__in=SECURITY_KINDS)[:limit]


# --------------------------------------------------------------------------
# Follows
# --------------------------------------------------------------------------


def is_following(*, follower: User, author_id: int) -> bool:
    """True if `follower` (signed in) follows the author with this id."""
    if not follower.is_authenticated:
        return False
    return Follow.objects.filter(follower_id=follower.pk, author_id=author_id).exists()


def followed_author_ids(*, follower: User, author_ids: Iterable[int]) -> set[int]:
    """Which of these authors `follower` follows (one query, however many authors)."""
    if not follower.is_authenticated:
        return set()
    return set(
        Follow.objects.filter(follower_id=follower.pk, author_id__in=set(author_ids))
        .values_list("author_id", flat=True)
        .order_by()
    )


def follower_ids(*, author_ids: Iterable[int]) -> QuerySet[Follow, int]:
    """The ids of the active accounts following any of these authors, each once, as a query."""
    return (
        Follow.objects.filter(author_id__in=set(author_ids), follower__is_active=True)
        .values_list("follower_id", flat=True)
        .order_by("follower_id")
        .distinct()
    )


def follower_count(author: User) -> int:
    """How many active accounts follow `author`."""
    return Follow.objects.filter(author=author, follower__is_active=True).count()


def followable_author(username: str) -> User | None:
    """The active account with this username that readers may follow, or None."""
    return User.objects.filter(username=username.lower(), is_active=True).first()
