"""Profile writes and account deletion. Each checks permission and is audited.

Deletion decision (issue 3): an account's posts outlive it. They move to one
shared, inactive placeholder account, "Former author" (username `former-author`,
no usable password, created on first use), so published writing stays online and
nobody can sign in as its author. The database does the moving (see
`apps.accounts.placeholders`), so this module imports no app above accounts; comments
keep their text without an author; the audit log keeps its rows, whose user links
become empty while their email labels stay.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import partial

from allauth.core import ratelimit
from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from qsessions.models import Session

from apps.accounts.audit import Kind, record_event
from apps.accounts.mfa.services import send_email_code, verify_second_factor
from apps.accounts.models import User, username_validator
from apps.accounts.pages import profile_tag
from apps.accounts.permissions import can
from apps.accounts.placeholders import (
    FORMER_AUTHOR_USERNAME,
    former_author,
)
from apps.accounts.profile.avatars import render_avatar
from apps.accounts.profile.selectors import needs_second_factor
from apps.core.markdown import markdown_to_safe_html
from apps.core.pagecache import invalidate

RESERVED_USERNAMES = frozenset({FORMER_AUTHOR_USERNAME})

DISPLAY_NAME_MAX = User._meta.get_field("display_name").max_length or 80
BIO_MAX = User._meta.get_field("bio").max_length or 2000


@dataclass(frozen=True)
class ProfileChanges:
    """What the profile form submits; `avatar` is a new upload, if any."""

    display_name: str
    username: str
    bio: str
    avatar: UploadedFile | None = None
    remove_avatar: bool = False
    language: str | None = None  # one of SITE_LANGUAGES, "" for the default, None: unchanged


def clean_username(value: str, *, user: User | None = None) -> str:
    """`value` as a username (lower-cased) that no other account holds, or ValidationError."""
    username = value.strip().lower()
    username_validator(username)
    if username in RESERVED_USERNAMES:
        raise ValidationError(_("This username is reserved."), code="reserved")
    taken = User.objects.filter(username__iexact=username)
    if user is not None and user.pk:
        taken = taken.exclude(pk=user.pk)
    if taken.exists():
        raise ValidationError(_("This username is taken."), code="taken")
    return username


def _delete_file(storage: Storage, name: str) -> None:
    if name and storage.exists(name):
        storage.delete(name)


@transaction.atomic
def update_profile(
    *, actor: User, user: User, changes: ProfileChanges, request: HttpRequest | None = None
) -> User:
    """Save the user's public profile; everything is validated before anything is written."""
    if actor.pk != user.pk and not can(actor, "users.manage"):
        raise PermissionDenied(_("You can only edit your own profile."))

    errors: dict[str, list[ValidationError]] = {}
    display_name = " ".join(changes.display_name.split())
    bio = changes.bio.strip()
    username = user.username
    if len(display_name) > DISPLAY_NAME_MAX:
        errors.setdefault("display_name", []).append(
            ValidationError(_("Use at most %(n)d characters.") % {"n": DISPLAY_NAME_MAX})
        )
    if len(bio) > BIO_MAX:
        errors.setdefault("bio", []).append(
            ValidationError(_("Use at most %(n)d characters.") % {"n": BIO_MAX})
        )
    try:
        username = clean_username(changes.username, user=user)
    except ValidationError as error:
        errors.setdefault("username", []).extend(error.error_list)
    avatar_file = None
    if changes.avatar is not None:
        try:
            avatar_file = render_avatar(changes.avatar)
        except ValidationError as error:
            errors.setdefault("avatar", []).extend(error.error_list)
    language = user.language if changes.language is None else changes.language
    if language and language not in settings.SITE_LANGUAGES:
        errors.setdefault("language", []).append(
            ValidationError(_("Choose one of the site’s languages."))
        )
    if errors:
        raise ValidationError(errors)

    changed = [
        field
        for field, value in (
            ("display_name", display_name),
            ("username", username),
            ("bio", bio),
            ("language", language),
        )
        if getattr(user, field) != value
    ]
    storage = user.avatar.storage
    old_avatar = user.avatar.name or ""
    new_avatar = ""
    if avatar_file is not None:
        # A fresh random name: caches and CDNs never serve the previous picture.
        user.avatar.save(f"{user.pk}-{secrets.token_hex(8)}.webp", avatar_file, save=False)
        new_avatar = user.avatar.name or ""
        changed.append("avatar")
    elif changes.remove_avatar and old_avatar:
        user.avatar = ""
        changed.append("avatar")
    if not changed:
        return user

    user.display_name, user.username, user.bio = display_name, username, bio
    user.language = language
    if "bio" in changed:
        user.bio_html = markdown_to_safe_html(bio, profile="comment")
    try:
        with transaction.atomic():
            user.save(update_fields=[*changed, "bio_html"] if "bio" in changed else changed)
    except IntegrityError:
        # Someone took the username between our check and the save.
        _delete_file(storage, new_avatar)
        user.refresh_from_db()
        raise ValidationError({"username": _("This username is taken.")}) from None
    except BaseException:
        _delete_file(storage, new_avatar)
        raise
    if "avatar" in changed and old_avatar:
        transaction.on_commit(partial(_delete_file, storage, old_avatar))
    invalidate(profile_tag(user.pk))  # cached pages that show this name, bio or avatar
    record_event(
        kind=Kind.PROFILE_UPDATED,
        actor=actor,
        target=user,
        request=request,
        data={"fields": sorted(changed)},
    )
    return user


