"""Redis stops and starts again under the site: no 500, nothing stale, nothing posted twice.

Each test runs against a redis-server of its own (`own_redis`, tests/conftest.py) behind the
cache, the sessions and the channel layer, and stops it; the shared Redis is never touched.
The server comes back with the data it had, so an invalidation lost during the outage would
show as a stale page or a stale cachalot result.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from django.db import transaction
from django.db.models.signals import post_save
from django.test import Client

from apps.blog import services as blog_services
from apps.blog.models import Post
from apps.comments.models import Comment, ModerationSettings
from tests.api.conftest import access_for, call
from tests.blog.helpers import user_in_role
from tests.comments.conftest import make_verified
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.servers import RedisServer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _after_retry_interval() -> None:
    time.sleep(0.3)  # the fixture's cache retries a dead Redis after 0.2 s


@pytest.fixture
def post(own_redis: RedisServer) -> Post:
    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hold": ModerationSettings.Hold.NONE}
    )
    return PostFactory.create(title="Before the outage", comments_open=True)


@pytest.fixture
def commenter(db) -> Any:
    return make_verified(UserFactory.create())


def _edit_title(post: Post, title: str) -> None:
    content = replace(blog_services.current_content(post), title=title)
    blog_services.update_post(
        actor=user_in_role("editor"), post=post, content=content, based_on_version=post.version
    )


@contextlib.contextmanager
def _redis_dies_after_commit(own_redis: RedisServer) -> Iterator[None]:
    """Stop Redis the moment a comment's transaction commits, before its after-commit work."""

    def stop_after_commit(sender: Any, instance: Comment, created: bool, **kwargs: Any) -> None:
        if created:
            transaction.on_commit(own_redis.stop)

    post_save.connect(stop_after_commit, sender=Comment, weak=False)
    try:
        yield
    finally:
        post_save.disconnect(stop_after_commit, sender=Comment)


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info and r.name == "django.request"]


def test_outage_anonymous_pages_serve_from_the_database_and_show_edits_made_meanwhile(
    own_redis, post, settings
):
    settings.PAGE_CACHE_ENABLED = True
    reader = Client()
    url = post.get_absolute_url()
    assert reader.get(url).status_code == 200
    assert reader.get(url)["X-Page-Cache"] == "hit"

    own_redis.stop()
    during = reader.get(url)
    assert during.status_code == 200
    assert "Before the outage" in during.content.decode()
    _edit_title(post, "Edited while Redis was down")
    edited = reader.get(url)
    assert edited.status_code == 200
    assert "Edited while Redis was down" in edited.content.decode()

    own_redis.start()  # with the old page, its old tokens and cachalot's old rows
    _after_retry_interval()
    after = reader.get(url)
    assert after.status_code == 200
    assert "Edited while Redis was down" in after.content.decode()
    assert "Before the outage" not in after.content.decode()
    assert reader.get(url)["X-Page-Cache"] == "hit"  # and cached again


def test_outage_signed_in_pages_and_the_api_answer_from_the_database(
    own_redis, post, commenter, caplog
):
    browser = Client()
    browser.force_login(commenter)
    assert browser.get(post.get_absolute_url()).status_code == 200
    token = access_for(commenter)

    own_redis.stop()
    page = browser.get(post.get_absolute_url())
    listing = call(Client(), "get", "/api/v2/posts", token=token)
    anonymous_api = call(Client(), "get", f"/api/v2/posts/{post.slug}")
    me = call(Client(), "get", "/api/v2/me", token=token)

    for response in (page, listing, anonymous_api, me):
        assert response.status_code == 200, response.content[:300]
    assert commenter.username in page.content.decode()  # still signed in: the session's row
    assert _tracebacks(caplog) == []


def test_outage_that_cannot_be_served_answers_503_with_retry_after(
    own_redis, post, commenter, settings, caplog
):
    # Django's own RedisCache raises when Redis is down: what every request met before the
    # resilient backend, and what a failing database still does. Never a 500.
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}
    }  # fmt: skip
    browser = Client(raise_request_exception=False)
    browser.force_login(commenter)
    token = access_for(commenter)
    own_redis.stop()

    page = browser.get(post.get_absolute_url())
    app = Client(raise_request_exception=False)
    api = call(app, "get", "/api/v2/posts", token=token)
    api_write = call(
        app, "post", f"/api/v2/posts/{post.slug}/comments", token=token, body={"body": "Hi"}
    )

    assert page.status_code == 503
    assert page["Retry-After"] == "30"
    assert "We’ll be right back" in page.content.decode()
    for response in (api, api_write):
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert response.json()["error"]["code"] == "service_unavailable"
    assert _tracebacks(caplog) == []


def test_outage_a_comment_committed_as_redis_dies_answers_success_once(own_redis, post, commenter):
    browser = Client()
    browser.force_login(commenter)
    form = {"body": "Posted as Redis died", "token": str(uuid.uuid4())}
    with _redis_dies_after_commit(own_redis):
        posted = browser.post(f"/comments/posts/{post.pk}/", form)
    assert not own_redis.running
    comment = Comment.objects.get()
    assert posted.status_code == 302
    assert posted["Location"].endswith(f"#comment-{comment.pk}")

    # The browser retries anyway (a second click, a reload that re-posts): still one comment.
    again = browser.post(f"/comments/posts/{post.pk}/", form, headers={"HX-Request": "true"})
    assert again.status_code == 200
    assert f'id="comment-{comment.pk}"' in again.content.decode()
    assert Comment.objects.count() == 1


def test_outage_an_api_comment_committed_as_redis_dies_answers_201_and_its_retry_the_same(
    own_redis, post, commenter
):
    token = access_for(commenter)
    url = f"/api/v2/posts/{post.slug}/comments"
    key = {"Idempotency-Key": str(uuid.uuid4())}
    with _redis_dies_after_commit(own_redis):
        posted = call(Client(), "post", url, token=token, body={"body": "Via the app"}, **key)
    assert not own_redis.running
    assert posted.status_code == 201

    own_redis.start()
    _after_retry_interval()
    retried = call(Client(), "post", url, token=token, body={"body": "Via the app"}, **key)
    assert retried.status_code == 201
    assert retried.json() == posted.json()
    assert retried["Idempotent-Replayed"] == "true"
    assert Comment.objects.count() == 1
