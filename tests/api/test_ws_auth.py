from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.testing import WebsocketCommunicator

from apps.api.ws_auth import JWTAuthMiddleware
from tests.api.conftest import pair_for
from tests.factories.accounts import UserFactory

# serialized_rollback: a plain flush would drop the rows data migrations made (roles,
# switches, content types), breaking the transactional tests that run after this one.
pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SESSION_USER = object()


class WhoAmI(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # channels is untyped
    async def connect(self) -> None:
        await self.accept()
        user = self.scope.get("user")
        await self.send_json(
            {
                "user": getattr(user, "pk", None) if user is not SESSION_USER else "session",
                "authenticated": bool(getattr(user, "is_authenticated", False)),
                "auth_error": self.scope.get("auth_error"),
            }
        )


async def _connect(path="/ws/", headers=None):
    app = JWTAuthMiddleware(WhoAmI.as_asgi())
    communicator = WebsocketCommunicator(app, path, headers=headers or [])
    communicator.scope["user"] = SESSION_USER  # what the session stack put there
    connected, _ = await communicator.connect()
    assert connected
    message = await communicator.receive_json_from()
    await communicator.disconnect()
    return message


async def _user_and_token():
    user = await database_sync_to_async(UserFactory.create)()
    pair = await database_sync_to_async(pair_for)(user)
    return user, pair.access


async def test_bearer_header_sets_the_user():
    user, token = await _user_and_token()

    message = await _connect(headers=[(b"authorization", f"Bearer {token}".encode())])

    assert message == {"user": user.pk, "authenticated": True, "auth_error": None}


async def test_query_string_token_sets_the_user():
    user, token = await _user_and_token()

    message = await _connect(path=f"/ws/posts/1/?format=json&access_token={token}")

    assert message["user"] == user.pk


async def test_bad_token_is_anonymous_with_auth_error():
    message = await _connect(path="/ws/?access_token=garbage")

    assert message == {"user": None, "authenticated": False, "auth_error": "invalid_token"}


async def test_revoked_user_token_is_refused():
    user, token = await _user_and_token()
    user.is_active = False
    await database_sync_to_async(user.save)()

    message = await _connect(headers=[(b"authorization", f"Bearer {token}".encode())])

    assert message["auth_error"] == "invalid_token"


async def test_no_token_leaves_the_session_user():
    message = await _connect(path="/ws/?format=json")

    assert message["user"] == "session"
    assert message["auth_error"] is None
