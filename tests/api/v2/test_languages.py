"""API v2 and languages: each post's language and translations, filtering, Accept-Language."""

from __future__ import annotations

import pytest

from tests.api.conftest import call
from tests.factories.blog import PostFactory, translate
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


def test_each_post_names_its_language_and_its_published_translations(api):
    source = PostFactory.create(slug="hello")
    translate(source, "de", title="Hallo")
    items = {item["language"]: item for item in call(api, "get", "/api/v2/posts").json()["items"]}
    assert set(items) == {"en", "de"}
    assert items["en"]["translations"] == [
        {"language": "de", "slug": "hello", "url": "http://testserver/de/posts/hello/"}
    ]
    assert items["de"]["translations"][0]["language"] == "en"


def test_the_list_filters_by_language_and_refuses_unknown_ones(api):
    source = PostFactory.create(title="Hello")
    translate(source, "ar", title="مرحبا")
    arabic = call(api, "get", "/api/v2/posts?language=ar").json()["items"]
    assert [item["title"] for item in arabic] == ["مرحبا"]
    response = call(api, "get", "/api/v2/posts?language=fr")
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["language"] == ["Use one of: en, de, ar."]


def test_one_post_by_slug_in_a_language(api):
    source = PostFactory.create(slug="hello", title="Hello")
    translate(source, "de", title="Hallo")
    assert call(api, "get", "/api/v2/posts/hello").json()["title"] == "Hello"
    german = call(api, "get", "/api/v2/posts/hello?language=de").json()
    assert german["title"] == "Hallo"
    assert german["language"] == "de"
    assert [t["language"] for t in german["translations"]] == ["en"]
    assert call(api, "get", "/api/v2/posts/hello?language=ar").status_code == 404


def test_list_queries_do_not_grow_with_translations(api):
    def count():
        with count_queries() as ctx:
            assert call(api, "get", "/api/v2/posts?limit=50").status_code == 200
        return len(ctx.captured_queries)

    first = PostFactory.create()
    translate(first, "de", title="Eins")
    before = count()
    for post in PostFactory.create_batch(5):
        translate(post, "de", title=f"Übersetzt {post.pk}")
        translate(post, "ar", title=f"مترجم {post.pk}")
    assert count() == before


def test_messages_follow_accept_language(api):
    response = call(api, "get", "/api/v2/posts/no-such-post", **{"Accept-Language": "de"})
    assert response.status_code == 404
    assert response["Content-Language"] == "de"
    assert response.json()["error"]["code"] == "not_found"
