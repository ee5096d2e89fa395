from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from apps.accounts.roles import Role
from apps.comments import presence
from apps.comments.models import Comment, ModerationSettings
from project.asgi import application
from tests.accounts.conftest import make_user_with_role
from tests.api.conftest import access_for, call
from tests.comments import live
from tests.comments.conftest import make_verified
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory
from tests.utils import count_queries


@pytest.fixture
def post(db):
    return PostFactory.create(slug="hello", comments_open=True)


@pytest.fixture
def commenter(db):
    return make_verified(UserFactory.create())


@pytest.fixture
def moderator(db):
    return make_verified(make_user_with_role(Role.EDITOR))


def _no_hold():
    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hold": ModerationSettings.Hold.NONE}
    )


def _url(post, query=""):
    return f"/api/v2/posts/{post.slug}/comments{query}"


@pytest.mark.django_db
def test_list_comments_embeds_authors_and_nests_replies(api, post):
    writer, replier = UserFactory.create(), UserFactory.create()
    top = CommentFactory.create(post=post, author=writer)
    reply = CommentFactory.create(parent=top, author=replier)

    data = call(api, "get", _url(post)).json()

    assert data["next_cursor"] is None
    assert data["next"] is None
    [item] = data["items"]
    assert item["author"] == {"username": writer.username, "name": writer.name}
    assert [r["id"] for r in item["replies"]] == [reply.pk]
    assert item["replies"][0]["author"]["username"] == replier.username


@pytest.mark.django_db
def test_list_comments_fields_trims_every_comment_and_its_replies(api, post):
    top = CommentFactory.create(post=post)
    reply = CommentFactory.create(parent=top)

    data = call(api, "get", _url(post, "?fields=author,replies")).json()

    [item] = data["items"]
    assert set(item) == {"id", "author", "replies"}
    assert item["replies"] == [
        {"id": reply.pk, "author": item["replies"][0]["author"], "replies": []}
    ]
    flat = call(api, "get", _url(post, f"?after={top.pk - 1}&fields=body_html")).json()
    assert [set(c) for c in flat["items"]] == [{"id", "body_html"}] * 2
    full = call(api, "get", _url(post)).json()["items"][0]
    assert {"body_html", "status", "created_at", "deleted", "replies"} <= set(full)


@pytest.mark.django_db
def test_list_comments_fields_refuses_unknown_names(api, post):
    response = call(api, "get", _url(post, "?fields=author,password"))

    assert response.status_code == 422
    assert "password" in response.json()["error"]["fields"]["fields"][0]


@pytest.mark.django_db
def test_list_comments_cursor_walks_every_thread_once(api, post):
    threads = [CommentFactory.create(post=post) for _ in range(5)]
    CommentFactory.create(parent=threads[0])
    seen, path = [], _url(post, "?limit=2")
    while path:
        data = call(api, "get", path).json()
        seen += [item["id"] for item in data["items"]]
        path = data["next"]

    assert seen == [c.pk for c in threads]


@pytest.mark.django_db
def test_list_comments_newest_first_pages_like_the_post_page(api, post):
    threads = [CommentFactory.create(post=post) for _ in range(5)]
    reply = CommentFactory.create(parent=threads[0])
    seen, path = [], _url(post, "?limit=2&order=newest")
    while path:
        data = call(api, "get", path).json()
        seen += [item["id"] for item in data["items"]]
        assert data["total"] == 6
        path = data["next"]

    assert seen == [c.pk for c in reversed(threads)]
    last = call(api, "get", _url(post, "?order=newest")).json()["items"][-1]
    assert [r["id"] for r in last["replies"]] == [reply.pk]


@pytest.mark.django_db
def test_list_comments_cursor_keeps_its_order(api, post):
    CommentFactory.create_batch(3, post=post)
    oldest_cursor = call(api, "get", _url(post, "?limit=1")).json()["next_cursor"]

    response = call(api, "get", _url(post, f"?limit=1&order=newest&cursor={oldest_cursor}"))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.django_db
