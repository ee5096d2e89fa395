"""The post's live route on the in-memory channel layer (the embedded default)."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from apps.blog.models import Post
from apps.comments import presence
from apps.comments.models import Comment
from project.asgi import application
from tests.comments import live
from tests.factories.blog import PostFactory

# serialized_rollback: the flush after a transactional test would drop the roles
# and switches that data migrations created, breaking the tests that follow.
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.asyncio,
]


@pytest.fixture(autouse=True)
def _in_memory_layer(settings, monkeypatch):
    # The PostgreSQL run sets REDIS_URL; this module is about the embedded default.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.COMMENT_RATE_LIMIT = 1000
    monkeypatch.setattr(presence, "DEBOUNCE_SECONDS", 0.05)


@pytest_asyncio.fixture(autouse=True)
async def _close_presence_connections():
    yield
    await presence.close_connections()


async def test_post_socket_says_it_is_live_in_html_and_json(published_post):
    browser = await live.open_socket(f"/ws/posts/{published_post.pk}/")
    html = await live.next_frame(browser)
    assert 'id="live-status"' in html
    assert 'data-live="connected"' in html
    app = await live.open_socket(f"/ws/posts/{published_post.pk}/?format=json")
    assert await live.next_event(app) == {
        "type": "live.connected",
        "post": published_post.pk,
        "seq": 0,
    }
    await browser.disconnect()
    await app.disconnect()


async def test_post_socket_closes_4404_for_drafts_and_unknown_posts():
    draft = await sync_to_async(PostFactory.create)(status=Post.Status.DRAFT, published_at=None)
    for path in [f"/ws/posts/{draft.pk}/", "/ws/posts/999999/"]:
        communicator = await live.open_socket(path)
        assert await live.close_code(communicator) == 4404


async def test_post_socket_closes_4400_for_a_malformed_query(published_post):
    for query in [
        "format=xml",
        "after=abc",
        "after=-1",
        "after=1&after=2",
        "after=%C2%B2",  # "²": a digit to str.isdigit, not to int()
        "after=" + "9" * 5000,  # past int()'s 4,300-digit limit
    ]:
        communicator = await live.open_socket(f"/ws/posts/{published_post.pk}/?{query}")
        assert await live.close_code(communicator) == 4400, query


async def test_post_socket_closes_4401_for_a_bad_token(published_post):
    async def bad_token(scope: dict[str, Any], receive: Any, send: Any) -> None:
        # What apps.api.ws_auth.JWTAuthMiddleware sets for an invalid or expired token.
        await application({**scope, "auth_error": "invalid_token"}, receive, send)

    communicator = await live.open_socket(f"/ws/posts/{published_post.pk}/", app=bad_token)
    assert await live.close_code(communicator) == 4401


async def test_post_socket_refuses_foreign_origins(published_post):
    communicator = WebsocketCommunicator(
        application,
        f"/ws/posts/{published_post.pk}/",
        headers=[(b"origin", b"https://evil.example")],
    )
    connected, _ = await communicator.connect(timeout=5)
    assert not connected


async def test_public_comment_reaches_browsers_and_the_app(published_post, commenter, no_hold):
    await live.flow_public_comment_reaches_html_and_json(published_post, commenter)


async def test_held_comment_reaches_its_author_and_moderators_only_until_approved(
    published_post, commenter, moderator, other_commenter
):
    await live.flow_held_comment_reaches_only_author_and_moderators(
        published_post, commenter, moderator, other_commenter
    )


async def test_edit_and_delete_reach_readers(published_post, commenter, no_hold):
    await live.flow_edit_and_delete_reach_readers(published_post, commenter)


async def test_reconnect_with_after_replays_what_was_missed(
    published_post, commenter, other_commenter, no_hold
):
    await live.flow_replay_after_reconnect(published_post, commenter, other_commenter)


async def test_ping_gets_pong_and_anything_else_a_clear_error(published_post):
    communicator = await live.open_socket(f"/ws/posts/{published_post.pk}/?format=json")
    await live.next_event(communicator)
    await communicator.send_json_to({"type": "ping"})
    assert await live.next_event(communicator) == {"type": "pong"}
    for frame, code in [
        ("not json at all", "malformed"),
        ("[1, 2]", "malformed"),
        ('{"type": "comment.create", "body": "hi"}', "read_only"),
    ]:
        await communicator.send_to(text_data=frame)
        reply = await live.next_event(communicator)
        assert (reply["type"], reply["code"]) == ("error", code), frame
        assert reply["message"]
    await communicator.send_to(bytes_data=b"\x00\xff")
    assert (await live.next_event(communicator))["code"] == "malformed"
    # Still open after all that.
    await communicator.send_json_to({"type": "ping"})
    assert await live.next_event(communicator) == {"type": "pong"}
    await communicator.disconnect()


async def test_presence_counts_open_sockets(published_post):
    await live.flow_presence_counts_open_sockets(published_post)


async def test_presence_is_debounced_for_a_burst_of_connects(published_post, monkeypatch):
    monkeypatch.setattr(presence, "DEBOUNCE_SECONDS", 0.3)
    watcher = await live.open_socket(f"/ws/posts/{published_post.pk}/?format=json")
    await live.readers_seen(watcher, 1)
    burst = [await live.open_socket(f"/ws/posts/{published_post.pk}/") for _ in range(30)]
    await live.readers_seen(watcher, 31)
    counts = []
    while not await watcher.receive_nothing(timeout=0.6):
        counts.append(await live.next_event(watcher, presence=True))
    # One broadcast per debounce window, not one per connect.
    assert len(counts) <= 2
    for socket in burst:
        await socket.disconnect()
    await live.readers_seen(watcher, 1)
    await watcher.disconnect()


async def test_presence_forgets_sockets_that_miss_their_heartbeat(published_post, monkeypatch):
    store = presence.store()
    # A socket of a process that crashed: it never said goodbye and never beats again.
    await store.touch(published_post.pk, "crashed-process!channel", 0.0)
    communicator = await live.open_socket(f"/ws/posts/{published_post.pk}/?format=json")
    await live.readers_seen(communicator, 1)
    await communicator.disconnect()


async def test_a_broken_layer_loses_no_comment_and_replay_catches_up(
    published_post, commenter, no_hold, monkeypatch
):
    reader = await live.open_socket(f"/ws/posts/{published_post.pk}/?format=json")
    await live.next_event(reader)
    first = await live.create_comment(commenter, published_post, body="Before the outage")
    assert (await live.next_event(reader))["comment"]["id"] == first.pk

    layer = get_channel_layer()

    async def unreachable(group: str, message: dict[str, Any]) -> None:
        raise ConnectionRefusedError("the channel layer is down")

    monkeypatch.setattr(layer, "group_send", unreachable)
    during = await live.create_comment(commenter, published_post, body="During the outage")
    assert await sync_to_async(Comment.objects.filter(pk=during.pk).exists)()
    assert await live.frames_within(reader, 0.3) == []
    await reader.disconnect()
    monkeypatch.undo()

    # The page reconnects with the largest id it has; the comment it missed comes first.
    again = await live.open_socket(f"/ws/posts/{published_post.pk}/?format=json&after={first.pk}")
    await live.next_event(again)
    event = await live.next_event(again)
    assert (event["type"], event["comment"]["id"]) == ("comment.created", during.pk)
    await again.disconnect()


async def test_a_native_app_without_origin_signs_in_with_its_token(published_post, commenter):
    # The mobile app sends no Origin; its bearer token, not a cookie, says who it is.
    from apps.accounts.tokens import issue_token_pair

    pair = await sync_to_async(issue_token_pair)(user=commenter)
    communicator = WebsocketCommunicator(
        application,
        f"/ws/posts/{published_post.pk}/?format=json",
        headers=[(b"authorization", f"Bearer {pair.access}".encode())],
    )
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    await live.next_event(communicator)
    comment = await live.create_comment(commenter, published_post, body="Held, seen natively")
    event = await live.next_event(communicator)
    assert (event["type"], event["comment"]["id"]) == ("comment.held", comment.pk)
    await communicator.disconnect()


async def test_a_handshake_without_origin_never_rides_a_session_cookie(published_post, commenter):
    # No browser makes such a handshake, so a cookie on it is not trusted: it is anonymous
    # and does not receive the commenter's held comment.
    cookie = await sync_to_async(live.session_cookie)(commenter)
    communicator = WebsocketCommunicator(
        application, f"/ws/posts/{published_post.pk}/?format=json", headers=[(b"cookie", cookie)]
    )
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    await live.next_event(communicator)
    await live.create_comment(commenter, published_post, body="Held, not for cookies")
    received = []
    while not await communicator.receive_nothing(timeout=1):
        received.append((await communicator.receive_json_from())["type"])
    assert "comment.held" not in received
    await communicator.disconnect()


async def test_the_app_with_a_bad_token_gets_4401(published_post):
    communicator = await live.open_socket(
        f"/ws/posts/{published_post.pk}/?format=json&access_token=not-a-token"
    )
    assert await live.close_code(communicator) == 4401


async def test_the_app_signs_in_with_its_token_and_sees_its_held_comment(published_post, commenter):
    from apps.accounts.tokens import issue_token_pair

    pair = await sync_to_async(issue_token_pair)(user=commenter)
    communicator = WebsocketCommunicator(
        application,
        f"/ws/posts/{published_post.pk}/?format=json",
        headers=[*live.BROWSER, (b"authorization", f"Bearer {pair.access}".encode())],
    )
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    await live.next_event(communicator)
    comment = await live.create_comment(commenter, published_post, body="Held for the app")
    event = await live.next_event(communicator)
    assert (event["type"], event["comment"]["id"]) == ("comment.held", comment.pk)
    await communicator.disconnect()


async def test_post_socket_leaves_its_groups_when_the_client_vanishes(
    published_post, commenter, no_hold
):
    await live.flow_post_socket_of_a_vanished_client_leaves(published_post, commenter)
