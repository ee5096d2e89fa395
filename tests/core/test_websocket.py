"""The WebSocket edge in front of every live route (apps.core.websocket, project.asgi)."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from project.asgi import application

# The browser of a page served at http://127.0.0.1:8000 (the dev server).
BROWSER = [(b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000")]


async def _close_code(communicator: WebsocketCommunicator) -> int | None:
    output = await communicator.receive_output(timeout=5)
    assert output["type"] == "websocket.close", output
    code: int | None = output.get("code")
    return code


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "path",
    ["/ws/nope/", "/ws/posts/abc/", "/ws/posts/1/extra/", "/ws/notifications", "/", "/ws/%00/"],
)
async def test_unknown_socket_route_is_accepted_then_closed_with_4404(path):
    communicator = WebsocketCommunicator(application, path, headers=BROWSER)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert await _close_code(communicator) == 4404


async def _handshake(
    origin: bytes | list[bytes] | None, host: bytes = b"127.0.0.1:8000", **scope: object
) -> bool:
    """Does a handshake from `origin` get through the origin check (to the 4404 route)?"""
    origins = [] if origin is None else [origin] if isinstance(origin, bytes) else origin
    headers = [(b"host", host), *((b"origin", value) for value in origins)]
    communicator = WebsocketCommunicator(application, "/ws/no-such-route/", headers=headers)
    communicator.scope.update(scope)
    connected, _ = await communicator.connect(timeout=5)
    if connected:
        assert await _close_code(communicator) == 4404
    return bool(connected)


@pytest.mark.asyncio
async def test_origin_check_lets_the_sites_own_pages_in():
    assert await _handshake(b"http://127.0.0.1:8000")
    assert await _handshake(b"http://localhost:8000", host=b"localhost:8000")
    assert await _handshake(b"http://[::1]:8000", host=b"[::1]:8000")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "origin",
    [
        b"https://127.0.0.1:8000",  # another scheme: another origin
        b"http://127.0.0.1:8001",  # another port
        b"http://127.0.0.1",  # port 80
        b"http://localhost:8000",  # another host, though also an allowed one
        b"https://evil.example",
        b"null",  # sandboxed frames and file: pages
        b"not an origin",
        b"http://127.0.0.1:8000/path",
        [b"http://127.0.0.1:8000", b"https://evil.example"],  # two Origin headers
    ],
)
async def test_origin_check_refuses_other_schemes_ports_and_hosts(origin):
    assert not await _handshake(origin)


@pytest.mark.asyncio
async def test_origin_check_refuses_a_host_the_site_does_not_serve():
    # DNS rebinding: the attacker's name points at our server, so Origin and Host agree.
    assert not await _handshake(b"http://evil.example:8000", host=b"evil.example:8000")


@pytest.mark.asyncio
async def test_origin_check_wants_https_pages_on_a_secure_socket(settings):
    settings.ALLOWED_HOSTS = ["blog.example.com"]
    secure = {"scheme": "wss"}
    assert await _handshake(b"https://blog.example.com", host=b"blog.example.com", **secure)
    assert await _handshake(b"https://blog.example.com:443", host=b"blog.example.com", **secure)
    assert not await _handshake(b"http://blog.example.com", host=b"blog.example.com", **secure)
    assert not await _handshake(b"https://blog.example.com", host=b"blog.example.com")


@pytest.mark.asyncio
async def test_origin_check_believes_the_proxy_about_https(settings):
    # nginx terminates TLS and says so in X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER).
    settings.ALLOWED_HOSTS = ["blog.example.com"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    async def behind_nginx(origin: bytes, proto: bytes) -> bool:
        headers = [
            (b"host", b"blog.example.com"),
            (b"x-forwarded-proto", proto),
            (b"origin", origin),
        ]
        communicator = WebsocketCommunicator(application, "/ws/x/", headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        return bool(connected)

    assert await behind_nginx(b"https://blog.example.com", b"https")
    assert not await behind_nginx(b"http://blog.example.com", b"https")
    assert not await behind_nginx(b"https://blog.example.com", b"http")


@pytest.mark.asyncio
async def test_origin_check_accepts_csrf_trusted_origins_exactly(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://www.example.com", "https://*.example.org:8443"]
    assert await _handshake(b"https://www.example.com")
    assert await _handshake(b"https://news.example.org:8443")
    assert await _handshake(b"https://example.org:8443")
    assert not await _handshake(b"http://www.example.com")
    assert not await _handshake(b"https://www.example.com:8443")
    assert not await _handshake(b"https://example.org")
    assert not await _handshake(b"https://evilexample.org:8443")


@pytest.mark.asyncio
async def test_a_native_client_without_origin_is_let_in():
    assert await _handshake(None)


@pytest.mark.asyncio
async def test_guard_drops_what_an_app_sends_after_closing():
    from apps.core.websocket import LiveSocketGuard

    async def answers_after_closing(scope, receive, send):
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 4404})
        await receive()  # a frame that crossed the close
        await send({"type": "websocket.send", "text": "too late"})

    communicator = WebsocketCommunicator(LiveSocketGuard(answers_after_closing), "/ws/x/")
    assert (await communicator.connect(timeout=5))[0]
    assert await _close_code(communicator) == 4404
    await communicator.send_to(text_data='{"type": "ping"}')
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.wait(timeout=5)


@pytest.mark.asyncio
async def test_guard_closes_1011_without_a_line_per_socket_when_the_layer_reader_gave_up(
    caplog,
):
    from apps.core.channel_layers import ReaderEndedError
    from apps.core.websocket import LiveSocketGuard

    async def reader_gave_up(scope, receive, send):
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        raise ReaderEndedError("RuntimeError: bound to a different event loop")

    communicator = WebsocketCommunicator(LiveSocketGuard(reader_gave_up), "/ws/x/")
    assert (await communicator.connect(timeout=5))[0]
    assert await _close_code(communicator) == 1011  # htmx's ws extension retries 1011
    assert "live.redis_unavailable" not in caplog.text  # the reader logged it, once
    await communicator.wait(timeout=5)
