import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from apps.blog.models import Post
from project.asgi import application
from tests.factories.blog import PostFactory

# serialized_rollback: the flush after a transactional test would drop the roles
# and switches that data migrations created, breaking the tests that follow.
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.asyncio,
]

ORIGIN = [(b"origin", b"http://127.0.0.1:8000")]


async def _connect(path: str) -> tuple[WebsocketCommunicator, bool, int | str | None]:
    communicator = WebsocketCommunicator(application, path, headers=ORIGIN)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def test_post_socket_accepts_a_published_post_and_says_it_is_live():
    post = await sync_to_async(PostFactory.create)()
    communicator, connected, _ = await _connect(f"/ws/posts/{post.pk}/")
    assert connected
    html = await communicator.receive_from(timeout=5)
    assert 'id="live-status"' in html
    assert 'data-live="connected"' in html
    await communicator.disconnect()


async def test_post_socket_speaks_json_to_the_mobile_app():
    post = await sync_to_async(PostFactory.create)()
    communicator, connected, _ = await _connect(f"/ws/posts/{post.pk}/?format=json")
    assert connected
    assert await communicator.receive_json_from(timeout=5) == {
        "type": "live.connected",
        "post": post.pk,
    }
    await communicator.disconnect()


async def test_post_socket_refuses_drafts_and_unknown_posts():
    draft = await sync_to_async(PostFactory.create)(status=Post.Status.DRAFT, published_at=None)
    for path in [f"/ws/posts/{draft.pk}/", "/ws/posts/999999/"]:
        _, connected, code = await _connect(path)
        assert not connected
        assert code == 4404


async def test_post_socket_refuses_foreign_origins():
    post = await sync_to_async(PostFactory.create)(published_at=timezone.now())
    communicator = WebsocketCommunicator(
        application, f"/ws/posts/{post.pk}/", headers=[(b"origin", b"https://evil.example")]
    )
    connected, _ = await communicator.connect(timeout=5)
    assert not connected


async def test_post_socket_answers_malformed_messages_with_an_error():
    post = await sync_to_async(PostFactory.create)()
    communicator, connected, _ = await _connect(f"/ws/posts/{post.pk}/?format=json")
    assert connected
    await communicator.receive_json_from(timeout=5)
    for frame in ["not json at all", '{"type": "comment.create"}']:
        await communicator.send_to(text_data=frame)
        reply = await communicator.receive_json_from(timeout=5)
        assert reply["type"] == "error"
        assert reply["code"] == "read_only"
    await communicator.send_to(bytes_data=b"\x00\xff")
    assert (await communicator.receive_json_from(timeout=5))["code"] == "read_only"
    await communicator.disconnect()
