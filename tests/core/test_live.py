import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from redis.exceptions import ConnectionError as RedisConnectionError

from apps.core.live import (
    CLOSE_BAD_TOKEN,
    CLOSE_MALFORMED_QUERY,
    LiveEvent,
    MalformedQueryError,
    Query,
    ReadOnlyLiveConsumer,
    parse_query,
    send_event,
    wants_json,
)

EVENT: LiveEvent = {"type": "thing.happened", "html": "<p>new</p>", "data": {"id": 1}}


@pytest.fixture(autouse=True)
def _in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def _listen(group: str) -> str:
    layer = get_channel_layer()
    channel: str = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return channel


@pytest.mark.parametrize(
    ("query", "expected"),
    [(b"", False), (b"format=html", False), (b"format=json", True), (b"format=json&x=1", True)],
)
def test_wants_json_reads_the_format(query, expected):
    assert wants_json(parse_query(query)) is expected


@pytest.mark.parametrize("query", [b"format=xml", b"format=json&format=html", "é=1".encode()])
def test_parse_query_and_wants_json_refuse_malformed_queries(query):
    with pytest.raises(MalformedQueryError):
        wants_json(parse_query(query))


def test_send_event_reaches_every_group_once():
    first, second = _listen("live.test.a"), _listen("live.test.b")
    send_event(["live.test.a", "live.test.b"], EVENT)
    send_event("live.test.a", EVENT)
    layer = get_channel_layer()
    for channel in (first, second, first):
        received = dict(async_to_sync(layer.receive)(channel))
        # Stamped for inkwell_broadcast_latency_seconds (apps.core.metrics).
        assert abs(time.time() - received.pop("sent_at")) < 60
        assert received == EVENT


def test_send_event_logs_a_dead_layer_and_tries_every_group(monkeypatch, caplog):
    tried: list[str] = []

    async def refuse(self, group, message):
        tried.append(group)
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(InMemoryChannelLayer, "group_send", refuse)
    send_event(["live.test.a", "live.test.b"], EVENT)
    assert tried == ["live.test.a", "live.test.b"]
    assert caplog.text.count("live.broadcast_failed") == 2


class _EchoConsumer(ReadOnlyLiveConsumer):
    async def start(self, query: Query) -> None:
        await self.join("live.test.echo")
        await self.send_json({"type": "ready"})

    thing_happened = ReadOnlyLiveConsumer.forward


async def _open(query: str = "") -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(_EchoConsumer.as_asgi(), f"/ws/echo/{query}")
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


# Channels closes stale database connections before each handler: the test needs db access.
@pytest.mark.django_db
@pytest.mark.asyncio
async def test_read_only_live_consumer_relays_answers_pings_and_leaves_its_group():
    layer = get_channel_layer()
    app, browser = await _open("?format=json"), await _open()
    for socket in (app, browser):
        assert await socket.receive_json_from(timeout=5) == {"type": "ready"}
    assert len(layer.groups["live.test.echo"]) == 2
    await layer.group_send("live.test.echo", EVENT)
    assert await app.receive_json_from(timeout=5) == {"id": 1}
    assert await browser.receive_from(timeout=5) == "<p>new</p>"
    await app.send_json_to({"type": "ping"})
    assert await app.receive_json_from(timeout=5) == {"type": "pong"}
    await app.send_json_to({"type": "write", "body": "hi"})
    assert (await app.receive_json_from(timeout=5))["code"] == "read_only"
    await app.send_to(text_data="[" * 5000 + "]" * 5000)  # RecursionError, not ValueError
    assert (await app.receive_json_from(timeout=5))["code"] == "malformed"
    for socket in (app, browser):
        await socket.disconnect()
    assert not layer.groups.get("live.test.echo")


# Channels closes stale database connections before each handler: the test needs db access.
@pytest.mark.django_db
@pytest.mark.asyncio
async def test_read_only_live_consumer_closes_4400_and_4401_after_accepting():
    malformed = await _open("?format=xml")
    assert (await malformed.receive_output(timeout=5))["code"] == CLOSE_MALFORMED_QUERY

    async def bad_token(scope, receive, send):
        return await _EchoConsumer.as_asgi()({**scope, "auth_error": "expired"}, receive, send)

    refused = WebsocketCommunicator(bad_token, "/ws/echo/")
    connected, _ = await refused.connect(timeout=5)
    assert connected
    assert (await refused.receive_output(timeout=5))["code"] == CLOSE_BAD_TOKEN
