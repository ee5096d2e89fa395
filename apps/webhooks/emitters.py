"""The one-line calls other apps' services make when something webhook-worthy happens.

Each hands `emit` a function that builds the payload, called only when an endpoint wants the
event, and called at once, inside the caller's transaction (so a deleted post can still be
described); `emit` waits for the commit to store and send.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from apps.webhooks.payloads import comment_data, post_data, subscriber_data
from apps.webhooks.services.emission import emit

if TYPE_CHECKING:
    from apps.blog.models import Post
    from apps.comments.models import Comment
    from apps.newsletter.models import Newsletter, Subscriber


def post_event(event_type: str, post: Post) -> None:
    """`post.published`, `post.unpublished`, `post.updated` or `post.deleted`."""
    emit(event_type, lambda: post_data(post))


def comment_event(event_type: str, comment: Comment) -> None:
    """`comment.created`, `comment.approved` or `comment.deleted`."""
    emit(event_type, lambda: comment_data(comment))


def subscriber_event(
    event_type: str, subscriber: Subscriber, newsletters: Iterable[Newsletter]
) -> None:
    """`subscriber.created` or `subscriber.unsubscribed` (never with the address)."""
    chosen = list(newsletters)
    if chosen:
        emit(event_type, lambda: subscriber_data(subscriber, chosen))
