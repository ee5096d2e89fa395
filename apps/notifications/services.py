"""Notification writes: create them (honouring preferences), mark them read, send the emails.

Other apps call the `notify_*` functions after their own transaction has committed
(comments, the editorial workflow). Each new notification is pushed to its
recipient's sockets after *this* module's transaction commits, through
`apps.notifications.broadcasts`, which logs a channel-layer failure and never
raises: the stored notification is the source of truth, the push is a courtesy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from apps.accounts.models import User
from apps.blog.models import Post
from apps.comments.models import Comment
from apps.notifications import broadcasts
from apps.notifications.models import Delivery, Kind, Notification, NotificationPreference

logger = structlog.get_logger("inkwell.notifications")

MAX_MENTIONS = 10
TEXT_MAX = 300
# "@name" where name is a valid username (apps.accounts.models.username_validator), not
# part of an email address or a URL path ("bob@example.com", "/@alice"), and not followed
# by more username characters.
MENTION_RE = re.compile(r"(?<![\w@/.+-])@([a-z0-9](?:[a-z0-9_-]{0,38}[a-z0-9])?)(?![\w-])", re.I)
# Code is quoted, not addressed: "`@decorator`" in a code span mentions nobody.
CODE_RE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`", re.S)

# When one comment concerns a reader in several ways, the most personal reason wins.
PRECEDENCE = (Kind.COMMENT_REPLY, Kind.MENTION, Kind.POST_COMMENT)


@dataclass(frozen=True)
class _Spec:
    """One notification to create (before preferences are applied)."""

    recipient_id: int
    kind: str
    actor_id: int | None
    text: str
    url: str
    post_id: int | None = None
    comment_id: int | None = None


def _after_commit(func: Callable[..., object], *args: object) -> None:
    """Run func(*args) after commit; an error is logged, never raised into the caller."""

    def callback() -> None:
        func(*args)

    # Django 5.2 names a failing robust callback by __qualname__, which a partial lacks.
    callback.__qualname__ = getattr(func, "__qualname__", repr(func))
    transaction.on_commit(callback, robust=True)


def _short(text: str) -> str:
    return Truncator(" ".join(text.split())).chars(TEXT_MAX)


def _deliveries(recipient_ids: Iterable[int], kinds: Iterable[str]) -> dict[tuple[int, str], str]:
    rows = NotificationPreference.objects.filter(
        user_id__in=set(recipient_ids), kind__in=set(kinds)
    ).values_list("user_id", "kind", "delivery")
    return {(user_id, kind): delivery for user_id, kind, delivery in rows}


def _create(specs: list[_Spec]) -> list[Notification]:
    """Store the wanted notifications in one insert and push them after commit."""
    if not specs:
        return []
    active = set(
        User.objects.filter(pk__in={s.recipient_id for s in specs}, is_active=True).values_list(
            "pk", flat=True
        )
    )
    choices = _deliveries(active, {s.kind for s in specs})
    notifications = []
    for spec in specs:
        if spec.recipient_id not in active:
            continue
        delivery = choices.get((spec.recipient_id, spec.kind), Delivery.IN_APP)
        if delivery == Delivery.OFF:
            continue
        notifications.append(
            Notification(
                recipient_id=spec.recipient_id,
                kind=spec.kind,
                actor_id=spec.actor_id,
                text=_short(spec.text),
                url=spec.url[:500],
                post_id=spec.post_id,
                comment_id=spec.comment_id,
                email_due=delivery == Delivery.EMAIL,
            )
        )
    if not notifications:
        return []
    with transaction.atomic():
        created = Notification.objects.bulk_create(notifications)
        ids = [n.pk for n in created]
        # The notifications are stored; pushing and waking the mailer are best effort.
        _after_commit(broadcasts.notifications_created, ids)
        if any(n.email_due for n in created):
            _after_commit(_schedule_emails, [n.recipient_id for n in created if n.email_due])
    return created


@transaction.atomic
def notify(
    *,
    recipient: User,
    kind: str,
    actor: User | None,
    text: str,
    url: str,
    post: Post | None = None,
    comment: Comment | None = None,
) -> Notification | None:
    """Notify one user unless they switched this kind off (never the actor); None if skipped."""
    if kind not in Kind.values:
        raise ValueError(f"Unknown notification kind {kind!r}.")
    if actor is not None and actor.pk == recipient.pk:
        return None
    created = _create(
        [
            _Spec(
                recipient_id=recipient.pk,
                kind=kind,
                actor_id=actor.pk if actor is not None else None,
                text=text,
                url=url,
                post_id=post.pk if post is not None else None,
                comment_id=comment.pk if comment is not None else None,
            )
        ]
    )
    return created[0] if created else None


def mentioned_usernames(body: str) -> list[str]:
    """The distinct @usernames in a Markdown body (code excluded), first MAX_MENTIONS, lowercase."""
    names: list[str] = []
    for match in MENTION_RE.finditer(CODE_RE.sub(" ", body)):
        name = match.group(1).lower()
        if name not in names:
            names.append(name)
            if len(names) == MAX_MENTIONS:
                break
    return names


def _post_people(post: Post) -> list[int]:
    return [post.author_id, *post.coauthors.values_list("pk", flat=True)]


@transaction.atomic
def notify_for_comment(*, comment_id: int) -> list[Notification]:
    """Notify the people a newly public comment concerns: replied-to author, post authors, @mentions.

    Called after commit when a comment is published or approved. One notification per
    recipient (reply > mention > post comment), never the comment's author, and never
    twice for the same comment (an approval after a rejection does not repeat them).
    """
    comment = (
        Comment.objects.select_related("post", "author", "parent").filter(pk=comment_id).first()
    )
    if comment is None or not comment.is_public or comment.is_deleted:
        return []
    post = comment.post
    actor = comment.author
    name = actor.name if actor is not None else "Someone"
    title = Truncator(post.title).chars(80)

    reasons: dict[int, str] = {}
    for person in _post_people(post):
        reasons[person] = Kind.POST_COMMENT
    names = mentioned_usernames(comment.body)
    if names:
        for pk in User.objects.filter(username__in=names, is_active=True).values_list(
            "pk", flat=True
        ):
            reasons[pk] = Kind.MENTION
    parent = comment.parent
    if parent is not None and parent.author_id is not None and not parent.is_deleted:
        reasons[parent.author_id] = Kind.COMMENT_REPLY
    if actor is not None:
        reasons.pop(actor.pk, None)
    already = set(
        Notification.objects.filter(comment_id=comment.pk, recipient_id__in=reasons).values_list(
            "recipient_id", flat=True
        )
    )
    texts = {
        Kind.COMMENT_REPLY: f"{name} replied to your comment on “{title}”",
        Kind.MENTION: f"{name} mentioned you in a comment on “{title}”",
        Kind.POST_COMMENT: f"{name} commented on your post “{title}”",
    }
    url = f"{post.get_absolute_url()}#comment-{comment.pk}"
    specs = [
        _Spec(
            recipient_id=pk,
            kind=kind,
            actor_id=actor.pk if actor is not None else None,
            text=texts[kind],
            url=url,
            post_id=post.pk,
            comment_id=comment.pk,
        )
        for kind in PRECEDENCE
        for pk, reason in reasons.items()
        if reason == kind and pk not in already
    ]
    return _create(specs)


@transaction.atomic
def notify_post_published(*, post_id: int, actor_id: int | None = None) -> list[Notification]:
    """Tell the author and coauthors their post is live (not the editor who published it)."""
    post = Post.objects.filter(pk=post_id, status=Post.Status.PUBLISHED).first()
    if post is None:
        return []
    title = Truncator(post.title).chars(120)
    specs = [
        _Spec(
            recipient_id=pk,
            kind=Kind.POST_PUBLISHED,
            actor_id=actor_id,
            text=f"Your post “{title}” was published",
            url=post.get_absolute_url(),
            post_id=post.pk,
        )
        for pk in dict.fromkeys(_post_people(post))
        if pk != actor_id
    ]
    return _create(specs)


@transaction.atomic
def notify_post_sent_back(*, post_id: int, actor_id: int) -> list[Notification]:
    """Tell the author an editor sent their post back to draft, with the editor's note."""
    post = Post.objects.filter(pk=post_id).first()
    if post is None or post.author_id == actor_id:
        return []
    title = Truncator(post.title).chars(80)
    note = f": {post.review_note}" if post.review_note else ""
    spec = _Spec(
        recipient_id=post.author_id,
        kind=Kind.POST_SENT_BACK,
        actor_id=actor_id,
        text=f"Your post “{title}” was sent back{note}",
        url=reverse("dashboard:post_edit", kwargs={"pk": post.pk}),
        post_id=post.pk,
    )
    return _create([spec])


