"""The one-line calls other apps' services make when something webhook-worthy happens.

Each builds its payload now (inside the caller's transaction, so a deleted post can still
be described) and hands it to `emit`, which waits for the commit.
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
    emit(event_type, post_data(post))


def comment_event(event_type: str, comment: Comment) -> None:
    """`comment.created`, `comment.approved` or `comment.deleted`."""
    emit(event_type, comment_data(comment))


def subscriber_event(
    event_type: str, subscriber: Subscriber, newsletters: Iterable[Newsletter]
) -> None:
    """`subscriber.created` or `subscriber.unsubscribed` (never with the address)."""
    newsletters = list(newsletters)
    if newsletters:
        emit(event_type, subscriber_data(subscriber, newsletters))
