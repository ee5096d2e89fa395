"""A post's live stream: every live event gets the post's next sequence number.

Why: a reconnecting client used to ask for the comments after the largest id it had seen,
so a comment whose broadcast failed while a later one got through was skipped for good,
and edits and removals were never caught up at all. Now each change that readers see
live (created, held, edited, removed) writes a `StreamEvent` in the change's own
transaction, numbered per post without gaps (`PostStream` is the counter, locked by the
update that takes the number). The broadcast after commit carries the number, and a
client that reconnects with `?since=<seq>` is replayed every event after it from the
database (Discourse's message-bus works the same way).
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.comments import broadcasts
from apps.comments.models import Comment, PostStream, StreamEvent
from apps.core.transactions import after_commit

logger = structlog.get_logger("inkwell.comments")

Kind = StreamEvent.Kind

# Old events of a post are pruned every this many events (and by `prune_live_events`).
PRUNE_EVERY = 100


def _next_seq(post_id: int) -> int:
    # The UPDATE takes the row lock and keeps it until commit: a concurrent writer on the
    # same post waits here, then reads the number this transaction committed, plus one.
    bumped = PostStream.objects.filter(post_id=post_id).update(last_seq=F("last_seq") + 1)
    if not bumped:
        try:
            with transaction.atomic():  # a savepoint: another writer may create it first
                PostStream.objects.create(post_id=post_id, last_seq=1)
        except IntegrityError:
            PostStream.objects.filter(post_id=post_id).update(last_seq=F("last_seq") + 1)
        else:
            return 1
    # select_for_update: read our own locked row, never a cached copy (cachalot).
    seq: int = (
        PostStream.objects.select_for_update()
        .filter(post_id=post_id)
        .values_list("last_seq", flat=True)
        .get()
    )
    return seq


@transaction.atomic
def record_event(*, comment: Comment, kind: str, private: bool = False) -> StreamEvent:
    """Number a live event of the comment's post now; broadcast it after commit.

    Call it inside the transaction that makes the change, last (the post's counter stays
    locked until commit). `private`: for moderators and the author only (held comments).
    """
    seq = _next_seq(comment.post_id)
    event = StreamEvent.objects.create(
        post_id=comment.post_id, seq=seq, kind=kind, comment=comment, private=private
    )
    after_commit(broadcasts.stream_event, event.pk)
    if seq % PRUNE_EVERY == 0:
        prune_events(post_id=comment.post_id)
    return event


def prune_events(*, post_id: int | None = None) -> int:
    """Delete live events older than LIVE_EVENT_RETENTION_DAYS (one post's, or all)."""
    cutoff = timezone.now() - timedelta(days=settings.LIVE_EVENT_RETENTION_DAYS)
    old = StreamEvent.objects.filter(created_at__lt=cutoff)
    if post_id is not None:
        old = old.filter(post_id=post_id)
    deleted, _ = old.delete()
    if deleted:
        logger.info("live.events_pruned", post_id=post_id, deleted=deleted)
    return deleted


# What the comment services call: one line per kind of change.


def announce_created(comment: Comment) -> None:
    """A comment became public (posted, or approved): every reader appends it."""
    record_event(comment=comment, kind=Kind.CREATED)


def announce_held(comment: Comment) -> None:
    """A comment awaits approval: moderators and its author see it, marked so."""
    record_event(comment=comment, kind=Kind.HELD, private=True)


def announce_updated(comment: Comment) -> None:
    """A comment was edited: whoever can see it gets the new version."""
    record_event(comment=comment, kind=Kind.UPDATED, private=not comment.is_public)


def announce_removed(comment: Comment, *, was_public: bool) -> None:
    """A comment was deleted or hidden: whoever saw it gets the placeholder."""
    record_event(comment=comment, kind=Kind.DELETED, private=not was_public)
