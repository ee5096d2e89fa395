"""Comment moderation: the table of actions, the queue's actions, the site settings.

Every action checks `comment.moderate` itself, so the dashboard, the JSON API and any
command share one gate. Which action a comment can take in which state is one table,
`ACTIONS`, that the dashboard reads for its buttons and `_set_status` enforces, as
`apps.blog.services.workflow.MOVES` does for posts. Moderating a comment into the state
it is already in is an error with a clear message, not a silent no-op: a bulk report
then says "already published" instead of counting a change that did not happen.
An approval stores its notifications in its own transaction; broadcasts run after
commit, so a moderation action never waits on them, and a failing one is logged, never
raised into the moderator's request.

Audit: the audit log's kinds are security events owned by accounts (adding kinds needs a
migration there), so moderation actions and settings changes are structured log lines
(`inkwell.moderation`) rather than AuditEvent rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

import structlog
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.models import User
from apps.accounts.permissions import require
from apps.blog.models import Post
from apps.blog.pages import comments_tag, post_tag
from apps.comments.models import Comment, CommentReport, ModerationSettings
from apps.comments.services import stream
from apps.comments.services.deletion import delete_comment
from apps.comments.services.notices import notify_for_comment
from apps.core import personal
from apps.core.pagecache import invalidate
from apps.webhooks.emitters import comment_event

logger = structlog.get_logger("inkwell.moderation")

Status = Comment.Status
BulkAction = Literal["approve", "reject", "spam", "delete", "dismiss"]

MAX_LINKS_LIMIT = 50
BLOCKLIST_MAX_ENTRIES = 500
BLOCKLIST_MAX_LENGTH = 100


# --------------------------------------------------------------------------
# The table: which action a comment can take in which state
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ModerationAction:
    """One queue action: its button label, its report line, and the states it applies to."""

    name: BulkAction
    label: str | Promise
    done: str | Promise
    sources: frozenset[str]
    target: str | None = None  # the status it sets; None: it keeps the status
    reported_only: bool = False  # offered only while the comment has open reports


_ANY = frozenset(Status.values)

ACTIONS: dict[str, ModerationAction] = {
    action.name: action
    for action in [
        ModerationAction("dismiss", gettext_lazy("Dismiss reports"), gettext_lazy("Reports dismissed"), _ANY, reported_only=True),
        ModerationAction("approve", gettext_lazy("Approve"), gettext_lazy("Approved"), _ANY - {Status.PUBLISHED}, Status.PUBLISHED),
        ModerationAction("reject", gettext_lazy("Reject"), gettext_lazy("Rejected"), _ANY - {Status.REJECTED}, Status.REJECTED),
        ModerationAction("spam", gettext_lazy("Mark as spam"), gettext_lazy("Marked as spam"), _ANY - {Status.SPAM}, Status.SPAM),
        ModerationAction("delete", gettext_lazy("Delete"), gettext_lazy("Deleted"), _ANY),
    ]
}  # fmt: skip
BULK_ACTIONS: tuple[BulkAction, ...] = tuple(action.name for action in ACTIONS.values())


def allowed_actions(comment: Comment) -> list[ModerationAction]:
    """The actions the comment can take now, in the table's order (the service re-checks)."""
    if comment.is_deleted:
        return []
    return [
        action
        for action in ACTIONS.values()
        if comment.status in action.sources and (comment.report_count or not action.reported_only)
    ]


# --------------------------------------------------------------------------
# Actions on one comment
# --------------------------------------------------------------------------


def _locked(comment: Comment) -> Comment:
    """The comment's current row, locked until commit (two moderators may act at once)."""
    try:
        fresh = Comment.objects.select_for_update().get(pk=comment.pk)
    except Comment.DoesNotExist:
        raise ValidationError(_("This comment no longer exists.")) from None
    return fresh


def _refresh_caller(comment: Comment, fresh: Comment) -> None:
    for name in ("status", "moderated_by_id", "moderated_at", "report_count", "deleted_at"):
        setattr(comment, name, getattr(fresh, name))


def _resolve_reports(comment: Comment) -> int:
    """Close the comment's open reports; its report count returns to zero."""
    resolved = CommentReport.objects.filter(comment=comment, resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )
    comment.report_count = 0
    return resolved


