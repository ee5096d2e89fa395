"""allauth, django.contrib.auth and axes announce security events; we audit them here.

Signals are the hooks these third-party packages offer (style.md allows exactly
this use). Each receiver only records or calls a service. The model signals at the end
invalidate caches (the other use style.md allows): users and addresses change through
allauth, the admin and our services alike.
"""

from __future__ import annotations

from typing import Any

from allauth.account import signals as allauth_signals
from allauth.account.models import EmailAddress
from allauth.socialaccount import signals as social_signals
from axes.signals import user_locked_out
from django.contrib.auth import signals as auth_signals
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest

from apps.accounts.adapters import remember_return_to
from apps.accounts.audit import Kind, record_event
from apps.accounts.models import User
from apps.accounts.services import revoke_other_sessions
from apps.core import personal


@receiver(auth_signals.user_logged_in)
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    record_event(kind=Kind.LOGIN, actor=user, target=user, request=request)


@receiver(auth_signals.user_logged_out)
def _logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        record_event(kind=Kind.LOGOUT, actor=user, target=user, request=request)


@receiver(auth_signals.user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    login = str(
        credentials.get("email") or credentials.get("username") or credentials.get("login") or ""
    )
    target = User.objects.filter(email__iexact=login).first() if login else None
    record_event(
        kind=Kind.LOGIN_FAILED, target=target, request=request, data={"login": login[:254]}
    )


@receiver(user_locked_out)
def _locked_out(
    sender: Any, request: HttpRequest, username: str | None = None, **kwargs: Any
) -> None:
    login = username or ""
    target = User.objects.filter(email__iexact=login).first() if login else None
    record_event(kind=Kind.LOCKOUT, target=target, request=request, data={"login": login[:254]})


@receiver(allauth_signals.user_signed_up)
def _signed_up(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record_event(kind=Kind.SIGNUP, actor=user, target=user, request=request)
    if request is not None:
        remember_return_to(request)


@receiver(allauth_signals.email_confirmed)
def _email_confirmed(sender: Any, request: HttpRequest, email_address: Any, **kwargs: Any) -> None:
    user = email_address.user
    record_event(
        kind=Kind.EMAIL_VERIFIED,
        actor=user,
        target=user,
        request=request,
        data={"email": email_address.email},
    )


@receiver(allauth_signals.email_changed)
def _email_changed(
    sender: Any,
    request: HttpRequest,
    user: User,
    from_email_address: Any,
    to_email_address: Any,
    **kwargs: Any,
) -> None:
    # allauth (with CHANGE_EMAIL) also sends this when a new account confirms its first
    # address: nothing changed then, and EMAIL_VERIFIED has recorded the confirmation.
    before = getattr(from_email_address, "email", None)
    after = getattr(to_email_address, "email", None)
    if before is None or (after is not None and before.lower() == after.lower()):
        return
    record_event(
        kind=Kind.EMAIL_CHANGED,
        actor=user,
        target=user,
        request=request,
        data={"from": before, "to": after},
    )


@receiver(allauth_signals.password_changed)
def _password_changed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record_event(kind=Kind.PASSWORD_CHANGED, actor=user, target=user, request=request)
    # A changed password ends every other session (the one in use stays signed in).
    revoke_other_sessions(
        user=user,
        keep_session_key=request.session.session_key,
        request=request,
        reason="password changed",
    )


@receiver(allauth_signals.password_reset)
def _password_reset(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record_event(kind=Kind.PASSWORD_RESET, actor=user, target=user, request=request)
    # Whoever knew the old password is signed out everywhere.
    revoke_other_sessions(
        user=user, keep_session_key=None, request=request, reason="password reset"
    )


@receiver(social_signals.social_account_added)
def _social_added(sender: Any, request: HttpRequest, sociallogin: Any, **kwargs: Any) -> None:
    user = sociallogin.user
    record_event(
        kind=Kind.SOCIAL_CONNECTED,
        actor=user,
        target=user,
        request=request,
        data={"provider": sociallogin.account.provider},
    )


@receiver(social_signals.social_account_removed)
def _social_removed(sender: Any, request: HttpRequest, socialaccount: Any, **kwargs: Any) -> None:
    user = socialaccount.user
    record_event(
        kind=Kind.SOCIAL_DISCONNECTED,
        actor=user,
        target=user,
        request=request,
        data={"provider": socialaccount.provider},
    )


# --------------------------------------------------------------------------
# Kept personal regions (apps.core.personal): the header shows the reader's name, avatar,
# role (the dashboard link) and address; the comment form whether it is verified.
# --------------------------------------------------------------------------


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def forget_regions_of_user(sender: type[User], instance: User, **kwargs: object) -> None:
    personal.forget_reader(instance.pk)


@receiver(post_save, sender=EmailAddress)
@receiver(post_delete, sender=EmailAddress)
def forget_regions_of_address(
    sender: type[EmailAddress], instance: EmailAddress, **kwargs: object
) -> None:
    personal.forget_reader(instance.user_id)


@receiver(m2m_changed, sender=User.groups.through)
def forget_regions_of_roles(
    sender: object, instance: object, action: str, pk_set: set[int] | None, **kwargs: object
) -> None:
    if not action.startswith("post_"):
        return
    if isinstance(instance, User):
        personal.forget_reader(instance.pk)
    else:  # group.user_set.add(...): the users are in pk_set (or every member on clear)
        for user_id in pk_set or ():
            personal.forget_reader(user_id)
