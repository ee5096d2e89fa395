"""A reader's own data, as a zip of JSON files they can read (GDPR art. 15 and 20).

The zip is streamed: each file is a JSON array written item by item from chunked queries,
so a prolific commenter's export costs the same memory as anyone's. It holds only what is
about the reader. Other people appear by their public name at most: the people who replied
to them are names in notification texts, the authors they follow are usernames, the staff
who acted on their account are "staff", and nobody else's email address is ever written.

Starting an export checks who is asking (`confirm_identity`), counts against a small
hourly budget, and is audit-logged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from stat import S_IFREG
from typing import Any

from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from qsessions.models import Session

from apps.accounts.audit import Kind, record_event
from apps.accounts.mfa.selectors import has_confirmed_device, session_passed_second_factor
from apps.accounts.models import AuditEvent, Follow, User
from apps.blog.models import Post, Revision
from apps.comments.models import Comment
from apps.newsletter.models import Consent, Subscriber, Subscription
from apps.notifications.models import Notification, NotificationPreference
from apps.transfer.exporting.rows import json_default, keyset_chunks
from apps.transfer.exporting.services import check_rate

FILE_MODE = S_IFREG | 0o600
CHUNK = 1000
# Without a second factor and without a password (social sign-in only), a sign-in this
# recent stands in for typing the password again.
RECENT_SIGN_IN = timedelta(minutes=15)

README = """\
Your data from {site}
{line}

Made {when} for the account {username}. Every file is JSON (UTF-8): open it in a text
editor, or load it into any program that reads JSON.

profile.json        Your account: email, username, display name, bio, when you joined and
                    last signed in, your role, your email addresses and connected sign-in
                    providers (no passwords or keys), and your notification choices.
posts.json          Posts you wrote or co-wrote, with their Markdown, status and dates, and
                    every saved revision of them (empty if you do not write here).
comments.json       Every comment you wrote, with its post, status and dates. Replies are
                    linked by comment id; other people's comments are not included.
notifications.json  The notifications you received (their text names people by their
                    public name only).
follows.json        The authors you follow (public usernames), and how many follow you.
newsletter.json     Your newsletter subscriptions, and each consent you gave: when, from
                    which form, and which wording.
sessions.json       The devices signed in to your account: IP address, browser, when the
                    session started, was last used and expires (no session keys).
audit.json          Security events about your account (sign-ins, password and email
                    changes, two-factor changes, role changes). Actions by staff show
                    "staff" instead of their name; IP addresses are shown for your own
                    actions only.
avatar/             Your profile picture, if you uploaded one.

