"""Comment reads: threads (threads.py) and the moderation queue (moderation.py)."""

from apps.comments.selectors.moderation import (
    held_count,
    moderation_counts,
    moderation_queue,
    sees_held_comments,
)
from apps.comments.selectors.threads import (
    MAX_REPLAY,
    can_read_post_comments,
    comment_for_event,
    comment_on_public_post,
    comment_thread,
    commenting_gate,
    comments_after,
    count_shown,
    moderation_settings,
    prepare_single,
    public_post_for_comments,
    reply_target,
    thread_author_ids,
    thread_signature,
    visible_comment,
)

__all__ = [
    "MAX_REPLAY",
    "can_read_post_comments",
    "comment_for_event",
    "comment_on_public_post",
    "comment_thread",
    "commenting_gate",
    "comments_after",
    "count_shown",
    "held_count",
    "moderation_counts",
    "moderation_queue",
    "moderation_settings",
    "prepare_single",
    "public_post_for_comments",
    "reply_target",
    "sees_held_comments",
    "thread_author_ids",
    "thread_signature",
    "visible_comment",
]