def test_list_comments_returns_whole_threads_however_long(api, post):
    top = CommentFactory.create(post=post)
    replies = [CommentFactory.create(parent=top) for _ in range(30)]

    (item,) = call(api, "get", _url(post)).json()["items"]

    assert [r["id"] for r in item["replies"]] == [r.pk for r in replies]


@pytest.mark.django_db
def test_list_comments_refuses_forged_cursors_and_other_listings_cursors(api, post):
    PostFactory.create_batch(2)
    posts_cursor = call(api, "get", "/api/v2/posts?limit=1").json()["next_cursor"]

    for cursor in ("abc:forged", posts_cursor):
        response = call(api, "get", _url(post, f"?cursor={cursor}"))
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.django_db
def test_list_comments_after_id_is_flat(api, post):
    old = CommentFactory.create(post=post)
    reply = CommentFactory.create(parent=old)

    data = call(api, "get", _url(post, f"?after={old.pk}")).json()

    assert [(c["id"], c["parent"], c["replies"]) for c in data["items"]] == [(reply.pk, old.pk, [])]
    assert data["next"] is None


@pytest.mark.django_db
def test_list_comments_shows_held_comments_to_author_and_moderators_only(
    api, post, commenter, moderator
):
    held = CommentFactory.create(post=post, author=commenter, status=Comment.Status.HELD)

    def statuses(token=None):
        items = call(api, "get", _url(post), token=token).json()["items"]
        return [(c["id"], c["status"]) for c in items]

    assert statuses() == []
    assert statuses(access_for(UserFactory.create())) == []
    assert statuses(access_for(commenter)) == [(held.pk, "held")]
    assert statuses(access_for(moderator)) == [(held.pk, "held")]


def _count_queries(api, path, token=None):
    with count_queries() as ctx:
        response = call(api, "get", path, token=token)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_list_comments_query_count_is_the_same_for_2_and_30_comments(api, post, commenter):
    token = access_for(commenter)
    CommentFactory.create(parent=CommentFactory.create(post=post))
    two = _count_queries(api, _url(post, "?limit=50"), token)
    for _ in range(14):
        parent = CommentFactory.create(post=post, author=commenter, status=Comment.Status.HELD)
        CommentFactory.create(parent=parent, deleted_at=timezone.now())

    thirty = _count_queries(api, _url(post, "?limit=50"), token)

    assert two == thirty


@pytest.mark.django_db
@pytest.mark.parametrize("order", ["oldest", "newest"])
def test_list_comments_query_count_is_the_same_for_2_threads_and_300_comments(
    api, post, commenter, order
):
    token = access_for(commenter)
    CommentFactory.create(parent=CommentFactory.create(post=post))
    path = _url(post, f"?order={order}")
    two = _count_queries(api, path, token)
    pool = [CommentFactory.create(post=post)]
    for i in range(150):  # one huge thread, three levels deep
        pool.append(CommentFactory.create(parent=pool[(i * 7) % len(pool)]))
    for _ in range(75):  # and many small ones
        CommentFactory.create(parent=CommentFactory.create(post=post, author=commenter))
    assert Comment.objects.filter(post=post).count() >= 300

    many = _count_queries(api, path, token)

    assert two == many


@pytest.mark.django_db
def test_create_edit_report_and_delete_a_comment(api, post, commenter):
    _no_hold()
    token = access_for(commenter)

    created = call(api, "post", _url(post), token=token, body={"body": "First"})
    comment_id = created.json()["id"]
    edited = call(api, "patch", f"/api/v2/comments/{comment_id}", token=token, body={"body": "1st"})
    reader = make_verified(UserFactory.create())
    reported = call(api, "post", f"/api/v2/comments/{comment_id}/report", token=access_for(reader))
    twice = call(api, "post", f"/api/v2/comments/{comment_id}/report", token=access_for(reader))
    deleted = call(api, "delete", f"/api/v2/comments/{comment_id}", token=token)

    assert created.status_code == 201
    assert created.json()["author"]["username"] == commenter.username
    assert edited.status_code == 200
    assert edited.json()["body"] == "1st"
    assert reported.status_code == 201
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "already_reported"
    assert deleted.status_code == 204
    [item] = call(api, "get", _url(post)).json()["items"]
    assert (item["deleted"], item["author"], item["body_html"]) == (True, None, "")


