"""The one-line calls other apps' services make when something webhook-worthy happens.

Each hands `emit` a function that builds the payload, called only when an endpoint wants the
event, and called at once, inside the caller's transaction (so a deleted post can still be
described); `emit` waits for the commit to store and send.
"""

from __future__ import annotations

from collections.abc import Iterable

from apps.webhooks.payloads import (
    CommentLike,
    NewsletterLike,
    PostLike,
    SubscriberLike,
    comment_data,
    post_data,
    subscriber_data,
)
from apps.webhooks.services.emission import emit


def post_event(event_type: str, post: PostLike) -> None:
    """`post.published`, `post.unpublished`, `post.updated` or `post.deleted`."""
    emit(event_type, lambda: post_data(post))


def comment_event(event_type: str, comment: CommentLike) -> None:
    """`comment.created`, `comment.approved` or `comment.deleted`."""
    emit(event_type, lambda: comment_data(comment))


def subscriber_event(
    event_type: str, subscriber: SubscriberLike, newsletters: Iterable[NewsletterLike]
) -> None:
    """`subscriber.created` or `subscriber.unsubscribed` (never with the address)."""
    chosen = list(newsletters)
    if chosen:
        emit(event_type, lambda: subscriber_data(subscriber, chosen))
