"""`Idempotency-Key` on the API's writes: a retry gets the first answer and writes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from apps.api.models import IdempotencyKey
from apps.comments.models import Comment
from tests.api.conftest import access_for, call
from tests.comments.conftest import make_verified
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_hold")]


@pytest.fixture
def no_hold(db) -> None:
    from apps.comments.models import ModerationSettings

    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hold": ModerationSettings.Hold.NONE}
    )


@pytest.fixture
def post(db):
    return PostFactory.create(comments_open=True)


@pytest.fixture
def token(db) -> str:
    return access_for(make_verified(UserFactory.create()))


def _url(post) -> str:
    return f"/api/v2/posts/{post.slug}/comments"


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_idempotency_key_retry_returns_the_first_answer_and_posts_once(api, post, token, version):
    url = f"/api/{version}/posts/{post.slug}/comments"
    key = {"Idempotency-Key": "3f1c9a52-7e1b-4d7e-9a55-0c2b2b8f6d10"}
    first = call(api, "post", url, token=token, body={"body": "Once"}, **key)
    again = call(api, "post", url, token=token, body={"body": "Once"}, **key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Comment.objects.count() == 1


def test_idempotency_key_reused_for_another_body_answers_422(api, post, token):
    key = {"Idempotency-Key": "key-1"}
    call(api, "post", _url(post), token=token, body={"body": "One"}, **key)
    other = call(api, "post", _url(post), token=token, body={"body": "Two"}, **key)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert Comment.objects.count() == 1


def test_idempotency_keys_belong_to_their_user(api, post, token):
    key = {"Idempotency-Key": "shared-key"}
    someone = access_for(make_verified(UserFactory.create()))
    mine = call(api, "post", _url(post), token=token, body={"body": "Same"}, **key)
    theirs = call(api, "post", _url(post), token=someone, body={"body": "Same"}, **key)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


def test_idempotency_key_stores_a_refusal_too(api, token):
    closed = PostFactory.create(comments_open=False)
    key = {"Idempotency-Key": "closed-1"}
    first = call(api, "post", _url(closed), token=token, body={"body": "Hi"}, **key)
    closed.comments_open = True
    closed.save()
    again = call(api, "post", _url(closed), token=token, body={"body": "Hi"}, **key)
    assert first.status_code == again.status_code == 409
    assert again["Idempotent-Replayed"] == "true"
    assert not Comment.objects.exists()


def test_idempotency_key_expires_after_its_ttl(api, post, token, settings):
    key = {"Idempotency-Key": "old-key"}
    call(api, "post", _url(post), token=token, body={"body": "Yesterday"}, **key)
    IdempotencyKey.objects.update(
        created_at=timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL + 1)
    )
    again = call(api, "post", _url(post), token=token, body={"body": "Yesterday"}, **key)
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Comment.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1


def test_idempotency_key_not_kept_for_a_rate_limited_request(api, post, token, settings):
    settings.COMMENT_RATE_LIMIT = 0
    key = {"Idempotency-Key": "busy"}
    refused = call(api, "post", _url(post), token=token, body={"body": "Hi"}, **key)
    assert refused.status_code == 429
    settings.COMMENT_RATE_LIMIT = 10
    accepted = call(api, "post", _url(post), token=token, body={"body": "Hi"}, **key)
    assert accepted.status_code == 201


def test_idempotency_key_must_be_visible_ascii(api, post, token):
    response = call(
        api, "post", _url(post), token=token, body={"body": "Hi"}, **{"Idempotency-Key": "a b"}
    )
    assert response.status_code == 400
    assert not Comment.objects.exists()


def test_idempotency_key_is_ignored_without_a_token(api):
    body = {"email": "new@example.com", "username": "newbie", "password": "a long passphrase 42"}
    response = call(api, "post", "/api/v2/auth/register", body=body, **{"Idempotency-Key": "k"})
    assert response.status_code != 500
    assert not IdempotencyKey.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_idempotency_key_sent_twice_at_once_posts_once(post, token):
    # The second insert of the key waits for the first request's transaction, then replays.
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections
    from django.test import Client

    def send(_: int) -> tuple[int, Any]:
        try:
            response = call(
                Client(), "post", _url(post), token=token, body={"body": "Racing"},
                **{"Idempotency-Key": "race-1"},
            )  # fmt: skip
            return response.status_code, response.json()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(send, range(2)))
    assert [status for status, _ in results] == [201, 201]
    assert results[0][1] == results[1][1]
    assert Comment.objects.count() == 1
