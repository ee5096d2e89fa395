"""Reads of a post's live stream (apps.comments.services.stream writes it)."""

from __future__ import annotations

from apps.comments.models import PostStream, StreamEvent
from apps.comments.selectors.threads import prepare_single


def stream_seq(post_id: int) -> int:
    """The number of the post's latest live event (0 before its first).

    A page reads it before its comments: an event that commits in between is then both on
    the page and replayed, which the client's de-duplication absorbs, rather than missed.
    """
    seq = PostStream.objects.filter(post_id=post_id).values_list("last_seq", flat=True).first()
    return seq or 0


def stream_events_after(*, post_id: int, since: int, limit: int) -> list[StreamEvent]:
    """The post's live events numbered above `since`, oldest first, at most `limit`.

    Each carries its comment (with author and parent author), prepared for rendering.
    """
    events = list(
        StreamEvent.objects.filter(post_id=post_id, seq__gt=since)
        .select_related("comment__author", "comment__parent__author")
        .order_by("seq")[:limit]
    )
    for event in events:
        prepare_single(event.comment)
    return events
