"""The post's numbered live stream over the socket: ?since= replay, gaps, repeats, reloads."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from apps.comments import broadcasts, presence, services
from apps.comments.models import StreamEvent
from apps.comments.services import stream
from tests.comments import live
from tests.factories.comments import CommentFactory

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.asyncio,
]


@pytest.fixture(autouse=True)
def _in_memory_layer(settings, monkeypatch):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.COMMENT_RATE_LIMIT = 1000
    monkeypatch.setattr(presence, "DEBOUNCE_SECONDS", 0.05)


@pytest_asyncio.fixture(autouse=True)
async def _close_presence_connections():
    yield
    await presence.close_connections()


def _kinds(events: list[dict[str, Any]]) -> list[tuple[int, str, int | None]]:
    return [(e["seq"], e["type"], e.get("comment", {}).get("id")) for e in events]


async def _all_events(socket: Any, seconds: float = 0.5) -> list[dict[str, Any]]:
    return [json.loads(frame) for frame in await live.frames_within(socket, seconds)]


def _break_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    layer = get_channel_layer()

    async def unreachable(group: str, message: dict[str, Any]) -> None:
        raise ConnectionRefusedError("the channel layer is down")

    monkeypatch.setattr(layer, "group_send", unreachable)


async def test_since_replays_every_missed_event_in_order_edits_and_removals_too(
    published_post, commenter, no_hold
):
    seen = await live.create_comment(commenter, published_post, body="Seen")  # 1
    missed = await live.create_comment(commenter, published_post, body="Missed")  # 2
    await sync_to_async(services.edit_comment)(actor=commenter, comment=seen, body="Edited")  # 3
    await sync_to_async(services.delete_comment)(
        actor=commenter, comment=missed, second_factor=False
    )  # 4

    app = await live.open_socket(f"/ws/posts/{published_post.pk}/?format=json&since=1")
    assert await live.next_event(app) == {
        "type": "live.connected",
        "post": published_post.pk,
        "seq": 4,
    }
    events = await _all_events(app)
    assert _kinds(events) == [
        (2, "comment.created", missed.pk),
        (3, "comment.updated", seen.pk),
        (4, "comment.deleted", missed.pk),
    ]
    # Rendered as the comments are now: the deleted one shows nothing of what it said.
    assert events[0]["comment"]["deleted"] is True
    assert "Missed" not in json.dumps(events)
    assert "Edited" in events[1]["comment"]["body_html"]

    # The browser gets the same events as htmx fragments, each with its number first.
    browser = await live.open_socket(f"/ws/posts/{published_post.pk}/?since=2")
    await live.next_frame(browser)  # the "Live" badge
    frames = await live.frames_within(browser, 0.5)
    assert [re.findall(r'data-live-seq="(\d+)"', f) for f in frames] == [["3"], ["4"]]
    assert f'<article id="comment-{seen.pk}"' in frames[0]
    assert "Comment removed" in frames[1]
    await app.disconnect()
    await browser.disconnect()


async def test_a_failed_broadcast_is_replayed_on_reconnect(
    published_post, commenter, no_hold, monkeypatch
):
    reader = await live.open_socket(f"/ws/posts/{published_post.pk}/?format=json&since=0")
    await live.next_event(reader)
    first = await live.create_comment(commenter, published_post, body="Before the outage")
    assert _kinds([await live.next_event(reader)]) == [(1, "comment.created", first.pk)]

    _break_layer(monkeypatch)
    during = await live.create_comment(commenter, published_post, body="During the outage")
    assert await live.frames_within(reader, 0.3) == []
    await reader.disconnect()
    monkeypatch.undo()
    after = await live.create_comment(commenter, published_post, body="After the outage")

    # The page reconnects with the last number it saw; what it missed comes first, once.
    again = await live.open_socket(f"/ws/posts/{published_post.pk}/?format=json&since=1")
    await live.next_event(again)
    assert _kinds(await _all_events(again)) == [
        (2, "comment.created", during.pk),
        (3, "comment.created", after.pk),
    ]
    await again.disconnect()


async def test_an_open_socket_repairs_a_gap_from_the_database_without_repeats(
    published_post, commenter, no_hold, monkeypatch
):
    # The case: a broadcast fails, the next one gets through. The socket stayed
    # open, so no reconnect would have caught the first one up.
    reader = await live.open_socket(f"/ws/posts/{published_post.pk}/?format=json&since=0")
    await live.next_event(reader)
    _break_layer(monkeypatch)
    lost = await live.create_comment(commenter, published_post, body="Lost broadcast")
    monkeypatch.undo()
    arrived = await live.create_comment(commenter, published_post, body="Got through")
    assert _kinds(await _all_events(reader)) == [
        (1, "comment.created", lost.pk),
        (2, "comment.created", arrived.pk),
    ]

    # A late or repeated broadcast of a number the socket has is dropped.
    event_ids = await sync_to_async(
        lambda: list(StreamEvent.objects.order_by("seq").values_list("pk", flat=True))
    )()
    for event_id in event_ids:
        await sync_to_async(broadcasts.stream_event)(event_id)
    assert await live.frames_within(reader, 0.3) == []
    await reader.disconnect()


async def test_held_comments_replay_to_their_author_and_as_a_number_to_others(
    published_post, commenter, other_commenter
):
    held = await live.create_comment(commenter, published_post, body="First time here")
    assert held.status == held.Status.HELD
    path = f"/ws/posts/{published_post.pk}/?format=json&since=0"

    author = await live.open_socket(path, user=commenter)
    await live.next_event(author)
    assert _kinds(await _all_events(author)) == [(1, "comment.held", held.pk)]
    other = await live.open_socket(path, user=other_commenter)
    await live.next_event(other)
    assert await _all_events(other) == [{"type": "live.skip", "seq": 1}]
    await author.disconnect()
    await other.disconnect()


async def test_a_pruned_or_unknown_number_gets_a_reload_then_the_live_stream(
    published_post, commenter, no_hold, settings
):
    for n in range(3):
        await live.create_comment(commenter, published_post, body=f"Old {n}")
    old = timezone.now() - timedelta(days=settings.LIVE_EVENT_RETENTION_DAYS + 1)
    await sync_to_async(lambda: StreamEvent.objects.filter(seq__lte=2).update(created_at=old))()
    assert await sync_to_async(stream.prune_events)(post_id=published_post.pk) == 2

    for since in (0, 1, 99):  # pruned, pruned, never existed (a restored database)
        app = await live.open_socket(f"/ws/posts/{published_post.pk}/?format=json&since={since}")
        await live.next_event(app)
        assert await live.next_event(app) == {"type": "live.reload", "seq": 3}, since
        await app.disconnect()

    browser = await live.open_socket(f"/ws/posts/{published_post.pk}/?since=1")
    await live.next_frame(browser)
    frame = await live.next_frame(browser)
    assert 'data-live-seq="3" data-live-reset' in frame
    assert 'data-live="stale"' in frame
    assert "reload the page" in frame
    # Live events go on after the reload notice.
    fresh = await live.create_comment(commenter, published_post, body="Fresh")
    assert f'id="comment-{fresh.pk}"' in await live.next_frame(browser)
    await browser.disconnect()

    # Still there: one event after a number is replayed as usual.
    app = await live.open_socket(f"/ws/posts/{published_post.pk}/?format=json&since=2")
    await live.next_event(app)
    assert [e["seq"] for e in await _all_events(app)] == [3, 4]
    await app.disconnect()


async def test_a_catch_up_longer_than_a_replay_gets_a_reload(
    published_post, commenter, no_hold, monkeypatch
):
    monkeypatch.setattr("apps.comments.selectors.MAX_REPLAY", 2)
    for n in range(3):
        await live.create_comment(commenter, published_post, body=f"Many {n}")
    app = await live.open_socket(f"/ws/posts/{published_post.pk}/?format=json&since=0")
    await live.next_event(app)
    assert await _all_events(app) == [{"type": "live.reload", "seq": 3}]
    await app.disconnect()


async def test_a_client_that_saw_a_gap_asks_for_a_replay(published_post, commenter, no_hold):
    comments = [await live.create_comment(commenter, published_post, body=f"C{n}") for n in (1, 2)]
    app = await live.open_socket(f"/ws/posts/{published_post.pk}/?format=json")
    await live.next_event(app)
    await app.send_json_to({"type": "replay", "since": 0})
    assert _kinds(await _all_events(app)) == [
        (1, "comment.created", comments[0].pk),
        (2, "comment.created", comments[1].pk),
    ]
    for bad in (-1, "1", None, True):
        await app.send_json_to({"type": "replay", "since": bad})
        assert (await live.next_event(app))["code"] == "malformed"
    await app.disconnect()


async def test_since_must_be_a_number(published_post):
    for query in ["since=abc", "since=-1", "since=1&since=2", "since=%C2%B2", "since=" + "9" * 40]:
        socket = await live.open_socket(f"/ws/posts/{published_post.pk}/?{query}")
        assert await live.close_code(socket) == 4400, query


async def test_since_wins_over_the_deprecated_after(published_post, commenter, no_hold):
    first = await live.create_comment(commenter, published_post, body="One")
    await sync_to_async(services.edit_comment)(actor=commenter, comment=first, body="Two")
    app = await live.open_socket(
        f"/ws/posts/{published_post.pk}/?format=json&since=1&after={first.pk}"
    )
    await live.next_event(app)
    assert _kinds(await _all_events(app)) == [(2, "comment.updated", first.pk)]
    await app.disconnect()


async def test_a_replay_the_database_cannot_answer_closes_with_1013_and_one_line(
    published_post, monkeypatch, caplog
):
    from django.db import OperationalError

    def database_gone(**kwargs: Any) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    # Fault injection at the selector, as the layer tests break group_send.
    monkeypatch.setattr("apps.comments.selectors.stream_events_after", database_gone)
    await sync_to_async(stream.record_event)(
        comment=await sync_to_async(CommentFactory.create)(post=published_post),
        kind=StreamEvent.Kind.UPDATED,
    )
    app = await live.open_socket(f"/ws/posts/{published_post.pk}/?format=json&since=0")
    await live.next_event(app)
    assert await live.close_code(app) == 1013
    lines = [r for r in caplog.records if "live.replay_failed" in r.getMessage()]
    assert len(lines) == 1
    assert "Traceback" not in caplog.text
