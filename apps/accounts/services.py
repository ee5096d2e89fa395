"""Account writes: roles, activation, sessions (each checks permission and is audited); follows."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from qsessions.models import Session

from apps.accounts.audit import Kind, record_event
from apps.accounts.models import Follow, User
from apps.accounts.permissions import require
from apps.accounts.roles import ROLE_ORDER, Role, role_of
from apps.core import personal
from apps.core.languages import is_site_language


@transaction.atomic
def set_role(*, actor: User, user: User, role: Role, request: HttpRequest | None = None) -> User:
    """Give `user` exactly one role; admins only, and never to demote themselves."""
    require(actor, "users.manage")
    if user.pk == actor.pk and role != role_of(actor):
        raise ValidationError(_("You cannot change your own role; ask another admin."))
    if user.is_superuser:
        # A superuser is an admin whatever their groups say; changing groups would mislead.
        raise ValidationError(_("Superusers are always admins; remove superuser status first."))
    previous = role_of(user)
    if previous == role:
        return user
    role_groups = Group.objects.filter(name__in=[r.value for r in ROLE_ORDER])
    user.groups.remove(*role_groups)
    user.groups.add(Group.objects.get(name=role.value))
    # Staff status opens the Django admin; only admins get it (and must have a second factor).
    user.is_staff = role == Role.ADMIN
    user.save(update_fields=["is_staff"])
    record_event(
        kind=Kind.ROLE_CHANGED,
        actor=actor,
        target=user,
        request=request,
        data={"from": previous.value, "to": role.value},
    )
    return user


@transaction.atomic
def set_writes_languages(
    *, actor: User, user: User, languages: list[str], request: HttpRequest | None = None
) -> User:
    """Restrict what `user` may write to `languages` (empty: any of the site's); admins only.

    Only the site's languages are accepted, in the site's order; the restriction applies to
    new posts and translations, never to what the person wrote already.
    """
    require(actor, "users.manage")
    unknown = [code for code in languages if not is_site_language(code)]
    if unknown:
        raise ValidationError(
            _("The site does not have these languages: %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    chosen = [code for code in settings.SITE_LANGUAGES if code in languages]
    if chosen == settings.SITE_LANGUAGES:
        chosen = []  # every language is no restriction: a language added later is open too
    previous = list(user.writes_languages or [])
    if chosen == previous:
        return user
    user.writes_languages = chosen
    user.save(update_fields=["writes_languages"])
    record_event(
        kind=Kind.WRITES_LANGUAGES_CHANGED,
        actor=actor,
        target=user,
        request=request,
        data={"from": previous, "to": chosen},
    )
    return user


@transaction.atomic
def set_active(
    *, actor: User, user: User, active: bool, request: HttpRequest | None = None
) -> User:
    """Deactivate (ending every session) or reactivate an account; admins only."""
    require(actor, "users.manage")
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate your own account here."))
    if user.is_superuser and not actor.is_superuser:
        raise PermissionDenied(_("Only a superuser can deactivate a superuser."))
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    sessions = Session.objects.filter(user=user)
    # qsessions deletes cached copies too; an empty DEL is an error on Redis.
    if not active and sessions.exists():
        sessions.delete()
    record_event(
        kind=Kind.USER_REACTIVATED if active else Kind.USER_DEACTIVATED,
        actor=actor,
        target=user,
        request=request,
    )
    return user


@transaction.atomic
def revoke_session(*, actor: User, session_key: str, request: HttpRequest | None = None) -> None:
    """Sign out one of the actor's own sessions (not the current one)."""
    session = Session.objects.filter(user=actor, session_key=session_key).first()
    if session is None:
        raise ValidationError(_("That session does not exist or has already ended."))
    if request is not None and session_key == request.session.session_key:
        raise ValidationError(_("Use “Sign out” to end the session you are using."))
    session.delete()
    record_event(
        kind=Kind.SESSION_REVOKED,
        actor=actor,
        target=actor,
        request=request,
        data={"sessions": 1, "ip": session.ip},
    )


@transaction.atomic
def revoke_other_sessions(
    *, user: User, keep_session_key: str | None, request: HttpRequest | None = None, reason: str
) -> int:
    """End every session of `user` except `keep_session_key`; return how many ended."""
    sessions = Session.objects.filter(user=user)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    count: int = sessions.count()
    if count:
        sessions.delete()
        record_event(
            kind=Kind.SESSION_REVOKED,
            actor=user,
            target=user,
            request=request,
            data={"sessions": count, "reason": reason},
        )
    return count


@transaction.atomic
def grant_role_as_system(*, user: User, role: Role, reason: str) -> User:
    """Set a role without a human actor (setup and demo commands); audited with the reason."""
    previous = role_of(user)
    role_groups = Group.objects.filter(name__in=[r.value for r in ROLE_ORDER])
    user.groups.remove(*role_groups)
    user.groups.add(Group.objects.get(name=role.value))
    user.is_staff = role == Role.ADMIN or user.is_superuser
    user.save(update_fields=["is_staff"])
    if previous != role:
        record_event(
            kind=Kind.ROLE_CHANGED,
            target=user,
            data={"from": previous.value, "to": role.value, "reason": reason},
        )
    return user


@transaction.atomic
def mark_email_verified(*, user: User) -> None:
    """Record the user's current email as verified and primary (setup and demo commands)."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


# --------------------------------------------------------------------------
# Follows (not audited: following is a reader's preference, not a security event)
# --------------------------------------------------------------------------


@transaction.atomic
def follow_author(*, actor: User, author: User) -> Follow:
    """Make `actor` follow `author` (idempotent); a reader cannot follow themselves or a closed account."""
    if not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied(_("Sign in to follow authors."))
    if author.pk == actor.pk:
        raise ValidationError(_("You cannot follow yourself."))
    if not author.is_active:
        raise ValidationError(_("This account is closed."))
    follow, created = Follow.objects.get_or_create(follower=actor, author=author)
    if created:
        # The follow buttons kept for this reader's pages (apps.core.personal).
        personal.forget_reader(actor.pk)
    return follow


@transaction.atomic
def unfollow_author(*, actor: User, author: User) -> bool:
    """Stop `actor` following `author`; True if they were following."""
    if not actor.is_authenticated:
        raise PermissionDenied(_("Sign in to follow authors."))
    deleted, _details = Follow.objects.filter(follower=actor, author=author).delete()
    if deleted:
        personal.forget_reader(actor.pk)
    return bool(deleted)
