"""The live route of a post page: /ws/posts/<post_id>/ (style.md §4: a thin consumer).

It authenticates (session or JWT, set on the scope by the middleware in project.asgi),
authorises through a selector, joins the post's groups, relays the events that
`apps.comments.broadcasts` sends, and replays what a reconnecting client missed. It never
writes: comments arrive over HTTP and go through the services. Format, ping/pong,
relaying and leaving the groups (also when a send to a closing socket ends it) come from
`apps.core.live.ReadOnlyLiveConsumer`.

Query parameters: `format=json` (the mobile app: `data` of each event instead of the
htmx fragment), `since=<seq>` (replay every live event of the post numbered above `seq`,
then stream; see `apps.comments.services.stream`), and the deprecated `after=<comment id>`
(replay the comments after that id, the catch-up of older apps: it misses edits and
removals, and a comment whose broadcast failed below a later one that got through).

Sequence numbers: every comment event carries the post's next number. The consumer
remembers the last number it sent; it drops a repeat (a replay overlapping the live
stream), and when a live event skips numbers (a broadcast that failed, or two arriving out
of order) it replays the missing ones from the database first. A client may also send
`{"type": "replay", "since": <seq>}`. A catch-up that is out of reach (pruned, or more
than `MAX_REPLAY` events) is answered with a reload instruction instead.

Close codes, sent after the handshake so the client can read them (a refused handshake
reaches a browser as 1006, which htmx's ws extension would retry forever):
4400 malformed query, 4401 bad token, 4404 unknown or unpublished post.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError
from django.template.loader import render_to_string

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.blog.models import Post
from apps.comments import broadcasts, selectors
from apps.comments.models import Comment
from apps.comments.presence import Reader, arrive, observed
from apps.core.live import LiveEvent, MalformedQueryError, Query, ReadOnlyLiveConsumer
from apps.core.websocket import CLOSE_TRY_AGAIN_LATER

logger = structlog.get_logger("inkwell.live")

CLOSE_NOT_FOUND = 4404
# Digits a sequence number may have (a bigint).
_SEQ_DIGITS = 19


def _count(value: str) -> int | None:
    # ASCII digits only (str.isdigit also passes "²", which int() refuses), and no more of
    # them than a bigint has: int() refuses strings past 4,300 digits.
    if not (value.isascii() and value.isdigit()) or len(value) > _SEQ_DIGITS:
        return None
    return int(value)


def replay_since(query: Query) -> int | None:
    """The `since=<non-negative sequence number>` to replay from, or None; else malformed."""
    if "since" not in query:
        return None
    values = query["since"]
    seq = _count(values[0]) if len(values) == 1 else None
    if seq is None:
        raise MalformedQueryError("since must be a sequence number")
    return seq


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
    broadcasts.post_language(post_id)  # learnt here, where the database may be used
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


@dataclass(frozen=True)
class Catchup:
    """What a replay sends: the events in order, or a reload instruction; and where it ends."""

    events: list[broadcasts.StreamMessage]
    reload: bool
    seq: int  # the last number the client has after it


def _catch_up(post_id: int, since: int) -> Catchup:
    current = selectors.stream_seq(post_id)
    if since == current:
        return Catchup([], reload=False, seq=current)
    events = selectors.stream_events_after(
        post_id=post_id, since=since, limit=selectors.MAX_REPLAY + 1
    )
    # Out of reach: a number from the future (the database was restored), events pruned
    # since, or more than a replay sends. The client reloads, then goes on from `current`.
    if (
        since > current
        or not events
        or events[0].seq != since + 1
        or len(events) > selectors.MAX_REPLAY
    ):
        return Catchup([], reload=True, seq=max(current, events[-1].seq if events else 0))
    messages = [broadcasts.stream_message(event, event.comment) for event in events]
    return Catchup(messages, reload=False, seq=messages[-1]["seq"])


def _status_html() -> str:
    return render_to_string("comments/_live.html#live-status", {"live": True})


class PostCommentsConsumer(ReadOnlyLiveConsumer):
    """One open page of a post (browser or app): joins its groups and relays events."""

    reader: Reader | None = None
    # The last number this socket was sent (or, with ?since=, the client already had);
    # None until known: a client without ?since= gets every event from its first on.
    last_seq: int | None = None
    moderator = False
    user_id: int | None = None

    async def start(self, query: Query) -> None:
        since = replay_since(query)
        after = replay_after(query) if since is None else None
        post_id = int(self.scope["url_route"]["kwargs"]["post_id"])
        user = self.scope.get("user") or AnonymousUser()
        access = await database_sync_to_async(_access)(user, post_id)
        if not access.readable:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.post_id = post_id
        self.moderator, self.user_id = access.moderator, access.user_id

        # Join before replaying: an event sent between the replay query and the join would
        # otherwise be lost. Events wait in the channel until this handler ends, and the
        # ones the replay already sent are dropped by number.
        await self.join(broadcasts.post_group(post_id))

        if self.wants_json:
            seq = await database_sync_to_async(selectors.stream_seq)(post_id)
            await self.send_json({"type": "live.connected", "post": post_id, "seq": seq})
        else:
            await self.send(text_data=await database_sync_to_async(_status_html)())
        if since is not None:
            if not await self.replay(since):
                return
        elif after is not None:
            for event in await database_sync_to_async(_replay)(user, post_id, after):
                await self.forward(event)
        self.reader = await arrive(post_id, self.channel_name)

    async def replay(self, since: int) -> bool:
        """Send every event numbered above `since` from the database (or say: reload).

        False when the database cannot answer: the socket is closed with 1013, which
        clients retry with back-off, asking again from the last number they have.
        """
        try:
            catchup = await database_sync_to_async(_catch_up)(self.post_id, since)
        except DatabaseError as error:
            # One line, not a traceback per socket: during an outage they all fail alike.
            logger.warning(
                "live.replay_failed",
                post_id=self.post_id,
                since=since,
                error=f"{type(error).__name__}: {error}"[:300],
            )
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return False
        if catchup.reload:
            await self.forward(broadcasts.reload_message(catchup.seq))
        for message in catchup.events:
            await self.deliver(message)
        self.last_seq = catchup.seq
        return True

    async def stream_event(self, message: broadcasts.StreamMessage) -> None:
        """A numbered event from the group: relay it once, in order, repairing any gap."""
        seq = message["seq"]
        if self.last_seq is not None:
            if seq <= self.last_seq:
                return  # already sent (by a replay, or a repeated broadcast)
            if seq > self.last_seq + 1:
                # Numbers in between never arrived (a failed broadcast, or they are late):
                # they are committed, so the database has them, this one included.
                await self.replay(self.last_seq)
                return
        await self.deliver(message)
        self.last_seq = seq

    async def deliver(self, message: broadcasts.StreamMessage) -> None:
        """Relay a numbered event in full, or only its number to whom it is not for."""
        allowed = (
            not message["private"]
            or self.moderator
            or (self.user_id is not None and message["author_id"] == self.user_id)
        )
        await self.forward(message if allowed else broadcasts.skip_message(message["seq"]))

    async def receive_message(self, message: dict[str, Any]) -> bool:
        """`{"type": "replay", "since": <seq>}`: a client that saw a gap asks for it again."""
        if message.get("type") != "replay" or not hasattr(self, "post_id"):
            return False
        since = message.get("since")
        if not isinstance(since, int) or isinstance(since, bool) or since < 0:
            await self.send_json(
                {"type": "error", "code": "malformed", "message": "since must be a number."}
            )
            return True
        await self.replay(since)
        return True

    async def leave(self) -> None:
        await super().leave()
        reader, self.reader = self.reader, None
        if reader is not None:
            await reader.leave()

    # Numbered events from apps.comments.broadcasts ("comment.created" → comment_created…).
    comment_created = stream_event
    comment_held = stream_event
    comment_updated = stream_event
    comment_deleted = stream_event
    live_skip = stream_event

    async def presence(self, event: LiveEvent) -> None:
        observed(self.post_id, int(event["data"]["readers"]))
        await self.forward(event)
