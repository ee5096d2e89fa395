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
