"""Deleting a comment: by its author, or by a moderator (from the page or the queue).

Both `comments.py` (the reader's delete) and `moderation.py` (the queue's delete, which
also settles reports) call this, so it lives in neither.
"""

from __future__ import annotations

import structlog
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.blog.pages import comments_tag
from apps.comments.models import Comment
from apps.comments.services import stream
from apps.core import personal
from apps.core.pagecache import invalidate
from apps.webhooks.emitters import comment_event

logger = structlog.get_logger("inkwell.comments")


# Said when a moderator's session has not passed the second factor (docs/user/moderation.md).
NEEDS_SECOND_FACTOR = gettext_lazy(
    "Deleting other people's comments needs two-factor authentication: "
    "set it up (or confirm your code) under Account → Security, then try again."
)


def can_delete(actor: User, comment: Comment, *, second_factor: bool) -> bool:
    """True when `actor` may delete the comment (their own; any as a verified moderator)."""
    if comment.is_deleted or not actor.is_authenticated:
        return False
    if comment.author_id == actor.pk:
        return True
    return second_factor and can(actor, "comment.moderate")


@transaction.atomic
def delete_comment(*, actor: User, comment: Comment, second_factor: bool) -> Comment:
    """Remove a comment (own, or any for moderators), keeping a placeholder in the thread.

    `second_factor` says whether the caller passed two-factor authentication: a moderator
    deletes someone else's comment only then, as the dashboard requires for every other
    moderation (RequireMFAMiddleware). Their own comments need no second factor.
    """
    if comment.is_deleted:
        raise ValidationError(_("This comment was already removed."), code="deleted")
    own = actor.is_authenticated and comment.author_id == actor.pk
    if not own and not can(actor, "comment.moderate"):
        raise PermissionDenied(_("You can only delete your own comments."))
    if not own and not second_factor:
        raise PermissionDenied(NEEDS_SECOND_FACTOR)
    comment.deleted_at = timezone.now()
    fields = ["deleted_at"]
    if own:
        # The author asked for their words to go; a moderator's removal keeps them as
        # evidence for the queue (they are never shown again either way).
        comment.body = ""
        comment.body_html = ""
        fields += ["body", "body_html"]
    comment.save(update_fields=fields)
    logger.info("comment.deleted", comment_id=comment.pk, actor_id=actor.pk, own=own)
    invalidate(comments_tag(comment.post_id))
    personal.forget_reader(comment.author_id)  # a held comment gone: their form region
    stream.announce_removed(comment, was_public=comment.is_public)
    comment_event("comment.deleted", comment)
    return comment
