"""Shared comment fixtures (the live, moderation and notification tests import these too).

- `published_post`: a public post with comments open.
- `commenter`: a reader with a verified email (only verified users may comment).
- `other_commenter`: a second verified reader.
- `moderator`: an editor (`can(user, "comment.moderate")`) with a verified email.
- `make_verified(user)`: mark a user's email verified (allauth's EmailAddress).
- `commenter_client` / `moderator_client`: Clients signed in as them.
- `small_pages`: 3 comment threads a page, 2 replies a thread (long-thread tests).
- `_quiet_side_effects` (the page tests), `_fresh_rate_limit` and `notified` (the service
  tests; `notified` records notify_for_comment calls): use them with `usefixtures`.
- `_listen(group)`, `_received(channel)`, `_received_by(*channels)`: hear a channel-layer group.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import grant_role_as_system
from apps.blog.models import Post
from apps.comments import services
from apps.core import ratelimit
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory

# `post` by `post_author` ("writer", "Field notes") and `other_reader` ("another"), for the
# tests of who hears about a comment (test_notices.py).
from tests.notifications.conftest import other_reader, post, post_author  # noqa: F401


def make_verified(user: User) -> User:
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


@pytest.fixture
def published_post(db) -> Post:
    return PostFactory.create(comments_open=True)


@pytest.fixture
def commenter(db) -> User:
    return make_verified(UserFactory.create())


@pytest.fixture
def other_commenter(db) -> User:
    return make_verified(UserFactory.create())


@pytest.fixture
def moderator(db) -> User:
    user = make_verified(UserFactory.create())
    return grant_role_as_system(user=user, role=Role.EDITOR, reason="test")


@pytest.fixture
def commenter_client(commenter: User) -> Client:
    client = Client()
    client.force_login(commenter)
    return client


@pytest.fixture
def moderator_client(moderator: User) -> Client:
    client = Client()
    client.force_login(moderator)
    return client


@pytest.fixture
def small_pages(settings) -> None:
    """Pages of 3 comment threads, each showing 2 replies (the defaults are 20 and 10)."""
    settings.COMMENT_THREADS_PER_PAGE = 3
    settings.COMMENT_REPLIES_PER_THREAD = 2


@pytest.fixture
def no_hold(db) -> None:
    """Publish comments at once (the default holds first-time commenters)."""
    from apps.comments.models import ModerationSettings

    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hold": ModerationSettings.Hold.NONE}
    )


@pytest.fixture
def _quiet_side_effects(monkeypatch, commenter):
    # Notifications have their own tests; here only the comment pages are under test.
    monkeypatch.setattr(services.comments, "notify_for_comment", lambda *, comment_id: None)
    ratelimit.reset(f"comments:user:{commenter.pk}", window=60)


@pytest.fixture
def _fresh_rate_limit(commenter):
    ratelimit.reset(f"comments:user:{commenter.pk}", window=60)


@pytest.fixture
def notified(monkeypatch) -> list[int]:
    """Record notify_for_comment calls (who is notified is tested in test_notices.py)."""
    calls: list[int] = []
    monkeypatch.setattr(
        services.comments, "notify_for_comment", lambda *, comment_id: calls.append(comment_id)
    )
    return calls


def _listen(group: str) -> str:
    layer = get_channel_layer()
    channel: str = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return channel


def _received(channel: str) -> list[dict[str, Any]]:
    return _received_by(channel)[0]


def _received_by(*channels: str) -> list[list[dict[str, Any]]]:
    """Every event waiting on each channel, drained in one event loop.

    (channels-redis binds a channel's receive buffer to the loop that first read it.)
    """
    layer = get_channel_layer()

    async def drain(channel: str) -> list[dict[str, Any]]:
        events = []
        while True:
            try:
                events.append(await asyncio.wait_for(layer.receive(channel), timeout=0.3))
            except TimeoutError:
                return events

    async def drain_all() -> list[list[dict[str, Any]]]:
        return [await drain(channel) for channel in channels]

    return async_to_sync(drain_all)()


def login_with_second_factor(client: Client, user: User) -> Client:
    """Sign `user` in with a session that passed two-factor (as moderators' must)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
