"""API credentials: short-lived JWT access tokens and rotating, revocable refresh tokens.

Access tokens are HS256 JWTs signed with a key derived from SECRET_KEY (never the key
itself, so a leaked JWT key cannot forge sessions or password-reset links). They carry
the user's *token generation*, a digest of the password hash and the active flag, so a
password change or a deactivation ends them at once without a revocation list.

Refresh tokens are random strings; only their SHA-256 digest is stored (`RefreshToken`).
Each use rotates: the presented row is marked used and a new row joins the same family.
A used row presented again means someone else holds a copy, so the whole family is
revoked (OAuth 2.0 Security BCP, "refresh token rotation"). Logging out revokes the
family, which also ends its access tokens (they name their family in `fam`).

`user_for_access_token` is the one check every transport uses: the ninja API's
Bearer auth and the WebSocket middleware (apps.api.ws_auth).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from allauth.account import signals
from allauth.account.adapter import get_adapter
from allauth.account.forms import SignupForm
from allauth.account.internal.flows.email_verification import send_verification_email_for_user
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from apps.accounts.audit import Kind, record_event
from apps.accounts.mfa.selectors import has_confirmed_device, mfa_required
from apps.accounts.mfa.services import verify_second_factor
from apps.accounts.models import RefreshToken, User

ALGORITHM = "HS256"
ISSUER = "inkwell"
ACCESS = "access"
_KEY_SALT = "inkwell.accounts.tokens.signing-key"
_GENERATION_SALT = "inkwell.accounts.tokens.generation"
REFRESH_PREFIX = "iwr_"


class TokenError(Exception):
    """A token was refused; `code` says why (the API's error code, the WebSocket's auth_error)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class EmailTakenError(Exception):
    """Sign-up named an email address that already has an account."""


@dataclass(frozen=True)
class TokenPair:
    """What a client keeps after signing in or refreshing."""

    access: str
    refresh: str
    access_expires_at: datetime
    refresh_expires_at: datetime
    family: uuid.UUID

    @property
    def expires_in(self) -> int:
        return max(0, int((self.access_expires_at - timezone.now()).total_seconds()))


def access_token_lifetime() -> timedelta:
    """How long an access token lives (API_ACCESS_TOKEN_SECONDS)."""
    return timedelta(seconds=int(getattr(settings, "API_ACCESS_TOKEN_SECONDS", 900)))


def refresh_token_lifetime() -> timedelta:
    """How long a refresh token lives unused (API_REFRESH_TOKEN_DAYS)."""
    return timedelta(days=int(getattr(settings, "API_REFRESH_TOKEN_DAYS", 30)))


def _signing_keys() -> list[bytes]:
    # Derived per secret: rotating SECRET_KEY (with SECRET_KEY_FALLBACKS) keeps old tokens valid.
    secrets_ = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [
        salted_hmac(_KEY_SALT, "jwt", secret=secret, algorithm="sha256").digest()
        for secret in secrets_
    ]


def token_generation(user: User) -> str:
    """A digest that changes when the user's password or active flag changes."""
    value = f"{user.pk}:{user.password}:{int(user.is_active)}"
    return salted_hmac(_GENERATION_SALT, value).hexdigest()[:32]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _access_token(
    user: User, family: uuid.UUID, now: datetime, *, second_factor: bool
) -> tuple[str, datetime]:
    expires = now + access_token_lifetime()
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": str(user.pk),
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": uuid.uuid4().hex,
        "typ": ACCESS,
        "gen": token_generation(user),
        "fam": family.hex,
        "mfa": second_factor,
    }
    return jwt.encode(claims, _signing_keys()[0], algorithm=ALGORITHM), expires


def _new_refresh(
    user: User, family: uuid.UUID, now: datetime, *, second_factor: bool
) -> tuple[str, datetime]:
    token = REFRESH_PREFIX + secrets.token_urlsafe(32)
    expires = now + refresh_token_lifetime()
    RefreshToken.objects.create(
        user=user,
        family=family,
        token_hash=_digest(token),
        generation=token_generation(user),
        created_at=now,
        expires_at=expires,
        second_factor=second_factor,
    )
    return token, expires


@transaction.atomic
def issue_token_pair(
    *, user: User, family: uuid.UUID | None = None, second_factor: bool = False
) -> TokenPair:
    """A new access token and refresh token for an active user (a new family unless given).

    `second_factor`: the sign-in verified a second factor (kept by every rotation).
    """
    if not user.is_active:
        raise TokenError("inactive", "This account is deactivated.")
    family = family or uuid.uuid4()
    now = timezone.now()
    access, access_expires = _access_token(user, family, now, second_factor=second_factor)
    refresh, refresh_expires = _new_refresh(user, family, now, second_factor=second_factor)
    return TokenPair(access, refresh, access_expires, refresh_expires, family)


