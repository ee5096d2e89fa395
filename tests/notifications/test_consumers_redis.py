"""The notification route on the real Redis channel layer (the production configuration)."""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client

from apps.notifications import broadcasts, services
from apps.notifications.models import Kind, Notification
from project.asgi import application
from tests.comments import live
from tests.factories.accounts import UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.asyncio,
]

BROWSER = [(b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000")]


def _session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def _connect(user) -> WebsocketCommunicator:
    cookie = await sync_to_async(_session_cookie)(user)
    communicator = WebsocketCommunicator(
        application, "/ws/notifications/?format=json", headers=[*BROWSER, (b"cookie", cookie)]
    )
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["type"] == "notification.unread"
    return communicator


async def test_redis_layer_delivers_to_every_tab_of_the_recipient_only():
    assert "redis" in str(django_settings.CHANNEL_LAYERS["default"]["BACKEND"]).lower()
    user, other = await sync_to_async(lambda: UserFactory.create_batch(2))()
    tabs = [await _connect(user), await _connect(user)]
    stranger = await _connect(other)
    [notification] = await sync_to_async(services.notify)(
        recipient_ids=[user.pk], kind=Kind.MENTION, actor_id=other.pk, text="Hi", url="/"
    )
    for tab in tabs:
        event = await tab.receive_json_from(timeout=5)
        assert event["notification"]["id"] == notification.pk
        assert event["notification"]["actor"]["username"] == other.username
    assert await stranger.receive_nothing(timeout=0.5)
    for communicator in [*tabs, stranger]:
        await communicator.disconnect()


async def test_a_dead_redis_never_loses_the_notification(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": "redis://127.0.0.1:1/0", "socket_timeout": 1}]},
        }
    }
    channel_layers.backends.clear()
    try:
        user = await sync_to_async(UserFactory.create)()
        [notification] = await sync_to_async(services.notify)(
            recipient_ids=[user.pk], kind=Kind.MENTION, actor_id=None, text="Hi", url="/"
        )
        assert await sync_to_async(Notification.objects.filter(pk=notification.pk).exists)()
    finally:
        channel_layers.backends.clear()


async def test_redis_layer_drops_the_channel_of_a_vanished_client():
    user = await sync_to_async(UserFactory.create)()
    await live.flow_vanished_client_leaves_its_group(
        "/ws/notifications/?format=json",
        broadcasts.notifications_group(user.pk),
        lambda: sync_to_async(services.notify)(
            recipient_ids=[user.pk], kind=Kind.MENTION, actor_id=None, text="Hi", url="/"
        ),
        user=user,
    )
