"""Group names and events for a post's live route.

The comments issue adds comment events here; this module is the only caller of
group_send for posts.
"""

from __future__ import annotations


def post_group(post_id: int) -> str:
    """The channel group every open page of a post joins."""
    return f"comments.post.{post_id}"
