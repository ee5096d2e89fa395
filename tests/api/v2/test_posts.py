from __future__ import annotations

import pytest

from tests.api.conftest import call
from tests.factories.blog import PostFactory, TagFactory
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


def test_list_embeds_author_category_and_tags(api):
    post = PostFactory.create(tags=[TagFactory.create(slug="django")])

    item = call(api, "get", "/api/v2/posts").json()["items"][0]

    assert item["author"]["username"] == post.author.username
    assert item["category"]["slug"] == post.category.slug  # type: ignore[union-attr]
    assert [tag["slug"] for tag in item["tags"]] == ["django"]
    assert "body_html" not in item


def test_cursor_pagination_walks_every_post_once(api):
    posts = PostFactory.create_batch(5)
    seen, path = [], "/api/v2/posts?limit=2"
    while path:
        data = call(api, "get", path).json()
        seen += [item["slug"] for item in data["items"]]
        path = data["next"]

    assert sorted(seen) == sorted(post.slug for post in posts)
    assert len(seen) == 5


def test_cursor_pagination_is_stable_when_posts_are_added(api):
    PostFactory.create_batch(3)
    first = call(api, "get", "/api/v2/posts?limit=2").json()
    PostFactory.create()  # newest: must not shift the next page

    second = call(api, "get", f"/api/v2/posts?limit=2&cursor={first['next_cursor']}").json()

    assert len(second["items"]) == 1
    assert second["next_cursor"] is None


def test_search_pages_with_cursor(api):
    for n in range(3):
        PostFactory.create(title=f"Gardening notes {n}")

    first = call(api, "get", "/api/v2/posts?q=gardening&limit=2").json()
    second = call(api, "get", f"/api/v2/posts?q=gardening&limit=2&cursor={first['next_cursor']}")

    assert len(first["items"]) == 2
    assert len(second.json()["items"]) == 1


@pytest.mark.postgres
def test_search_returns_the_same_bounded_best_matches_as_the_search_page(api, monkeypatch):
    # A common word over 100,000 posts must not rank every match: the API takes the search
    # page's candidates (at most MAX_RESULTS, best first).
    from apps.blog import search_postgres

    monkeypatch.setattr(search_postgres, "MAX_RESULTS", 3)
    titled = PostFactory.create(title="Compost explained", body="Nothing else.")
    for n in range(5):
        PostFactory.create(title=f"Note {n}", body="We talked about compost again.")

    slugs, path = [], "/api/v2/posts?q=compost&limit=2"
    while path:
        data = call(api, "get", path).json()
        slugs += [item["slug"] for item in data["items"]]
        path = data["next"]
    assert len(slugs) == 3
    assert slugs[0] == titled.slug  # the title match ranks first


def test_tampered_cursor_is_400(api):
    response = call(api, "get", "/api/v2/posts?cursor=eyJrIjpbXX0:forged:sig")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_fields_trims_the_response(api):
    post = PostFactory.create()

    item = call(api, "get", "/api/v2/posts?fields=title,url").json()["items"][0]
    detail = call(api, "get", f"/api/v2/posts/{post.slug}?fields=body_html").json()

    assert set(item) == {"id", "title", "url"}
    assert set(detail) == {"id", "body_html"}


def test_unknown_fields_are_422(api):
    PostFactory.create()

    response = call(api, "get", "/api/v2/posts?fields=title,password")

    assert response.status_code == 422
    assert "fields" in response.json()["error"]["fields"]


def test_detail_embeds_and_has_body(api):
    post = PostFactory.create()

    data = call(api, "get", f"/api/v2/posts/{post.slug}").json()

    assert data["author"]["username"] == post.author.username
    assert data["body_html"] == post.body_html


def test_list_query_count_is_the_same_for_1_and_20_posts(api):
    def count():
        with count_queries() as ctx:
            assert call(api, "get", "/api/v2/posts?limit=50").status_code == 200
        return len(ctx.captured_queries)

    PostFactory.create(tags=[TagFactory.create()])
    one = count()
    PostFactory.create_batch(19, tags=[TagFactory.create()])

    assert count() == one
