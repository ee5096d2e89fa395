"""Live-update plumbing shared by every WebSocket route (style.md §4: thin consumers).

- `send_event`: the only caller of `group_send`. The apps' `broadcasts` modules render an
  event once (`html` for htmx's ws extension, `data` for the mobile app) and send it here;
  a broken channel layer is logged, never raised, because the write it announces is
  already committed.
- `ReadOnlyLiveConsumer`: what every route's consumer shares. It accepts first (so a
  refusal reaches the client as a close code it can read, not a 1006 that htmx's ws
  extension would retry forever), reads `?format=json`, answers pings, refuses writes,
  relays events as html or json, and keeps track of the groups it joined so that it
  leaves them however it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, NotRequired, TypedDict, cast
from urllib.parse import parse_qs

import structlog
from asgiref.sync import async_to_sync
from asgiref.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from channels.consumer import get_handler_name
from channels.exceptions import ChannelFull, StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from redis.exceptions import RedisError

from apps.core import metrics
from apps.core.aio import dispatch_from_inbox, dispatch_until_done

logger = structlog.get_logger("inkwell.live")

CLOSE_MALFORMED_QUERY = 4400
CLOSE_BAD_TOKEN = 4401

# Seconds to wait after each failed group_discard before the next try.
DISCARD_RETRY_DELAYS = (0.05, 0.25, 1.0)

# What a broken channel layer raises: Redis down or refusing, a socket timeout, a full
# channel. Anything else is a bug and should surface (in the robust on_commit's log).
LAYER_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError, ChannelFull)

Query = dict[str, list[str]]


class LiveEvent(TypedDict):
    """What group_send carries: `html` for htmx's ws extension, `data` for the mobile app."""

    type: str
    html: str
    data: dict[str, Any]
    sent_at: NotRequired[float]  # time.time() in send_event


def send_event(groups: str | Iterable[str], event: LiveEvent) -> None:
    """Send one rendered event to each group; a channel-layer failure is logged, not raised."""
    layer = get_channel_layer()
    if layer is None:
        return
    # When it was sent, for `inkwell_broadcast_latency_seconds` where a consumer relays it.
    stamped = cast(LiveEvent, {**event, "sent_at": metrics.broadcast_stamp()})
    for group in [groups] if isinstance(groups, str) else groups:
        try:
            async_to_sync(layer.group_send)(group, stamped)
        except LAYER_ERRORS as error:
            # The write is committed; clients get it on reload or replay. Never re-raise, and
            # log one line: during an outage every broadcast fails the same way.
            logger.warning(
                "live.broadcast_failed",
                group=group,
                event_type=event["type"],
                error=f"{type(error).__name__}: {error}"[:300],
            )


class MalformedQueryError(ValueError):
    """The socket's query string cannot be read (the consumer closes with 4400)."""


def parse_query(query_string: bytes) -> Query:
    """The query parameters of a socket's URL; MalformedQueryError unless it is ASCII."""
    try:
        return parse_qs(query_string.decode("ascii"), strict_parsing=False)
    except UnicodeDecodeError as error:
        raise MalformedQueryError("query is not ASCII") from error


def wants_json(query: Query) -> bool:
    """True for `format=json` (the mobile app), False for `html` or none; else malformed."""
    formats = query.get("format", ["html"])
    if len(formats) != 1 or formats[0] not in {"html", "json"}:
        raise MalformedQueryError("format must be html or json")
    return formats[0] == "json"


class ReadOnlyLiveConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # channels is untyped
    """A socket that only listens: subclasses authorise in `start` and `join` their groups.

    Event handlers are `forward` under the event's name ("comment.created" is handled
    by `comment_created`); a subclass aliases them, e.g. `comment_created = forward`.
    """

    # Said to a client that sends anything but a ping: writes go over HTTP to services.
    read_only_message = "This socket only delivers updates; send changes over HTTP."

    groups_joined: tuple[str, ...] = ()
    wants_json = False

    async def connect(self) -> None:
        await self.accept()
        if self.scope.get("auth_error"):
            await self.close(code=CLOSE_BAD_TOKEN)
            return
        try:
            query = parse_query(self.scope.get("query_string", b""))
            self.wants_json = wants_json(query)
            await self.start(query)
        except MalformedQueryError:
            await self.close(code=CLOSE_MALFORMED_QUERY)

    async def start(self, query: Query) -> None:
        """Authorise, join groups and send the first frames; raise MalformedQueryError."""
        raise NotImplementedError

    async def join(self, *groups: str) -> None:
        """Add this socket to `groups`; they are left again however the socket ends."""
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined = (*self.groups_joined, group)

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        # Channels' AsyncConsumer.__call__ (channels 4.3.2), with our pump instead of
        # channels.utils.await_many_dispatch: that one cancels the two sources once and
        # awaits them without a limit, so a receive that swallowed the cancel (Python 3.11's
        # wait_for under redis-py: apps.core.aio) kept the consumer alive for good.
        self.scope = cast(dict[str, Any], scope)
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.base_send = send
        try:
            sources: list[Callable[[], Awaitable[Any]]] = [receive]
            inbox: asyncio.Queue[Any] | None = None
            if self.channel_layer is not None:
                self.channel_name = await self.channel_layer.new_channel()
                self.channel_receive = functools.partial(
                    self.channel_layer.receive, self.channel_name
                )
                sources.append(self.channel_receive)
                # Our core layer hands over the channel's queue: one queue to await.
                inbox_for = getattr(self.channel_layer, "inbox", None)
                inbox = inbox_for(self.channel_name) if inbox_for is not None else None
            with contextlib.suppress(StopConsumer):
                if inbox is not None:
                    await dispatch_from_inbox(receive, inbox, self.dispatch)
                else:
                    await dispatch_until_done(sources, self.dispatch)
        finally:
            # Our core layer keeps an inbox per channel until told (apps.core.channel_layers).
            forget_channel = getattr(self.channel_layer, "forget_channel", None)
            if forget_channel is not None and hasattr(self, "channel_name"):
                forget_channel(self.channel_name)
            # A send to a socket that is closing raises (uvicorn: ClientDisconnected, which
            # it swallows silently) and ends the consumer before its websocket.disconnect is
            # handled. Without this, every broadcast racing a close left a dead channel in
            # the group for group_expiry (a day); the burst test caught dozens per burst.
            await self.leave()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' AsyncConsumer.dispatch (4.3.2) without its `aclose_old_connections()`:
        # that is a sync_to_async hop onto the one database thread for every message, so
        # a comment to 1,000 sockets queued 1,000 hops behind each other. Our handlers
        # reach the database only through database_sync_to_async, which closes stale
        # connections itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code: int) -> None:
        await self.leave()

    async def leave(self) -> None:
        """Leave every joined group (safe to call twice); subclasses add their own clean-up."""
        groups, self.groups_joined = self.groups_joined, ()
        for group in groups:
            await self._discard(group)

    async def _discard(self, group: str) -> None:
        # A few quick retries: under a burst of closes Redis occasionally refuses or times out
        # one call, and a channel left behind would stay in the group for a day.
        failure: BaseException | None = None
        for delay in DISCARD_RETRY_DELAYS:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
                return
            except (RedisError, OSError) as error:
                failure = error
                await asyncio.sleep(delay)
        # Redis is down: the entry expires with group_expiry; the other groups still go.
        logger.warning("live.group_discard_failed", group=group, error=repr(failure))

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        try:
            message = json.loads(text_data) if text_data is not None else None
        except (ValueError, RecursionError):  # deeply nested JSON raises RecursionError
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.send_json(
                {
                    "type": "error",
                    "code": "malformed",
                    "message": 'Send JSON text frames such as {"type": "ping"}.',
                }
            )
        elif message.get("type") == "ping":
            await self.send_json({"type": "pong"})
        elif not await self.receive_message(message):
            await self.send_json(
                {"type": "error", "code": "read_only", "message": self.read_only_message}
            )

    async def receive_message(self, message: dict[str, Any]) -> bool:
        """Answer a request other than ping (a replay, never a write); False if unknown."""
        return False

    async def forward(self, event: LiveEvent) -> None:
        """Relay one event: its `data` to a `format=json` client, else its `html`."""
        if self.wants_json:
            await self.send_json(event["data"])
        else:
            await self.send(text_data=event["html"])
        metrics.broadcast_delivered(event["type"], event.get("sent_at"))