def _revoke_family(family: uuid.UUID, now: datetime) -> int:
    return RefreshToken.objects.filter(family=family, revoked_at__isnull=True).update(
        revoked_at=now
    )


def rotate_refresh_token(*, token: str, request: HttpRequest | None = None) -> TokenPair:
    """Spend a refresh token for a new pair; a reused token revokes its whole family.

    Raises TokenError (`invalid_token`, `token_expired`, `token_revoked`, `token_reused`).
    Not one transaction as a whole: the family's revocation must survive the error.
    """
    now = timezone.now()
    row = RefreshToken.objects.select_related("user").filter(token_hash=_digest(token)).first()
    if row is None:
        raise TokenError("invalid_token", "The refresh token is not valid.")
    user = row.user
    if row.revoked_at is not None:
        raise TokenError("token_revoked", "The refresh token has been revoked. Sign in again.")
    stale = not user.is_active or not constant_time_compare(row.generation, token_generation(user))
    if row.expires_at <= now and not stale:
        raise TokenError("token_expired", "The refresh token has expired. Sign in again.")
    with transaction.atomic():
        # Only one caller can flip used_at from NULL: a concurrent second use loses here.
        won = not stale and bool(
            RefreshToken.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now)
        )
        if won:
            return issue_token_pair(user=user, family=row.family, second_factor=row.second_factor)
        revoked = _revoke_family(row.family, now)
        if not stale:
            record_event(
                kind=Kind.API_TOKEN_REUSED,
                target=user,
                request=request,
                data={"family": row.family.hex, "revoked": revoked},
            )
    if stale:
        raise TokenError(
            "token_revoked",
            "The refresh token is no longer valid (password changed or account deactivated).",
        )
    raise TokenError(
        "token_reused",
        "This refresh token was already used, so every token of this sign-in is now revoked.",
    )


@transaction.atomic
def revoke_refresh_family(
    *, token: str, actor: User | None = None, request: HttpRequest | None = None
) -> int:
    """Sign out one API sign-in: revoke the refresh token's family (and so its access tokens).

    Raises TokenError("invalid_token") for an unknown token, or one that is not the actor's.
    Returns how many rows were revoked (0 when it already was).
    """
    row = RefreshToken.objects.select_related("user").filter(token_hash=_digest(token)).first()
    if row is None or (actor is not None and row.user_id != actor.pk):
        raise TokenError("invalid_token", "The refresh token is not valid.")
    revoked = _revoke_family(row.family, timezone.now())
    if revoked:
        record_event(
            kind=Kind.API_TOKENS_REVOKED,
            actor=actor or row.user,
            target=row.user,
            request=request,
            data={"family": row.family.hex},
        )
    return revoked


def _decode(token: str) -> dict[str, Any]:
    expired = False
    for key in _signing_keys():
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],  # never "none", never whatever the header asks for
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "jti", "typ", "gen", "fam"]},
                leeway=5,
            )
        except jwt.ExpiredSignatureError:
            expired = True
        except jwt.PyJWTError:
            continue
        else:
            return claims
    if expired:
        raise TokenError("token_expired", "The access token has expired. Refresh it.")
    raise TokenError("invalid_token", "The access token is not valid.")


def user_for_access_token(token: str) -> User:
    """The active user an access token belongs to; raises TokenError otherwise (one query)."""
    claims = _decode(token)
    if claims["typ"] != ACCESS:
        raise TokenError("invalid_token", "That is not an access token.")
    try:
        family = uuid.UUID(hex=str(claims["fam"]))
        pk = int(claims["sub"])
    except (TypeError, ValueError):
        raise TokenError("invalid_token", "The access token is not valid.") from None
    revoked = RefreshToken.objects.filter(
        user_id=OuterRef("pk"), family=family, revoked_at__isnull=False
    )
    user = User.objects.filter(pk=pk).annotate(family_revoked=Exists(revoked)).first()
    if (
        user is None
        or not user.is_active
        or user.family_revoked
        or not constant_time_compare(str(claims["gen"]), token_generation(user))
    ):
        raise TokenError("invalid_token", "The access token is no longer valid. Sign in again.")
    return user


