"""The mobile app's post lists and posts, served from the page cache to anonymous clients."""

from dataclasses import replace
from typing import Any

import pytest
from django.test import Client

from apps.blog import services
from apps.blog.models import Post
from apps.comments.services import set_comments_open
from tests.api.conftest import access_for
from tests.blog.helpers import user_in_role
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory, TagFactory
from tests.utils import count_queries

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]


def _get(path: str, **headers: Any) -> Any:
    response = Client().get(path, **headers)
    assert response.status_code == 200, response.content
    return response


def _state(path: str) -> str:
    return str(_get(path)["X-Page-Cache"])


@pytest.fixture
def post(db):
    return PostFactory.create(title="Cached for the app")


def test_an_anonymous_list_is_served_again_without_queries_and_keeps_its_api_headers(post):
    first = _get("/api/v2/posts")
    assert first["X-Page-Cache"] == "miss"
    with count_queries() as queries:
        second = _get("/api/v2/posts")
    assert second["X-Page-Cache"] == "hit"
    assert len(queries) == 0
    assert second.json() == first.json()
    assert second.json()["items"][0]["title"] == "Cached for the app"
    # Still rate limited and conditional: the API's own middleware runs in front.
    assert "RateLimit-Remaining" in second
    etag = second["ETag"]
    assert Client().get("/api/v2/posts", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_client_with_a_token_is_never_served_a_stored_answer(post):
    _get("/api/v2/posts")
    token = access_for(UserFactory.create())
    answer = _get("/api/v2/posts", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert "X-Page-Cache" not in answer


def test_publishing_a_post_makes_the_list_stale(post, django_capture_on_commit_callbacks):
    _get("/api/v2/posts")
    assert _state("/api/v2/posts") == "hit"
    draft = PostFactory.create(title="Fresh news", status=Post.Status.IN_REVIEW, published_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_post(actor=user_in_role("editor"), post=draft)
    answer = _get("/api/v2/posts")
    assert answer["X-Page-Cache"] == "miss"
    assert answer.json()["items"][0]["title"] == "Fresh news"


def test_a_post_that_joins_a_tag_makes_that_tags_list_stale(
    post, django_capture_on_commit_callbacks
):
    python = TagFactory.create(name="python")
    PostFactory.create(title="Already tagged", tags=[python])
    url = f"/api/v2/posts?tag={python.slug}"
    _get(url)
    assert _state(url) == "hit"
    content = replace(services.current_content(post), tags=[python])
    with django_capture_on_commit_callbacks(execute=True):
        services.update_post(
            actor=user_in_role("editor"), post=post, content=content, based_on_version=post.version
        )
    titles = [item["title"] for item in _get(url).json()["items"]]
    assert "Cached for the app" in titles


def test_closing_comments_makes_the_post_stale(post, django_capture_on_commit_callbacks):
    url = f"/api/v2/posts/{post.slug}"
    assert _get(url).json()["comments_open"] is True
    assert _state(url) == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        set_comments_open(actor=user_in_role("editor"), post=post, is_open=False)
    assert _get(url).json()["comments_open"] is False
