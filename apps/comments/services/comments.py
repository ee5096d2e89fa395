"""Comment writes: post, edit, delete, report, and anonymise on account deletion.

Every function checks its own permissions (the htmx views, the JSON API and any command
share them) and raises ValidationError or PermissionDenied with a message meant for the
reader. Notifications are stored in the comment's own transaction (all or nothing), and
broadcasts are scheduled with `apps.core.transactions.after_commit`: they run only once the
comment is safely stored, and a failure in them is logged without touching the saved comment. Deleting lives in `deletion.py` and the hold rule in
`rules.py`, which the moderation services share.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import structlog
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.selectors import has_verified_email
from apps.analytics.services import record_goal
from apps.blog.models import Post
from apps.blog.pages import comments_tag
from apps.comments.models import MAX_DEPTH, Comment, CommentReport
from apps.comments.services import stream
from apps.comments.services.notices import notify_for_comment
from apps.comments.services.rules import initial_status, spam_signal
from apps.core import metrics, personal
from apps.core.markdown import markdown_to_safe_html
from apps.core.pagecache import invalidate
from apps.core.ratelimit import hit
from apps.webhooks.emitters import comment_event

logger = structlog.get_logger("inkwell.comments")

MAX_LENGTH = 5000
EDIT_WINDOW = timedelta(minutes=15)
REPORT_REASON_MAX = 300


def _announce(comment: Comment) -> None:
    """Store a public comment's notifications with it; number and announce it after commit."""
    # A held comment changes what its author's comment form region shows (apps.core.personal).
    personal.forget_reader(comment.author_id)
    if comment.is_public:
        invalidate(comments_tag(comment.post_id))
        # Numbered first, so its broadcast is the first thing after the commit: every open
        # page of the post waits for it; the notifications' pushes reach a few people.
        stream.announce_created(comment)
        # In the comment's own transaction: a Redis or database blip after the commit can
        # no longer lose them. Only their live push waits for the commit (and may fail).
        notify_for_comment(comment_id=comment.pk)
    else:
        stream.announce_held(comment)


def _require_commenter(actor: User) -> None:
    if not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied(_("Sign in to comment."))
    if not has_verified_email(actor):
        raise PermissionDenied(_("Verify your email address before you comment."))


def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise ValidationError(_("Write something before posting your comment."), code="empty")
    if len(body) > MAX_LENGTH:
        raise ValidationError(
            _("Comments can be at most %(limit)s characters; this one has %(length)s.")
            % {"limit": f"{MAX_LENGTH:,}", "length": f"{len(body):,}"},
            code="too_long",
        )
    return body


def _check_parent(parent: Comment, post: Post) -> None:
    if parent.post_id != post.pk:
        raise ValidationError(_("That comment belongs to another post."), code="wrong_post")
    if parent.is_deleted:
        raise ValidationError(_("You can’t reply to a comment that was removed."), code="deleted")
    if not parent.is_public:
        # Held, rejected or spam: a reply would hang below something readers cannot see.
        raise ValidationError(
            _("You can’t reply to a comment that is awaiting approval."), code="not_public"
        )


def _rate_limit(actor: User) -> None:
    limit = settings.COMMENT_RATE_LIMIT
    window = settings.COMMENT_RATE_WINDOW
    usage = hit(f"comments:user:{actor.pk}", limit=limit, window=window)
    if not usage.allowed:
        raise ValidationError(
            _(
                "You’re commenting quickly: at most %(limit)s comments every %(window)s seconds. "
                "Please try again in %(retry)s seconds."
            )
            % {"limit": limit, "window": window, "retry": usage.retry_after},
            code="rate_limited",
        )


def _already_posted(
    *, actor: User, post: Post, body: str, parent: Comment | None, token: UUID | None
) -> Comment | None:
    """The comment this form submission already created, if it is a retry of it.

    Only the same author, post, parent and text count: a token copied into another
    submission (a page kept open, a stored page) posts that one as a new comment.
    """
    if token is None:
        return None
    found = Comment.objects.filter(author=actor, submission_token=token).first()
    if found is None:
        return None
    same_place = found.post_id == post.pk and found.parent_id == (parent.pk if parent else None)
    return found if same_place and found.body == body else None


