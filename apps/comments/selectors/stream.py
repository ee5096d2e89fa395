"""Reads of a post's live stream (apps.comments.services.stream writes it).

Both bypass cachalot: they decide what a reconnecting socket is sent, so a copy that is
stale (another process wrote, and its invalidation has not reached this one) would skip
events; each `since` differs anyway, so caching them buys nothing.
"""

from __future__ import annotations

from apps.comments.models import PostStream, StreamEvent
from apps.comments.selectors.threads import prepare_single
from apps.core.cache import cachalot_off as cachalot_disabled


def stream_seq(post_id: int) -> int:
    """The number of the post's latest live event (0 before its first).

    (A post page reads it in the same query as its comments: `ThreadPage.live_seq`.)
    """
    with cachalot_disabled():
        seq = PostStream.objects.filter(post_id=post_id).values_list("last_seq", flat=True).first()
    return seq or 0


def stream_events_after(*, post_id: int, since: int, limit: int) -> list[StreamEvent]:
    """The post's live events numbered above `since`, oldest first, at most `limit`.

    Each carries its comment (with author and parent author), prepared for rendering.
    """
    with cachalot_disabled():
        events = list(
            StreamEvent.objects.filter(post_id=post_id, seq__gt=since)
            .select_related("comment__author", "comment__parent__author")
            .order_by("seq")[:limit]
        )
    for event in events:
        prepare_single(event.comment)
    return events