Questions about this data, or corrections: write to the site's team. You can also delete
your account from your profile page.
"""


class IdentityNotConfirmedError(ValidationError):
    """The reader must confirm it is them (password, second factor, or a fresh sign-in)."""


def confirm_identity(*, user: User, password: str, request: HttpRequest | None) -> None:
    """Raise unless this request is sure to come from the account's owner.

    The same bar the account's other sensitive actions use: with a second factor, the
    session must have passed it; else the password, typed again; else (social sign-in
    only) a sign-in within RECENT_SIGN_IN.
    """
    if has_confirmed_device(user):
        if not session_passed_second_factor(user):
            raise IdentityNotConfirmedError(
                _("Confirm your second factor first (sign out and in again with your code).")
            )
        return
    if user.has_usable_password():
        if request is not None and not ratelimit.consume(
            request, action="reauthenticate", user=user
        ):
            raise IdentityNotConfirmedError(_("Too many attempts. Please wait a minute."))
        if not password or not user.check_password(password):
            raise IdentityNotConfirmedError(_("That password is not right."))
        return
    if user.last_login is None or timezone.now() - user.last_login > RECENT_SIGN_IN:
        raise IdentityNotConfirmedError(
            _("For your safety, sign out and sign in again, then download within 15 minutes.")
        )


def _json_array(items: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    yield b"[\n"
    first = True
    for item in items:
        text = json.dumps(item, default=json_default, ensure_ascii=False, indent=2)
        yield (b"" if first else b",\n") + text.encode("utf-8")
        first = False
    yield b"\n]\n"


def _json_object(item: dict[str, Any]) -> Iterator[bytes]:
    yield json.dumps(item, default=json_default, ensure_ascii=False, indent=2).encode("utf-8")
    yield b"\n"


def _profile(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "username": user.username,
        "display_name": user.display_name,
        "bio": user.bio,
        "avatar": user.avatar.name or None,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "is_active": user.is_active,
        "roles": sorted(user.groups.values_list("name", flat=True)),
        "email_addresses": list(
            EmailAddress.objects.filter(user=user)
            .order_by("pk")
            .values("email", "verified", "primary")
        ),
        "sign_in_providers": list(
            SocialAccount.objects.filter(user=user)
            .order_by("pk")
            .values("provider", "uid", "date_joined", "last_login")
        ),
        "notification_preferences": list(
            NotificationPreference.objects.filter(user=user)
            .order_by("kind")
            .values("kind", "delivery")
        ),
        "has_password": user.has_usable_password(),
    }


def _posts(user: User) -> Iterator[dict[str, Any]]:
    posts = (
        Post.objects.filter(Q(author=user) | Q(coauthors=user))
        .distinct()
        .select_related("category", "author")
    )
    for post in keyset_chunks(posts, size=CHUNK):
        revisions = Revision.objects.filter(post=post).order_by("created_at", "pk")
        yield {
            "id": post.pk,
            "title": post.title,
            "slug": post.slug,
            "subtitle": post.subtitle,
            "excerpt": post.excerpt,
            "body_markdown": post.body,
            "status": post.status,
            "your_role": "author" if post.author_id == user.pk else "co-author",
            "category": post.category.name if post.category else None,
            "tags": list(post.tags.order_by("name").values_list("name", flat=True)),
            "cover_image": post.cover_image.name or None,
            "created_at": post.created_at,
            "published_at": post.published_at,
            "updated_at": post.updated_at,
            "revisions": [
                {
                    "title": r.title,
                    "body_markdown": r.body,
                    "note": r.note,
                    "saved_at": r.created_at,
                    "saved_by_you": r.author_id == user.pk,
                }
                for r in revisions
            ],
        }


def _comments(user: User) -> Iterator[dict[str, Any]]:
    comments = (
        Comment.objects.filter(author=user)
        .select_related("post")
        .values(
            "pk",
            "post__title",
            "post__slug",
            "parent_id",
            "body",
            "status",
            "created_at",
            "edited_at",
            "deleted_at",
        )
    )
    for row in keyset_chunks(comments, size=CHUNK):
        yield {
            "id": row["pk"],
            "post_title": row["post__title"],
            "post_slug": row["post__slug"],
            "in_reply_to_comment_id": row["parent_id"],
            "body_markdown": row["body"],
            "status": row["status"],
            "created_at": row["created_at"],
            "edited_at": row["edited_at"],
            "deleted_at": row["deleted_at"],
        }


def _notifications(user: User) -> Iterator[dict[str, Any]]:
    rows = Notification.objects.filter(recipient=user).values(
        "pk", "kind", "text", "url", "created_at", "read_at", "emailed_at"
    )
    for row in keyset_chunks(rows, size=CHUNK):
        yield {k: v for k, v in row.items() if k != "pk"}


def _follows(user: User) -> dict[str, Any]:
    following = (
        Follow.objects.filter(follower=user)
        .order_by("created_at")
        .values("author__username", "created_at")
    )
    return {
        "you_follow": [
            {"author": f["author__username"], "since": f["created_at"]} for f in following
        ],
        "followers_count": Follow.objects.filter(author=user).count(),
    }


def _newsletter(user: User) -> dict[str, Any]:
    subscriber = Subscriber.objects.filter(Q(user=user) | Q(email=user.email.lower())).first()
    if subscriber is None:
        return {"subscriber": None, "subscriptions": [], "consents": []}
    return {
        "subscriber": {
            "email": subscriber.email,
            "confirmed_at": subscriber.confirmed_at,
            "created_at": subscriber.created_at,
        },
        "subscriptions": list(
            Subscription.objects.filter(subscriber=subscriber)
            .order_by("pk")
            .values(
                "newsletter__name",
                "status",
                "source",
                "created_at",
                "subscribed_at",
                "unsubscribed_at",
            )
        ),
        "consents": [
            {
                "source": c.source,
                "wording_version": c.wording_version,
                "newsletters": c.newsletters,
                "given_at": c.given_at,
                "recorded_by": "staff" if c.recorded_by_id else None,
                "note": c.note,
            }
            for c in Consent.objects.filter(subscriber=subscriber).order_by("pk")
        ],
    }


def _sessions(user: User) -> Iterator[dict[str, Any]]:
    rows = (
        Session.objects.filter(user=user)
        .order_by("created_at")
        .values("ip", "user_agent", "created_at", "updated_at", "expire_date")
    )
    yield from rows.iterator(chunk_size=CHUNK)


def _audit(user: User) -> Iterator[dict[str, Any]]:
    events = AuditEvent.objects.filter(Q(target=user) | Q(actor=user))
    for event in keyset_chunks(events, size=CHUNK):
        by_you = event.actor_id == user.pk
        yield {
            "event": event.kind,
            "label": str(event.get_kind_display()),
            "at": event.created_at,
            "by": "you" if by_you else ("staff" if event.actor_id else "the site"),
            "about_you": event.target_id == user.pk,
            # Another party's address (staff, or whoever mistyped a password for your
            # account) is their personal data, not yours.
            "ip": event.ip if by_you else None,
            "user_agent": event.user_agent if by_you else "",
            # Details name people and objects; staff actions keep theirs to themselves.
            "details": event.data if by_you or event.actor_id is None else {},
        }


def _avatar(name: str) -> Iterator[bytes]:
    with default_storage.open(name, "rb") as file:
        while chunk := file.read(64 * 1024):
            yield chunk


def _members(user: User, now: datetime) -> Iterator[tuple[str, datetime, int, Any, Any]]:
    from stream_zip import ZIP_64

    readme = README.format(
        site=settings.SITE_NAME,
        line="=" * 40,
        when=now.strftime("%Y-%m-%d %H:%M UTC"),
        username=user.username,
    )
    yield "README.txt", now, FILE_MODE, ZIP_64, (readme.encode("utf-8"),)
    yield "profile.json", now, FILE_MODE, ZIP_64, _json_object(_profile(user))
    yield "posts.json", now, FILE_MODE, ZIP_64, _json_array(_posts(user))
    yield "comments.json", now, FILE_MODE, ZIP_64, _json_array(_comments(user))
    yield "notifications.json", now, FILE_MODE, ZIP_64, _json_array(_notifications(user))
    yield "follows.json", now, FILE_MODE, ZIP_64, _json_object(_follows(user))
    yield "newsletter.json", now, FILE_MODE, ZIP_64, _json_object(_newsletter(user))
    yield "sessions.json", now, FILE_MODE, ZIP_64, _json_array(_sessions(user))
    yield "audit.json", now, FILE_MODE, ZIP_64, _json_array(_audit(user))
    name = user.avatar.name
    if name and default_storage.exists(name):
        yield f"avatar/{name.rsplit('/', 1)[-1]}", now, FILE_MODE, ZIP_64, _avatar(name)


def personal_export_stream(user: User) -> Iterable[bytes]:
    """The reader's data zip, produced while it is sent."""
    from stream_zip import stream_zip  # loaded by an export, not by every page worker

    return stream_zip(_members(user, datetime.now(tz=UTC)))


def start_personal_export(
    *, actor: User, password: str = "", request: HttpRequest | None = None
) -> Iterable[bytes]:
    """Confirm the reader, count the download against their budget, audit it, stream it."""
    if not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied(_("Sign in to download your data."))
    confirm_identity(user=actor, password=password, request=request)
    check_rate(
        f"transfer:personal-export:{actor.pk}",
        limit=getattr(settings, "PERSONAL_EXPORT_RATE_LIMIT", 3),
        window=getattr(settings, "PERSONAL_EXPORT_RATE_WINDOW", 3600),
        what=_("Data downloads are limited"),
    )
    record_event(kind=Kind.PERSONAL_DATA_EXPORTED, actor=actor, target=actor, request=request)
    return personal_export_stream(actor)


def personal_export_filename(user: User) -> str:
    return f"{user.username}-data-{timezone.now():%Y%m%d}.zip"
