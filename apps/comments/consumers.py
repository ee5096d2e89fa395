"""The live route of a post page: /ws/posts/<post_id>/ (style.md §4: a thin consumer).

It authenticates (session or JWT, set on the scope by the middleware in project.asgi),
authorises through a selector, joins the post's groups, relays the events that
`apps.comments.broadcasts` sends, and replays what a reconnecting client missed. It never
writes: comments arrive over HTTP and go through the services. Format, ping/pong,
relaying and leaving the groups (also when a send to a closing socket ends it) come from
`apps.core.live.ReadOnlyLiveConsumer`.

Query parameters: `format=json` (the mobile app: `data` of each event instead of the
htmx fragment), `after=<comment id>` (replay the comments after that id).

Close codes, sent after the handshake so the client can read them (a refused handshake
reaches a browser as 1006, which htmx's ws extension would retry forever):
4400 malformed query, 4401 bad token, 4404 unknown or unpublished post.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.blog.models import Post
from apps.comments import broadcasts, selectors
from apps.comments.models import Comment
from apps.comments.presence import Reader, arrive, observed
from apps.core.live import LiveEvent, MalformedQueryError, Query, ReadOnlyLiveConsumer

CLOSE_NOT_FOUND = 4404


def replay_after(query: Query) -> int | None:
    """The `after=<non-negative comment id>` to replay from, or None; else malformed."""
    if "after" not in query:
        return None
    values = query["after"]
    # ASCII digits only (str.isdigit also passes "²", which int() refuses), and no more of
    # them than an id can have: int() refuses strings past 4,300 digits.
    if len(values) != 1 or not (values[0].isascii() and values[0].isdigit()):
        raise MalformedQueryError("after must be a comment id")
    if len(values[0]) > 20:
        raise MalformedQueryError("after must be a comment id")
    return int(values[0])


@dataclass(frozen=True)
class Access:
    readable: bool
    moderator: bool = False
    user_id: int | None = None


def _access(user: User | AnonymousUser, post_id: int) -> Access:
    if not selectors.can_read_post_comments(viewer=user, post_id=post_id):
        return Access(readable=False)
    signed_in = isinstance(user, User) and user.is_authenticated and user.is_active
    return Access(
        readable=True,
        moderator=can(user, "comment.moderate"),
        user_id=user.pk if signed_in else None,
    )


def _replay(user: User | AnonymousUser, post_id: int, after_id: int) -> list[LiveEvent]:
    post = Post.objects.get(pk=post_id)
    # At most selectors.MAX_REPLAY: a client that missed more reloads the page.
    comments = selectors.comments_after(post=post, viewer=user, after_id=after_id)
    return [
        broadcasts.render_comment_event(
            comment,
            broadcasts.HELD if comment.status == Comment.Status.HELD else broadcasts.CREATED,
        )
        for comment in comments
    ]


def _status_html() -> str:
    return render_to_string("comments/_live.html#live-status", {"live": True})


class PostCommentsConsumer(ReadOnlyLiveConsumer):
    """One open page of a post (browser or app): joins its groups and relays events."""

    reader: Reader | None = None

    async def start(self, query: Query) -> None:
        after = replay_after(query)
        post_id = int(self.scope["url_route"]["kwargs"]["post_id"])
        user = self.scope.get("user") or AnonymousUser()
        access = await database_sync_to_async(_access)(user, post_id)
        if not access.readable:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.post_id = post_id

        # Join before replaying: an event sent between the replay query and the join would
        # otherwise be lost. A comment can then arrive twice; clients key them by id.
        await self.join(broadcasts.post_group(post_id))
        if access.moderator:
            await self.join(broadcasts.moderators_group(post_id))
        if access.user_id is not None:
            await self.join(broadcasts.viewer_group(post_id, access.user_id))

        if self.wants_json:
            await self.send_json({"type": "live.connected", "post": post_id})
        else:
            await self.send(text_data=await database_sync_to_async(_status_html)())
        if after is not None:
            for event in await database_sync_to_async(_replay)(user, post_id, after):
                await self.forward(event)
        self.reader = await arrive(post_id, self.channel_name)

    async def leave(self) -> None:
        await super().leave()
        reader, self.reader = self.reader, None
        if reader is not None:
            await reader.leave()

    # Events from apps.comments.broadcasts: "comment.created" calls comment_created, etc.
    comment_created = ReadOnlyLiveConsumer.forward
    comment_held = ReadOnlyLiveConsumer.forward
    comment_updated = ReadOnlyLiveConsumer.forward
    comment_deleted = ReadOnlyLiveConsumer.forward

    async def presence(self, event: LiveEvent) -> None:
        observed(self.post_id, int(event["data"]["readers"]))
        await self.forward(event)