def send_deletion_code(*, actor: User, request: HttpRequest | None = None) -> None:
    """Email the actor a second-factor code to confirm the deletion with (email-code users)."""
    send_email_code(user=actor, request=request)


def check_deletion_credentials(
    *, actor: User, password: str, otp_token: str = "", request: HttpRequest | None = None
) -> None:
    """Raise ValidationError unless the password (and a current second-factor code) is right.

    Not atomic on purpose: a rejected code must still count against the device's
    throttle and reach the audit log, and both writes would roll back with the error.
    """
    if not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied(_("Sign in to delete your account."))
    if actor.is_superuser:
        raise ValidationError(
            _(
                "A superuser account cannot delete itself. Ask another admin to remove the role first."
            )
        )
    if not actor.has_usable_password():
        raise ValidationError(
            _("Set a password first: deleting your account is confirmed with it.")
        )
    if request is not None and not ratelimit.consume(request, action="reauthenticate", user=actor):
        raise ValidationError(_("Too many attempts. Please wait a minute and try again."))
    if not actor.check_password(password):
        raise ValidationError({"password": _("That password is not right.")})
    if needs_second_factor(actor):
        if not otp_token.strip():
            raise ValidationError({"otp_token": _("Enter a current code from your second factor.")})
        try:
            # Throttled, audited (MFA_FAILED, BACKUP_CODE_USED) and shared with sign-in.
            verify_second_factor(
                user=actor, code=otp_token, purpose="account deletion", request=request
            )
        except ValidationError as error:
            raise ValidationError({"otp_token": error.messages}) from None


@transaction.atomic
def _erase_account(*, actor: User, request: HttpRequest | None) -> int:
    """Audit, sign out everywhere, then delete; the database keeps what others still read.

    Accounts know nothing of posts or comments: `Post.author` moves to the former
    author (`on_delete=SET(former_author)`), co-author links go with the account and
    comments keep their text without an author (`SET_NULL`).
    """
    former_author()  # refuse early if the placeholder's username is taken by a real account
    kept = actor.posts.count()  # the reverse relation of blog.Post.author
    record_event(
        kind=Kind.ACCOUNT_DELETED,
        actor=actor,
        target=actor,
        request=request,
        data={"username": actor.username, "email": actor.email, "posts_kept": kept},
    )
    avatar_storage, avatar_name = actor.avatar.storage, actor.avatar.name or ""
    if request is not None and getattr(request, "user", None) == actor:
        logout(request)  # this browser: flushes the session (audited as a sign-out)
    # Every other browser; the queryset delete also drops their cached copies. (Only when
    # there are some: qsessions sends Redis an empty DEL otherwise, which Redis refuses.)
    sessions = Session.objects.filter(user=actor)
    if sessions.exists():
        sessions.delete()
    # The pages that showed this person, and the former author's, which now lists their posts.
    invalidate(profile_tag(actor.pk), profile_tag(former_author().pk))
    actor.delete()
    if avatar_name:
        transaction.on_commit(partial(_delete_file, avatar_storage, avatar_name))
    return kept


def delete_account(
    *, actor: User, password: str, otp_token: str = "", request: HttpRequest | None = None
) -> int:
    """Delete the actor's own account after re-checking who they are; returns the posts kept."""
    check_deletion_credentials(actor=actor, password=password, otp_token=otp_token, request=request)
    return _erase_account(actor=actor, request=request)