# --------------------------------------------------------------------------
# Reading and preferences
# --------------------------------------------------------------------------


@transaction.atomic
def mark_read(
    *, actor: User, notification_ids: Iterable[int] | None = None, all: bool = False
) -> int:
    """Mark some of the actor's notifications (or all of them) read; returns how many changed."""
    if not all and notification_ids is None:
        raise ValueError("Pass notification_ids or all=True.")
    unread = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if not all:
        unread = unread.filter(pk__in=list(notification_ids or []))
    count = unread.update(read_at=timezone.now())
    if count:
        # The user's other tabs and devices update their badge too.
        _after_commit(broadcasts.unread_changed, actor.pk)
    return count


@transaction.atomic
def set_preferences(*, actor: User, choices: dict[str, str]) -> dict[str, str]:
    """Store how the actor wants each kind (in_app, email or off); returns every kind's choice."""
    errors = {
        kind: f"Unknown delivery {delivery!r}."
        for kind, delivery in choices.items()
        if delivery not in Delivery.values
    }
    errors |= {kind: "Unknown kind of notification." for kind in choices if kind not in Kind.values}
    if errors:
        raise ValidationError(errors)
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(user=actor, kind=kind, delivery=delivery)
            for kind, delivery in choices.items()
        ],
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["delivery"],
    )
    # Switching a kind away from email cancels the mails not yet sent for it.
    no_mail = [kind for kind, delivery in choices.items() if delivery != Delivery.EMAIL]
    if no_mail:
        Notification.objects.filter(
            recipient=actor, kind__in=no_mail, email_due=True, emailed_at__isnull=True
        ).update(email_due=False)
    from apps.notifications.selectors import preferences_for

    return preferences_for(actor)


