"""Deleting a comment: by its author, or by a moderator (from the page or the queue).

Both `comments.py` (the reader's delete) and `moderation.py` (the queue's delete, which
also settles reports) call this, so it lives in neither.
"""

from __future__ import annotations

import structlog
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.blog.pages import comments_tag
from apps.comments.models import Comment
from apps.comments.services import stream
from apps.core import personal
from apps.core.pagecache import invalidate

logger = structlog.get_logger("inkwell.comments")


def can_delete(actor: User, comment: Comment) -> bool:
    """True when `actor` may delete the comment (their own, or any as a moderator)."""
    if comment.is_deleted or not actor.is_authenticated:
        return False
    return comment.author_id == actor.pk or can(actor, "comment.moderate")


@transaction.atomic
def delete_comment(*, actor: User, comment: Comment) -> Comment:
    """Remove a comment (own, or any for moderators), keeping a placeholder in the thread."""
    if comment.is_deleted:
        raise ValidationError("This comment was already removed.", code="deleted")
    own = actor.is_authenticated and comment.author_id == actor.pk
    if not own and not can(actor, "comment.moderate"):
        raise PermissionDenied("You can only delete your own comments.")
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
    return comment
