"""The post's live route on the real Redis channel layer (production's): the same flows."""

from __future__ import annotations

import pytest
import pytest_asyncio
import redis
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.conf import settings

from apps.comments import broadcasts, presence
from tests.comments import live

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.asyncio,
]


@pytest.fixture(autouse=True)
def _fast_presence(settings, monkeypatch):
    settings.COMMENT_RATE_LIMIT = 1000
    monkeypatch.setattr(presence, "DEBOUNCE_SECONDS", 0.05)


@pytest_asyncio.fixture(autouse=True)
async def _close_presence_connections():
    yield
    await presence.close_connections()


def group_size(group: str) -> int:
    """Members of a group as channels-redis stores them (a sorted set per group)."""
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    with redis.Redis.from_url(settings.REDIS_URL) as client:
        return int(client.zcard(layer._group_key(group)))


async def test_the_layer_is_redis():
    assert isinstance(get_channel_layer(), RedisChannelLayer)
    assert isinstance(presence.store(), presence.RedisStore)


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


async def test_presence_counts_open_sockets(published_post):
    await live.flow_presence_counts_open_sockets(published_post)


async def test_sockets_join_and_leave_their_groups_in_redis(published_post, commenter, moderator):
    post_id = published_post.pk
    sockets = [
        await live.open_socket(f"/ws/posts/{post_id}/"),
        await live.open_socket(f"/ws/posts/{post_id}/", user=commenter),
        await live.open_socket(f"/ws/posts/{post_id}/", user=moderator),
    ]
    # One group for every reader: held comments reach moderators and their author through
    # it too (the consumer sends the others only the event's number). A socket joins just
    # after it is accepted, so the last join may still be on its way.
    group = broadcasts.post_group(post_id)
    await live.eventually(lambda: sync_to_async(group_size)(group), 3)
    await live.eventually(lambda: presence.count(post_id), 3)
    for socket in sockets:
        await socket.disconnect()
    assert await sync_to_async(group_size)(broadcasts.post_group(post_id)) == 0
    await live.eventually(lambda: presence.count(post_id), 0)


async def test_presence_forgets_entries_of_a_crashed_process(published_post):
    store = presence.store()
    await store.touch(published_post.pk, "crashed-process!channel", 0.0)
    await store.touch(published_post.pk, "live-process!channel", 10**10)
    assert await presence.count(published_post.pk) == 1


async def test_redis_layer_drops_the_channel_of_a_vanished_client(
    published_post, commenter, no_hold
):
    await live.flow_post_socket_of_a_vanished_client_leaves(published_post, commenter)
