"""Who hears about a comment: the replied-to author, @mentioned readers, the post's people.

Comments knows who a comment concerns; `apps.notifications.services.notify` only stores
and delivers what it is given. Both service modules call `notify_for_comment` inside the
transaction that makes a comment public (posted, or approved from the queue), so the
comment and its notifications are stored together or not at all; only the live push
waits for the commit. `repair_comment_notifications` (`manage.py repair_notifications`,
run periodically) adds whatever is still missing for recent comments, such as comments
stored before this rule or by an import.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import override

from apps.accounts.models import User
from apps.comments.models import Comment
from apps.notifications.models import Kind, Notification
from apps.notifications.services import notify

logger = structlog.get_logger("inkwell.comments")

MAX_MENTIONS = 10
# "@name" where name is a valid username (apps.accounts.models.username_validator), not
# part of an email address or a URL path ("bob@example.com", "/@alice"), and not followed
# by more username characters.
MENTION_RE = re.compile(r"(?<![\w@/.+-])@([a-z0-9](?:[a-z0-9_-]{0,38}[a-z0-9])?)(?![\w-])", re.I)
# Code is quoted, not addressed: "`@decorator`" in a code span mentions nobody.
CODE_RE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`", re.S)

# When one comment concerns a reader in several ways, the most personal reason wins.
PRECEDENCE = (Kind.COMMENT_REPLY, Kind.MENTION, Kind.POST_COMMENT)


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


def _reasons(comment: Comment) -> dict[int, str]:
    """Each person the comment concerns, with the most personal reason (not its author)."""
    post = comment.post
    reasons: dict[int, str] = dict.fromkeys(
        [post.author_id, *post.coauthors.values_list("pk", flat=True)], Kind.POST_COMMENT
    )
    if names := mentioned_usernames(comment.body):
        mentioned = User.objects.filter(username__in=names, is_active=True)
        reasons |= dict.fromkeys(mentioned.values_list("pk", flat=True), Kind.MENTION)
    parent = comment.parent
    if parent is not None and parent.author_id is not None and not parent.is_deleted:
        reasons[parent.author_id] = Kind.COMMENT_REPLY
    if comment.author_id is not None:
        reasons.pop(comment.author_id, None)
    return reasons


@transaction.atomic
def notify_for_comment(*, comment_id: int) -> list[Notification]:
    """Notify the people a newly public comment concerns: replied-to author, post authors, @mentions.

    Run in the transaction that publishes or approves the comment. One notification per
    recipient (reply > mention > post comment), never the comment's author, and never
    twice for the same comment (notifications skips whoever already heard about it, and a
    unique constraint backs that up).
    """
    # Without the post's text (its title and address are what a notification shows): this
    # runs in the comment's transaction, before every open page is told about it.
    comment = (
        Comment.objects.select_related("post", "author", "parent")
        .defer("post__body", "post__body_html", "post__toc", "post__review_note")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None or not comment.is_public or comment.is_deleted:
        return []
    post = comment.post
    # An imported guest comment (approved later from the queue) names its guest.
    name = (
        comment.author.name if comment.author is not None else (comment.guest_name or _("Someone"))
    )
    title = Truncator(post.title).chars(80)

    def text(kind: str) -> str:
        texts: dict[str, str] = {
            Kind.COMMENT_REPLY: _("%(name)s replied to your comment on “%(title)s”"),
            Kind.MENTION: _("%(name)s mentioned you in a comment on “%(title)s”"),
            Kind.POST_COMMENT: _("%(name)s commented on your post “%(title)s”"),
        }
        return texts[kind] % {"name": name, "title": title}

    reasons = _reasons(comment)
    # The text is stored, so it is written in each recipient's language (their account's).
    languages = _languages(reasons)
    created: list[Notification] = []
    for kind in PRECEDENCE:
        for language in sorted({languages[pk] for pk, reason in reasons.items() if reason == kind}):
            recipient_ids = [
                pk for pk, reason in reasons.items() if reason == kind and languages[pk] == language
            ]
            with override(language):
                wording = text(kind)
            created += notify(
                recipient_ids=recipient_ids,
                kind=kind,
                actor_id=comment.author_id,
                text=wording,
                url=f"{post.get_absolute_url()}#comment-{comment.pk}",
                post_id=post.pk,
                comment_id=comment.pk,
            )
    return created


def _languages(recipients: dict[int, str]) -> dict[int, str]:
    """Each recipient's language: their account's if the site has it, else the default."""
    if not recipients:
        return {}
    chosen = dict(
        User.objects.filter(pk__in=list(recipients)).values_list("pk", "language").order_by()
    )
    languages: dict[int, str] = {}
    for pk in recipients:
        language = chosen.get(pk) or ""
        languages[pk] = language if language in settings.SITE_LANGUAGES else settings.LANGUAGE_CODE
    return languages


def repair_comment_notifications(*, since: datetime | None = None) -> int:
    """Create the notifications missing for comments made public since `since`; returns how many.

    Safe to run at any time and from several places at once: a comment's notifications are
    written all together in one transaction, so only comments with none at all are looked
    at, and the one-per-recipient constraint turns a racing second run into a no-op.
    Defaults to the last NOTIFICATION_REPAIR_HOURS.
    """
    if since is None:
        since = timezone.now() - timedelta(hours=settings.NOTIFICATION_REPAIR_HOURS)
    has_any = Notification.objects.filter(comment_id=OuterRef("pk"))
    candidates = (
        Comment.objects.filter(status=Comment.Status.PUBLISHED, deleted_at__isnull=True)
        .filter(Q(created_at__gte=since) | Q(moderated_at__gte=since))
        .filter(~Exists(has_any))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    created = 0
    for comment_id in list(candidates):
        try:
            created += len(notify_for_comment(comment_id=comment_id))
        except IntegrityError:
            # Another run (or a late approval) stored them first: nothing is missing.
            logger.info("notifications.repair_raced", comment_id=comment_id)
    if created:
        logger.warning("notifications.repaired", count=created)
    return created