def _set_status(*, actor: User, comment: Comment, action: ModerationAction) -> Comment:
    require(actor, "comment.moderate")
    fresh = _locked(comment)
    status = action.target
    if status is None:
        raise ValueError(f"“{action.name}” does not change a comment's status.")
    if fresh.is_deleted:
        raise ValidationError(_("This comment was deleted, so it cannot be moderated."))
    if fresh.status not in action.sources:
        raise ValidationError(
            _("This comment is already %(status)s.")
            % {"status": str(Status(fresh.status).label).lower()}
        )
    before, was_public = fresh.status, fresh.is_public
    fresh.status = status
    fresh.moderated_by = actor
    fresh.moderated_at = timezone.now()
    update = ["status", "moderated_by", "moderated_at"]
    if status != Status.PUBLISHED:
        # Acting on a reported comment settles its reports.
        _resolve_reports(fresh)
        update.append("report_count")
    fresh.save(update_fields=update)
    _refresh_caller(comment, fresh)
    logger.info(
        "moderation.status_changed",
        comment_id=fresh.pk,
        post_id=fresh.post_id,
        actor_id=actor.pk,
        before=before,
        after=status,
    )
    # The pages that show the thread; the author's comment form region (held or not).
    author = [personal.reader_tag(fresh.author_id)] if fresh.author_id else []
    invalidate(comments_tag(fresh.post_id), *author)
    if status == Status.PUBLISHED:
        # Stored with the approval (nothing to lose after commit); only the push waits.
        notify_for_comment(comment_id=fresh.pk)
        stream.announce_created(fresh)
        comment_event("comment.approved", fresh)
    else:
        # A comment readers saw goes to the whole post as a placeholder; a held one only
        # to the moderators' and its author's pages, the only ones that showed it.
        stream.announce_removed(fresh, was_public=was_public)
    return comment


@transaction.atomic
def approve_comment(*, actor: User, comment: Comment) -> Comment:
    """Publish a held, rejected or spam comment; announce it and notify after commit."""
    return _set_status(actor=actor, comment=comment, action=ACTIONS["approve"])


@transaction.atomic
def reject_comment(*, actor: User, comment: Comment) -> Comment:
    """Take a comment off the site (or out of the queue) as rejected; settles its reports."""
    return _set_status(actor=actor, comment=comment, action=ACTIONS["reject"])


@transaction.atomic
def mark_spam(*, actor: User, comment: Comment) -> Comment:
    """Take a comment off the site (or out of the queue) as spam; settles its reports."""
    return _set_status(actor=actor, comment=comment, action=ACTIONS["spam"])


@transaction.atomic
def dismiss_reports(*, actor: User, comment: Comment) -> int:
    """Close a comment's open reports without changing it; how many were closed (0: none)."""
    require(actor, "comment.moderate")
    fresh = _locked(comment)
    counted = fresh.report_count
    resolved = _resolve_reports(fresh)
    if resolved or counted:
        fresh.moderated_by = actor
        fresh.moderated_at = timezone.now()
        fresh.save(update_fields=["report_count", "moderated_by", "moderated_at"])
        logger.info(
            "moderation.reports_dismissed",
            comment_id=fresh.pk,
            actor_id=actor.pk,
            reports=resolved,
        )
    _refresh_caller(comment, fresh)
    return resolved


@transaction.atomic
def _delete(*, actor: User, comment: Comment) -> Comment:
    require(actor, "comment.moderate")
    # The dashboard is behind RequireMFAMiddleware: every session there passed 2FA.
    deleted = delete_comment(actor=actor, comment=comment, second_factor=True)
    fresh = _locked(deleted)
    if _resolve_reports(fresh):
        fresh.save(update_fields=["report_count"])
    logger.info("moderation.deleted", comment_id=fresh.pk, actor_id=actor.pk)
    return deleted


# --------------------------------------------------------------------------
# Bulk
# --------------------------------------------------------------------------


@dataclass
class BulkModerationResult:
    """Which comments a bulk action changed, and why each of the others failed."""

    done: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


def _action(name: str, actor: User) -> Callable[[Comment], object]:
    actions: dict[str, Callable[[Comment], object]] = {
        "approve": lambda c: approve_comment(actor=actor, comment=c),
        "reject": lambda c: reject_comment(actor=actor, comment=c),
        "spam": lambda c: mark_spam(actor=actor, comment=c),
        "delete": lambda c: _delete(actor=actor, comment=c),
        "dismiss": lambda c: _dismiss_or_fail(actor=actor, comment=c),
    }
    return actions[name]