@transaction.atomic
def create_comment(
    *,
    actor: User,
    post: Post,
    body: str,
    parent: Comment | None = None,
    token: UUID | None = None,
) -> Comment:
    """Store a verified reader's sanitised comment or reply; announce it after commit.

    `token` is the web form's one-time token: a submission sent again with it (a retry)
    returns the comment the first one stored, and nothing is posted twice.
    """
    _require_commenter(actor)
    if not post.is_public:
        raise ValidationError(
            _("This post is not published, so it takes no comments."), code="not_published"
        )
    if not post.comments_open:
        raise ValidationError(_("Comments are closed on this post."), code="closed")
    body = _clean_body(body)
    if done := _already_posted(actor=actor, post=post, body=body, parent=parent, token=token):
        return done
    if parent is not None:
        _check_parent(parent, post)
    # Counted last, so a refused empty or oversized comment does not use up the budget.
    _rate_limit(actor)
    status, held_reason = initial_status(author=actor, post=post, body=body)
    comment = Comment(
        post=post,
        author=actor,
        body=body,
        body_html=markdown_to_safe_html(body, profile="comment"),
        status=status,
        held_reason=held_reason[:200],
    )
    if parent is not None:
        comment.parent = parent
        comment.root_id = parent.root_id or parent.pk
        comment.depth = min(parent.depth + 1, MAX_DEPTH)
        # Below the last level a reply is shown beside the comment it answers.
        comment.thread_parent_id = (
            parent.pk if parent.depth < MAX_DEPTH else parent.thread_parent_id
        )
    if (
        token is not None
        and not Comment.objects.filter(author=actor, submission_token=token).exists()
    ):
        comment.submission_token = token
    comment.full_clean(exclude=["post", "author", "parent", "root", "thread_parent"])
    try:
        with transaction.atomic():
            comment.save()
    except IntegrityError:
        # The same submission, sent twice at once: the other request stored it first.
        if done := _already_posted(actor=actor, post=post, body=body, parent=parent, token=token):
            return done
        raise
    logger.info("comment.created", comment_id=comment.pk, post_id=post.pk, status=comment.status)
    posted_status = str(comment.status)
    transaction.on_commit(lambda: metrics.comment_posted(posted_status))
    _announce(comment)
    comment_event("comment.created", comment)  # held ones too (their text is left out)
    record_goal("comment_posted", path=post.get_absolute_url())  # after commit
    return comment


def ensure_editable(actor: User, comment: Comment) -> None:
    """Raise unless `actor` may edit the comment now (own, not removed, within the window)."""
    if not actor.is_authenticated or comment.author_id != actor.pk:
        raise PermissionDenied(_("You can only edit your own comments."))
    if comment.is_deleted:
        raise ValidationError(_("This comment was removed and can’t be edited."), code="deleted")
    if comment.status in {Comment.Status.REJECTED, Comment.Status.SPAM}:
        raise ValidationError(_("This comment was removed by a moderator."), code="removed")
    if timezone.now() - comment.created_at > EDIT_WINDOW:
        minutes = int(EDIT_WINDOW.total_seconds() // 60)
        raise ValidationError(
            _("Comments can only be edited for %(minutes)s minutes after posting.")
            % {"minutes": minutes},
            code="too_late",
        )


def can_edit(actor: User, comment: Comment) -> bool:
    """True when `edit_comment` would accept an edit by `actor` now."""
    try:
        ensure_editable(actor, comment)
    except (PermissionDenied, ValidationError):
        return False
    return True


@transaction.atomic
def edit_comment(*, actor: User, comment: Comment, body: str) -> Comment:
    """Change the author's own comment within the edit window; mark it edited."""
    ensure_editable(actor, comment)
    body = _clean_body(body)
    was_public = comment.is_public
    comment.body = body
    comment.body_html = markdown_to_safe_html(body, profile="comment")
    comment.edited_at = timezone.now()
    fields = ["body", "body_html", "edited_at"]
    if was_public and (reason := spam_signal(author=actor, body=body)):
        # An edit must not slip links or blocked words past the queue.
        comment.status = Comment.Status.HELD
        comment.held_reason = reason
        fields += ["status", "held_reason"]
    comment.save(update_fields=fields)
    logger.info("comment.edited", comment_id=comment.pk, status=comment.status)
    if was_public:
        invalidate(comments_tag(comment.post_id))
    if was_public and not comment.is_public:
        stream.announce_removed(comment, was_public=True)
        stream.announce_held(comment)
    else:
        stream.announce_updated(comment)
    return comment


def can_report(actor: User, comment: Comment) -> bool:
    """True when `actor` may report the comment (signed in, not their own, shown to all)."""
    return bool(
        actor.is_authenticated
        and comment.author_id != actor.pk
        and comment.is_public
        and not comment.is_deleted
    )


@transaction.atomic
def report_comment(*, actor: User, comment: Comment, reason: str = "") -> CommentReport:
    """Flag someone else's published comment for moderators, once per reader."""
    if not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied(_("Sign in to report a comment."))
    if not has_verified_email(actor):
        # As for commenting: an unverified address could be anyone's, and reports
        # from throwaway accounts would bury the moderators' queue.
        raise PermissionDenied(_("Verify your email address before you report a comment."))
    if comment.author_id == actor.pk:
        raise ValidationError(_("You can’t report your own comment."), code="own")
    if not comment.is_public or comment.is_deleted:
        raise ValidationError(_("This comment is no longer shown."), code="not_public")
    reason = reason.strip()
    if len(reason) > REPORT_REASON_MAX:
        raise ValidationError(
            _("Keep the reason under %(limit)s characters.") % {"limit": REPORT_REASON_MAX},
            code="too_long",
        )
    if CommentReport.objects.filter(comment=comment, reporter=actor).exists():
        raise ValidationError(_("You have already reported this comment."), code="duplicate")
    try:
        # A savepoint: a double click racing past the check above hits the unique constraint.
        with transaction.atomic():
            report = CommentReport.objects.create(comment=comment, reporter=actor, reason=reason)
    except IntegrityError:
        raise ValidationError(
            _("You have already reported this comment."), code="duplicate"
        ) from None
    Comment.objects.filter(pk=comment.pk).update(report_count=F("report_count") + 1)
    comment.refresh_from_db(fields=["report_count"])
    logger.info("comment.reported", comment_id=comment.pk, reporter_id=actor.pk)
    return report