# --------------------------------------------------------------------------
# Email batching
# --------------------------------------------------------------------------


def email_delay() -> timedelta:
    """How long the first emailed notification waits for others to join its batch."""
    return timedelta(seconds=settings.NOTIFICATION_EMAIL_DELAY_SECONDS)


def _schedule_emails(recipient_ids: list[int]) -> None:
    """Where tasks can run later, wake the mailer when a recipient's batch is due."""
    from django_tasks import default_task_backend

    if not default_task_backend.supports_defer:
        return  # embedded default: the in-process periodic job sends them
    # Only the first pending item of a batch needs a wake-up; later ones ride along.
    pending = (
        Notification.objects.filter(
            recipient_id__in=recipient_ids, email_due=True, emailed_at__isnull=True
        )
        .values_list("recipient_id", flat=True)
        .order_by()
    )
    counts: dict[int, int] = {}
    for pk in pending:
        counts[pk] = counts.get(pk, 0) + 1
    if not any(count == 1 for count in counts.values()):
        return
    from apps.notifications.tasks import send_notification_emails as task

    run_after = timezone.now() + email_delay() + timedelta(seconds=5)
    task.using(run_after=run_after).enqueue()


def _due_recipients(cutoff: datetime) -> list[int]:
    # A batch is due once its oldest item has waited the delay; everything pending for
    # that recipient then goes in the same mail.
    return list(
        Notification.objects.filter(
            email_due=True,
            emailed_at__isnull=True,
            created_at__lte=cutoff,
            recipient__is_active=True,
        )
        .order_by()
        .values_list("recipient_id", flat=True)
        .distinct()
    )


def _send_batch(recipient_id: int, now: datetime) -> bool:
    """Send one recipient's pending notifications in one mail; False if another worker has them."""
    with transaction.atomic():
        # skip_locked: concurrent runs (two workers, cron + task) each take other rows
        # instead of waiting and then mailing the same items twice. SQLite ignores it.
        items = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(recipient_id=recipient_id, email_due=True, emailed_at__isnull=True)
            .order_by("created_at", "id")
        )
        if not items:
            return False
        recipient = User.objects.get(pk=recipient_id)
        from apps.notifications.selectors import preferences_for

        wanted = preferences_for(recipient)
        # Read in the app already, or no longer wanted by email: nothing to mail.
        to_send = [n for n in items if n.read_at is None and wanted[n.kind] == Delivery.EMAIL]
        skipped = [n.pk for n in items if n not in to_send]
        if skipped:
            Notification.objects.filter(pk__in=skipped).update(email_due=False)
        if not to_send:
            return False
        _mail(recipient, to_send)
        Notification.objects.filter(pk__in=[n.pk for n in to_send]).update(emailed_at=now)
    return True


def _mail(recipient: User, items: list[Notification]) -> None:
    site_url = settings.SITE_URL.rstrip("/")
    context = {
        "recipient": recipient,
        "items": [
            {"text": n.text, "url": f"{site_url}{n.url}" if n.url.startswith("/") else n.url}
            for n in items
        ],
        "count": len(items),
        "site_name": settings.SITE_NAME,
        "site_url": site_url,
        "list_url": f"{site_url}{reverse('notifications:list')}",
        "settings_url": f"{site_url}{reverse('notifications:settings')}",
    }
    subject = " ".join(render_to_string("notifications/email/digest_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("notifications/email/digest.txt", context),
        to=[recipient.email],
    )
    message.attach_alternative(
        render_to_string("notifications/email/digest.html", context), "text/html"
    )
    message.send()


def send_notification_emails(*, now: datetime | None = None) -> int:
    """Mail each recipient whose batch is due one message with all their pending items.

    Safe to run from several workers at once; each recipient is handled in its own
    transaction, so one failing mail leaves the others sent and itself pending.
    """
    now = now or timezone.now()
    sent = 0
    for recipient_id in _due_recipients(now - email_delay()):
        try:
            sent += _send_batch(recipient_id, now)
        except Exception:  # one bad address or SMTP hiccup must not stop the others
            logger.exception("notifications.email_failed", recipient_id=recipient_id)
    if sent:
        logger.info("notifications.emails_sent", count=sent)
    return sent
