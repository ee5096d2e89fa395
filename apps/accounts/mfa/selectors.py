"""Second-factor reads: which devices a user has, and whether their role demands one."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import AuditEvent, User
from apps.accounts.roles import Role, has_role

BACKUP_CODE_COUNT = 10


@dataclass(frozen=True)
class MFAStatus:
    """What the security page shows: each factor and whether the role requires one."""

    totp: TOTPDevice | None
    backup_codes_left: int
    email: EmailDevice | None
    required: bool

    @property
    def enabled(self) -> bool:
        return self.totp is not None


def confirmed_totp_device(user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if they have set one up."""
    device: TOTPDevice | None = (
        TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    )
    return device


def pending_totp_device(user: User) -> TOTPDevice | None:
    """The authenticator app the user has started but not yet confirmed with a code."""
    device: TOTPDevice | None = (
        TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    )
    return device


def backup_device(user: User) -> StaticDevice | None:
    """The device holding the user's backup codes, if any."""
    device: StaticDevice | None = (
        StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    )
    return device


def email_device(user: User) -> EmailDevice | None:
    """The user's email-code fallback, if they turned it on."""
    device: EmailDevice | None = (
        EmailDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    )
    return device


def backup_codes_left(user: User) -> int:
    """How many unused backup codes the user holds."""
    count: int = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return count


def has_confirmed_device(user: User) -> bool:
    """True when the user must pass a second factor to sign in (any confirmed device)."""
    return bool(
        user.is_authenticated
        and (
            TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            or StaticDevice.objects.filter(user=user, confirmed=True).exists()
            or EmailDevice.objects.filter(user=user, confirmed=True).exists()
        )
    )


def mfa_required(user: User) -> bool:
    """True for staff, editors and admins: they may not use the dashboard or admin without 2FA."""
    return bool(user.is_authenticated and (user.is_staff or has_role(user, Role.EDITOR)))


def mfa_status(user: User) -> MFAStatus:
    """The user's second-factor state for the security page."""
    return MFAStatus(
        totp=confirmed_totp_device(user),
        backup_codes_left=backup_codes_left(user),
        email=email_device(user),
        required=mfa_required(user),
    )


def email_code_pending(device: EmailDevice) -> bool:
    """True while a code we emailed is unused and unexpired."""
    return bool(device.token) and device.valid_until > timezone.now()


def backup_code_digest(user: User, code: str) -> str:
    """A keyed digest of a used backup code: the audit log keeps this, never the code."""
    return salted_hmac(
        "apps.accounts.mfa.backup-code", f"{user.pk}:{code}", algorithm="sha256"
    ).hexdigest()


def backup_code_was_used(user: User, code: str) -> bool:
    """True when this exact backup code was already spent by this user."""
    return AuditEvent.objects.filter(
        kind=AuditEvent.Kind.BACKUP_CODE_USED,
        target=user,
        data__code_digest=backup_code_digest(user, code),
    ).exists()


def session_passed_second_factor(user: User) -> bool:
    """True when the request's user verified a second factor in this session.

    django-otp's middleware gives the request's user `is_verified()`; a user without a
    device (an editor who never enrolled) is never verified.
    """
    is_verified = getattr(user, "is_verified", None)
    return bool(user.is_authenticated and is_verified is not None and is_verified())