def _dismiss_or_fail(*, actor: User, comment: Comment) -> int:
    # In a bulk report "0 reports" would read as success; say why nothing happened.
    counted = comment.report_count
    if not dismiss_reports(actor=actor, comment=comment) and not counted:
        raise ValidationError(_("This comment has no open reports."))
    return 1


@transaction.atomic
def bulk_moderate(*, actor: User, comment_ids: Iterable[int], action: str) -> BulkModerationResult:
    """Apply one action to many comments, each in its own savepoint; collect failures."""
    require(actor, "comment.moderate")
    if action not in BULK_ACTIONS:
        raise ValidationError(_("Unknown moderation action “%(action)s”.") % {"action": action})
    ids = list(dict.fromkeys(comment_ids))  # keep the order, drop repeats
    comments = Comment.objects.select_related("post").in_bulk(ids)
    apply = _action(action, actor)
    result = BulkModerationResult()
    for pk in ids:
        comment = comments.get(pk)
        if comment is None:
            result.failed[pk] = _("This comment no longer exists.")
            continue
        try:
            with transaction.atomic():
                apply(comment)
        except (ValidationError, PermissionDenied) as error:
            messages = getattr(error, "messages", None) or [str(error)]
            result.failed[pk] = " ".join(messages)
        else:
            result.done.append(pk)
    return result


# --------------------------------------------------------------------------
# Settings and closing comments
# --------------------------------------------------------------------------


def clean_blocklist(blocklist: str) -> list[str]:
    """Blocklist lines trimmed, lower-cased and without repeats; ValidationError if too long."""
    words = list(dict.fromkeys(" ".join(line.split()).lower() for line in blocklist.splitlines()))
    words = [word for word in words if word]
    if len(words) > BLOCKLIST_MAX_ENTRIES:
        raise ValidationError(
            {
                "blocklist": _("Keep the blocklist to %(limit)s entries or fewer.")
                % {"limit": BLOCKLIST_MAX_ENTRIES}
            }
        )
    too_long = [word for word in words if len(word) > BLOCKLIST_MAX_LENGTH]
    if too_long:
        raise ValidationError(
            {
                "blocklist": _(
                    "Each entry must be at most %(limit)s characters (“%(entry)s…” is longer)."
                )
                % {"limit": BLOCKLIST_MAX_LENGTH, "entry": too_long[0][:30]}
            }
        )
    return words


@transaction.atomic
def update_moderation_settings(
    *, actor: User, hold: str, max_links: int, blocklist: str
) -> ModerationSettings:
    """Save the site's hold mode, link limit and blocklist (editors only); logs the change."""
    require(actor, "comment.moderate")
    errors: dict[str, str] = {}
    if hold not in ModerationSettings.Hold.values:
        errors["hold"] = _("Choose one of the hold modes.")
    if not 0 <= max_links <= MAX_LINKS_LIMIT:
        errors["max_links"] = _("Choose a number from 0 to %(limit)s.") % {"limit": MAX_LINKS_LIMIT}
    try:
        words = clean_blocklist(blocklist)
    except ValidationError as error:
        errors["blocklist"] = " ".join(error.messages)
        words = []
    if errors:
        raise ValidationError(errors)
    rules, _created = ModerationSettings.objects.select_for_update().get_or_create(pk=1)
    before = {"hold": rules.hold, "max_links": rules.max_links, "blocked": len(rules.blocked_words)}
    rules.hold = hold
    rules.max_links = max_links
    rules.blocklist = "\n".join(words)
    rules.updated_by = actor
    rules.save()
    logger.info(
        "moderation.settings_changed",
        actor_id=actor.pk,
        before=before,
        after={"hold": hold, "max_links": max_links, "blocked": len(words)},
    )
    return rules


@transaction.atomic
def set_comments_open(*, actor: User, post: Post, is_open: bool) -> Post:
    """Open or close comments on a post (editors only); no change if it is already so."""
    require(actor, "comment.moderate")
    if post.comments_open != is_open:
        Post.objects.filter(pk=post.pk).update(comments_open=is_open)
        post.comments_open = is_open
        # The post page shows the form or "closed"; the API shows `comments_open`.
        invalidate(post_tag(post.pk), comments_tag(post.pk))
        logger.info(
            "moderation.comments_open_changed", post_id=post.pk, actor_id=actor.pk, open=is_open
        )
    return post
