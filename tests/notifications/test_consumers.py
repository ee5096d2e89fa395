import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client

from apps.notifications import broadcasts, services
from apps.notifications.models import Kind, Notification
from apps.notifications.routing import websocket_urlpatterns
from project.asgi import application
from tests.comments import live
from tests.factories.accounts import UserFactory

# serialized_rollback: the flush after a transactional test would drop the roles
# and switches that data migrations created, breaking the tests that follow.
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.asyncio,
]

BROWSER = [(b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000")]
PATH = "/ws/notifications/"


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    """This file tests the consumer alone: one process, the in-memory layer (even on a
    run where REDIS_URL is set; test_consumers_redis.py covers Redis)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def _session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode()


async def _signed_in(user, query: str = "") -> WebsocketCommunicator:
    cookie = await sync_to_async(_session_cookie)(user)
    communicator = WebsocketCommunicator(
        application, f"{PATH}{query}", headers=[*BROWSER, (b"cookie", cookie)]
    )
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def _notify(user, text="Alice replied to your comment"):
    [notification] = await sync_to_async(services.notify)(
        recipient_ids=[user.pk],
        kind=Kind.COMMENT_REPLY,
        actor_id=None,
        text=text,
        url="/p/#comment-1",
    )
    return notification


async def _closed_with(communicator) -> int:
    message = await communicator.receive_output(timeout=5)
    assert message["type"] == "websocket.close"
    return int(message["code"])


async def test_notifications_socket_refuses_visitors_with_4401():
    communicator = WebsocketCommunicator(application, PATH, headers=BROWSER)
    connected, _ = await communicator.connect(timeout=5)
    # Accepted then closed, so a browser sees 4401 (not 1006) and does not retry.
    assert connected
    assert await _closed_with(communicator) == 4401


async def test_notifications_socket_refuses_a_bad_token_with_4401():
    user = await sync_to_async(UserFactory.create)()

    async def app(scope, receive, send):
        scope = {**scope, "user": user, "auth_error": "invalid_token"}
        return await URLRouter(websocket_urlpatterns)(scope, receive, send)

    communicator = WebsocketCommunicator(app, PATH)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert await _closed_with(communicator) == 4401


async def test_notifications_socket_refuses_a_malformed_query_with_4400():
    user = await sync_to_async(UserFactory.create)()
    communicator = await _signed_in(user, "?format=xml")
    assert await _closed_with(communicator) == 4400


async def test_notifications_socket_sends_the_unread_count_on_connect():
    user = await sync_to_async(UserFactory.create)()
    await _notify(user)
    await _notify(user)
    communicator = await _signed_in(user)
    html = await communicator.receive_from(timeout=5)
    assert 'id="notification-count" hx-swap-oob="true" data-unread="2"' in html
    await communicator.disconnect()

    communicator = await _signed_in(user, "?format=json")
    assert await communicator.receive_json_from(timeout=5) == {
        "type": "notification.unread",
        "unread": 2,
    }
    await communicator.disconnect()


async def test_notifications_socket_pushes_a_new_notification_as_html():
    user = await sync_to_async(UserFactory.create)()
    communicator = await _signed_in(user)
    await communicator.receive_from(timeout=5)  # the count
    notification = await _notify(user, text="Bob mentioned you in “Notes”")
    html = await communicator.receive_from(timeout=5)
    assert 'data-unread="1"' in html
    assert f'id="notification-menu-item-{notification.pk}"' in html
    assert 'hx-swap-oob="afterbegin:#notification-menu-list"' in html
    assert 'id="notification-announcer" hx-swap-oob="innerHTML"' in html
    assert "Bob mentioned you in “Notes”" in html
    await communicator.disconnect()


async def test_notifications_socket_pushes_a_new_notification_as_json():
    user = await sync_to_async(UserFactory.create)()
    other = await sync_to_async(UserFactory.create)()
    communicator = await _signed_in(user, "?format=json")
    await communicator.receive_json_from(timeout=5)
    await _notify(other)  # someone else's: never reaches this socket
    notification = await _notify(user)
    event = await communicator.receive_json_from(timeout=5)
    assert event["type"] == "notification.created"
    assert event["unread"] == 1
    assert event["notification"]["id"] == notification.pk
    assert event["notification"]["kind"] == "comment_reply"
    assert event["notification"]["url"] == "/p/#comment-1"
    assert event["notification"]["read"] is False
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_notifications_socket_hears_marking_read_from_another_tab():
    user = await sync_to_async(UserFactory.create)()
    await _notify(user)
    communicator = await _signed_in(user, "?format=json")
    assert (await communicator.receive_json_from(timeout=5))["unread"] == 1
    await sync_to_async(services.mark_read)(actor=user, all=True)
    assert await communicator.receive_json_from(timeout=5) == {
        "type": "notification.unread",
        "unread": 0,
    }
    await communicator.disconnect()


async def test_notifications_socket_answers_ping_and_survives_malformed_input():
    user = await sync_to_async(UserFactory.create)()
    communicator = await _signed_in(user, "?format=json")
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    for frame in ["not json", "[1, 2]", '"ping"']:
        await communicator.send_to(text_data=frame)
        reply = await communicator.receive_json_from(timeout=5)
        assert reply["type"] == "error"
        assert reply["code"] == "malformed"
    await communicator.send_to(bytes_data=b"\x00\xff")
    assert (await communicator.receive_json_from(timeout=5))["code"] == "malformed"
    await communicator.send_json_to({"type": "mark_read", "id": 1})
    assert (await communicator.receive_json_from(timeout=5))["code"] == "read_only"
    # Still open and still listening.
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    await communicator.disconnect()
    assert await sync_to_async(Notification.objects.count)() == 0


async def test_notifications_socket_leaves_its_group_when_the_client_vanishes():
    user = await sync_to_async(UserFactory.create)()
    await live.flow_vanished_client_leaves_its_group(
        f"{PATH}?format=json",
        broadcasts.notifications_group(user.pk),
        lambda: _notify(user),
        user=user,
    )
