from __future__ import annotations

import pytest

from apps.blog.models import Post
from tests.api.conftest import access_for, call
from tests.factories.blog import CategoryFactory, PostFactory, TagFactory
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


def _count_list_queries(api, path):
    with count_queries() as ctx:
        response = call(api, "get", path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_posts_returns_published_newest_first_with_pages(api):
    older = PostFactory.create()
    newer = PostFactory.create()
    PostFactory.create(status=Post.Status.DRAFT, published_at=None)

    response = call(api, "get", "/api/v1/posts?page_size=1")

    data = response.json()
    assert response.status_code == 200
    assert [item["slug"] for item in data["items"]] == [newer.slug]
    assert (data["count"], data["page"], data["pages"]) == (2, 1, 2)
    assert data["next"].endswith("page=2&page_size=1") or "page=2" in data["next"]
    assert data["previous"] is None
    second = call(api, "get", "/api/v1/posts?page_size=1&page=2").json()
    assert [item["slug"] for item in second["items"]] == [older.slug]


def test_list_posts_names_author_category_and_tags(api):
    tag = TagFactory.create(slug="django")
    post = PostFactory.create(tags=[tag])

    item = call(api, "get", "/api/v1/posts").json()["items"][0]

    assert item["author"] == post.author.username
    assert item["category"] == post.category.slug  # type: ignore[union-attr]
    assert item["tags"] == ["django"]
    assert item["url"] == f"http://testserver/posts/{post.slug}/" or item["url"].endswith(
        post.get_absolute_url()
    )


def test_list_posts_filters(api):
    category, tag = CategoryFactory.create(slug="essays"), TagFactory.create(slug="python")
    match = PostFactory.create(category=category, tags=[tag], title="Snakes everywhere")
    PostFactory.create(title="Other things")

    by_category = call(api, "get", "/api/v1/posts?category=essays").json()["items"]
    by_tag = call(api, "get", "/api/v1/posts?tag=python").json()["items"]
    by_author = call(api, "get", f"/api/v1/posts?author={match.author.username}").json()["items"]
    by_search = call(api, "get", "/api/v1/posts?q=snakes").json()["items"]

    for items in (by_category, by_tag, by_author, by_search):
        assert [item["slug"] for item in items] == [match.slug]


def test_list_posts_page_past_the_end_is_404(api):
    PostFactory.create()

    response = call(api, "get", "/api/v1/posts?page=5")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_list_posts_query_count_is_the_same_for_1_and_20_posts(api):
    PostFactory.create(tags=[TagFactory.create()])
    one = _count_list_queries(api, "/api/v1/posts")
    PostFactory.create_batch(19, tags=[TagFactory.create()])

    twenty = _count_list_queries(api, "/api/v1/posts")

    assert one == twenty


def test_post_detail_returns_body(api):
    post = PostFactory.create()

    response = call(api, "get", f"/api/v1/posts/{post.slug}")

    assert response.status_code == 200
    data = response.json()
    assert data["body_html"] == post.body_html
    assert data["comments_open"] is True


def test_post_detail_hides_drafts_from_others(api, reader):
    draft = PostFactory.create(status=Post.Status.DRAFT, published_at=None)

    anonymous = call(api, "get", f"/api/v1/posts/{draft.slug}")
    other = call(api, "get", f"/api/v1/posts/{draft.slug}", token=access_for(reader))

    assert anonymous.status_code == 404
    assert other.status_code == 404


def test_post_detail_shows_drafts_to_their_author_and_editors(api, author, editor):
    draft = PostFactory.create(author=author, status=Post.Status.DRAFT, published_at=None)

    own = call(api, "get", f"/api/v1/posts/{draft.slug}", token=access_for(author))
    edited = call(api, "get", f"/api/v1/posts/{draft.slug}", token=access_for(editor))

    assert own.status_code == 200
    assert own.json()["status"] == "draft"
    assert edited.status_code == 200


def test_list_drafts_with_status(api, author, editor):
    mine = PostFactory.create(author=author, status=Post.Status.DRAFT, published_at=None)
    theirs = PostFactory.create(status=Post.Status.DRAFT, published_at=None)

    own = call(api, "get", "/api/v1/posts?status=draft", token=access_for(author)).json()
    every = call(api, "get", "/api/v1/posts?status=draft", token=access_for(editor)).json()

    assert [item["slug"] for item in own["items"]] == [mine.slug]
    assert {item["slug"] for item in every["items"]} == {mine.slug, theirs.slug}