# --------------------------------------------------------------------------
# Signing in and signing up for tokens (the mobile app's front door)
# --------------------------------------------------------------------------


def obtain_token_pair(
    *, request: HttpRequest, email: str, password: str, otp: str = ""
) -> TokenPair:
    """Check email, password (and a second-factor code when enrolled); issue a token pair.

    The password goes through `django.contrib.auth.authenticate` with the web login's
    credentials shape, so django-axes counts API failures toward the same lockout and
    the failure is audited by the same receiver. Raises TokenError: `locked_out`,
    `invalid_credentials`, `otp_required`, `otp_invalid`, `mfa_enrolment_required`.
    """

    login = email.strip()
    user = authenticate(request=request, email=login, password=password)
    if getattr(request, "axes_locked_out", False):
        raise TokenError("locked_out", "Too many failed sign-ins. Wait a while and try again.")
    if not isinstance(user, User):
        raise TokenError("invalid_credentials", "The email address or password is not right.")
    if has_confirmed_device(user):
        if not otp.strip():
            raise TokenError(
                "otp_required",
                "This account uses two-factor authentication: send `otp` with a current code "
                "from the authenticator app, or a backup code.",
            )
        try:
            # Throttled and audited (MFA_FAILED, BACKUP_CODE_USED) exactly as on the web.
            verify_second_factor(user=user, code=otp, purpose="api sign-in", request=request)
        except ValidationError as error:
            raise TokenError("otp_invalid", " ".join(error.messages)) from None
    elif mfa_required(user):
        # Editors and admins may not use the dashboard without a second factor; a token
        # would let them moderate and read drafts without one. They enrol on the web first.
        raise TokenError(
            "mfa_enrolment_required",
            "This account must use two-factor authentication: set it up on the website "
            "(Account → Two-factor authentication), then sign in here with a code.",
        )
    pair = issue_token_pair(user=user, second_factor=has_confirmed_device(user))
    # What django.contrib.auth.login() would trigger, minus the session: axes resets the
    # pair's failures and logs the success, last_login moves, and the sign-in is audited.
    AxesProxyHandler.user_logged_in(sender=User, request=request, user=user)
    update_last_login(User, user)
    record_event(
        kind=Kind.LOGIN,
        actor=user,
        target=user,
        request=request,
        data={"via": "api", "family": pair.family.hex},
    )
    return pair


def register_account(*, request: HttpRequest, email: str, username: str, password: str) -> User:
    """Create an account with web sign-up's rules (allauth's form) and send the verification mail.

    Raises PermissionDenied when sign-up is closed, ValidationError with per-field
    messages when the input breaks a rule, and `EmailTakenError` for a known address.
    """
    if not get_adapter(request).is_open_for_signup(request):
        raise PermissionDenied(_("Sign-up is closed on this site."))
    form = SignupForm(
        data={"email": email, "username": username, "password1": password, "password2": password}
    )
    if not form.is_valid():
        if any(e.code == "email_taken" for e in form.errors.as_data().get("email", [])):
            raise EmailTakenError(str(form.errors["email"][0]))
        # The form's two password fields are one `password` field in the API.
        fields = {"password1": "password", "password2": "password", "__all__": "__all__"}
        errors: dict[str, list[str]] = {}
        for name, messages in form.errors.items():
            target = errors.setdefault(fields.get(name, name), [])
            target.extend(m for m in messages if m not in target)
        raise ValidationError(errors)
    if form.account_already_exists:
        raise EmailTakenError(_("An account with this email address already exists."))
    with transaction.atomic():
        user: User = form.save(request)
        signals.user_signed_up.send(sender=User, request=request, user=user)  # audited SIGNUP
    send_verification_email_for_user(request, user)
    return user


def access_token_passed_second_factor(token: str | None) -> bool:
    """True when the access token's sign-in verified a second factor (claim `mfa`).

    Read after `user_for_access_token` accepted the token: it proves nothing by itself.
    """
    if not token:
        return False
    try:
        claims = _decode(token)
    except TokenError:
        return False
    return claims.get("typ") == ACCESS and claims.get("mfa") is True


def access_token_subject(token: str) -> str | None:
    """The user id a correctly signed, unexpired access token names, without a query; else None.

    Only for bookkeeping that must not cost a query (the API's per-user rate limit);
    it does not prove the user may act: use `user_for_access_token` for that.
    """
    try:
        claims = _decode(token)
    except TokenError:
        return None
    return str(claims["sub"]) if claims.get("typ") == ACCESS else None