@pytest.mark.django_db
def test_create_comment_refusals_have_codes(api, commenter, settings):
    _no_hold()
    closed = PostFactory.create(comments_open=False)
    post = PostFactory.create()
    token = access_for(commenter)
    settings.COMMENT_RATE_LIMIT = 1
    call(api, "post", _url(post), token=token, body={"body": "One"})

    refusals = [
        call(api, "post", _url(closed), token=token, body={"body": "Hi"}),
        call(api, "post", _url(post), token=token, body={"body": "Two"}),
        call(api, "post", _url(post), token=access_for(UserFactory.create()), body={"body": "x"}),
    ]

    assert [(r.status_code, r.json()["error"]["code"]) for r in refusals] == [
        (409, "comments_closed"),
        (429, "rate_limited"),
        (403, "email_unverified"),
    ]
    assert int(refusals[1]["Retry-After"]) >= 1


@pytest.mark.django_db
def test_edit_comment_window_and_ownership(api, post, commenter):
    own_old = CommentFactory.create(
        post=post, author=commenter, created_at=timezone.now() - timedelta(hours=1)
    )
    theirs = CommentFactory.create(post=post)
    token = access_for(commenter)

    late = call(api, "patch", f"/api/v2/comments/{own_old.pk}", token=token, body={"body": "x"})
    other = call(api, "patch", f"/api/v2/comments/{theirs.pk}", token=token, body={"body": "x"})

    assert (late.status_code, late.json()["error"]["code"]) == (409, "edit_window_closed")
    assert (other.status_code, other.json()["error"]["code"]) == (403, "forbidden")


# --------------------------------------------------------------------------
# A comment posted through the API is broadcast as one posted on the site
# --------------------------------------------------------------------------


@pytest.fixture
def _in_memory_layer(settings, monkeypatch):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    monkeypatch.setattr(presence, "DEBOUNCE_SECONDS", 0.05)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("_in_memory_layer")
async def test_api_comment_reaches_live_readers_like_a_web_comment():
    await sync_to_async(_no_hold)()
    post = await sync_to_async(PostFactory.create)(comments_open=True)
    commenter = await sync_to_async(lambda: make_verified(UserFactory.create()))()
    token = await sync_to_async(access_for)(commenter)
    path = f"/ws/posts/{post.pk}/?format=json"
    # The app's socket authenticates with the same bearer token as its HTTP calls.
    app = WebsocketCommunicator(
        application,
        path,
        headers=[*live.BROWSER, (b"authorization", f"Bearer {token}".encode())],
    )
    connected, _ = await app.connect(timeout=10)
    assert connected
    anonymous = await live.open_socket(path)
    for socket in (app, anonymous):
        assert (await live.next_event(socket))["type"] == "live.connected"

    response = await sync_to_async(call)(
        Client(), "post", f"/api/v2/posts/{post.slug}/comments", token=token, body={"body": "Hi"}
    )

    assert response.status_code == 201
    created = response.json()
    for socket in (app, anonymous):
        event = await live.next_event(socket)
        assert event["type"] == "comment.created"
        expected = {k: v for k, v in created.items() if k not in {"body", "replies"}}
        assert {k: v for k, v in event["comment"].items() if k in expected} == {
            **expected,
            "created_at": event["comment"]["created_at"],
        }
        assert event["comment"]["id"] == created["id"]
        await socket.disconnect()
    await presence.close_connections()
