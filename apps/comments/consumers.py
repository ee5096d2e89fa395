"""The live route of a post page: /ws/posts/<post_id>/ (style.md §4: a thin consumer).

It authenticates (session or JWT, set on the scope by the middleware in project.asgi),
authorises through a selector, joins the post's groups, relays the events that
`apps.comments.broadcasts` sends, and replays what a reconnecting client missed. It never
writes: comments arrive over HTTP and go through the services.

Query parameters: `format=json` (the mobile app: `data` of each event instead of the
htmx fragment), `after=<comment id>` (replay the comments after that id).

Close codes, sent after the handshake so the client can read them (a refused handshake
reaches a browser as 1006, which htmx's ws extension would retry forever):
4400 malformed query, 4401 bad token, 4404 unknown or unpublished post.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import structlog
from asgiref.typing import ASGIReceiveCallable as Receive
from asgiref.typing import ASGISendCallable as Send
from asgiref.typing import Scope
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from redis.exceptions import RedisError

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.blog.models import Post
from apps.comments import broadcasts, selectors
from apps.comments.broadcasts import CommentEvent
from apps.comments.models import Comment
from apps.comments.presence import Reader, arrive, observed

logger = structlog.get_logger("inkwell.comments")

# Seconds to wait after each failed group_discard before the next try.
DISCARD_RETRY_DELAYS = (0.05, 0.25, 1.0)

CLOSE_MALFORMED_QUERY = 4400
CLOSE_BAD_TOKEN = 4401
CLOSE_NOT_FOUND = 4404


class MalformedQueryError(ValueError):
    pass


@dataclass(frozen=True)
class Options:
    wants_json: bool
    after: int | None


def parse_query(query_string: bytes) -> Options:
    """`format=html|json` and `after=<non-negative id>`; anything else unknown is ignored."""
    try:
        query = parse_qs(query_string.decode("ascii"), strict_parsing=False)
    except UnicodeDecodeError as error:
        raise MalformedQueryError("query is not ASCII") from error
    formats = query.get("format", ["html"])
    if len(formats) != 1 or formats[0] not in {"html", "json"}:
        raise MalformedQueryError("format must be html or json")
    after: int | None = None
    if "after" in query:
        values = query["after"]
        if len(values) != 1 or not values[0].isdigit():
            raise MalformedQueryError("after must be a comment id")
        after = int(values[0])
    return Options(wants_json=formats[0] == "json", after=after)


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


def _replay(user: User | AnonymousUser, post_id: int, after_id: int) -> list[CommentEvent]:
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


class PostCommentsConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # channels is untyped
    """One open page of a post (browser or app): joins its groups and relays events."""

    groups_joined: tuple[str, ...] = ()
    reader: Reader | None = None
    wants_json = False

    async def connect(self) -> None:
        await self.accept()
        if self.scope.get("auth_error"):
            await self.close(code=CLOSE_BAD_TOKEN)
            return
        try:
            options = parse_query(self.scope.get("query_string", b""))
        except MalformedQueryError:
            await self.close(code=CLOSE_MALFORMED_QUERY)
            return
        post_id = int(self.scope["url_route"]["kwargs"]["post_id"])
        user = self.scope.get("user") or AnonymousUser()
        access = await database_sync_to_async(_access)(user, post_id)
        if not access.readable:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.wants_json = options.wants_json
        self.post_id = post_id

        # Join before replaying: an event sent between the replay query and the join would
        # otherwise be lost. A comment can then arrive twice; clients key them by id.
        groups = [broadcasts.post_group(post_id)]
        if access.moderator:
            groups.append(broadcasts.moderators_group(post_id))
        if access.user_id is not None:
            groups.append(broadcasts.viewer_group(post_id, access.user_id))
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = tuple(groups)

        if self.wants_json:
            await self.send_json({"type": "live.connected", "post": post_id})
        else:
            await self.send(text_data=await database_sync_to_async(_status_html)())
        if options.after is not None:
            for event in await database_sync_to_async(_replay)(user, post_id, options.after):
                await self._forward(event)
        self.reader = await arrive(post_id, self.channel_name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # A send to a socket that is closing raises (uvicorn: ClientDisconnected, which
            # it swallows silently) and ends the consumer before its websocket.disconnect is
            # handled. Without this, every broadcast racing a close left a dead channel in
            # the group for group_expiry (a day); the burst test caught dozens per burst.
            await self._leave()

    async def disconnect(self, code: int) -> None:
        await self._leave()

    async def _leave(self) -> None:
        groups, self.groups_joined = self.groups_joined, ()
        for group in groups:
            await self._discard(group)
        reader, self.reader = self.reader, None
        if reader is not None:
            await reader.leave()

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        # Writes arrive over HTTP and go through services; this socket only listens.
        try:
            message = json.loads(text_data) if text_data is not None else None
        except ValueError:
            message = None
        if not isinstance(message, dict):
            await self.send_json(
                {
                    "type": "error",
                    "code": "malformed",
                    "message": 'Send JSON text frames such as {"type": "ping"}.',
                }
            )
        elif message.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json(
                {
                    "type": "error",
                    "code": "read_only",
                    "message": "This socket only delivers updates; send changes over HTTP.",
                }
            )

    async def _discard(self, group: str) -> None:
        # A few quick retries: under a burst of closes Redis occasionally refuses or times out
        # one call, and a channel left behind would stay in the group for a day.
        for delay in DISCARD_RETRY_DELAYS:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
                return
            except (RedisError, OSError) as error:
                failure = error
                await asyncio.sleep(delay)
        # Redis is down: the entry expires with group_expiry; the other groups and the
        # reader count still get cleaned up.
        logger.warning("comments.group_discard_failed", group=group, error=repr(failure))

    # Events from apps.comments.broadcasts: "comment.created" calls comment_created, etc.

    async def comment_created(self, event: CommentEvent) -> None:
        await self._forward(event)

    async def comment_held(self, event: CommentEvent) -> None:
        await self._forward(event)

    async def comment_updated(self, event: CommentEvent) -> None:
        await self._forward(event)

    async def comment_deleted(self, event: CommentEvent) -> None:
        await self._forward(event)

    async def presence(self, event: CommentEvent) -> None:
        observed(self.post_id, int(event["data"]["readers"]))
        await self._forward(event)

    async def _forward(self, event: CommentEvent) -> None:
        if self.wants_json:
            await self.send_json(event["data"])
        else:
            await self.send(text_data=event["html"])
