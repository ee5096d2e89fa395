"""Every error under /api/ is the JSON envelope; the site's own pages stay HTML."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.blog import selectors
from tests.factories.blog import PostFactory, TagFactory


def _boom(*args, **kwargs):
    raise RuntimeError("a bug in a selector")


def _envelope(response, status, code):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["fields"] is None
    return error


@pytest.fixture
def crashing(monkeypatch, db):
    TagFactory.create(slug="ink")
    PostFactory.create(slug="hello")
    monkeypatch.setattr(selectors, "published_posts", _boom)
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("url", ["/api/v1/posts", "/api/v2/posts", "/api/v2/posts/hello"])
def test_a_crashing_api_view_answers_json_500(crashing, url):
    error = _envelope(crashing.get(url), 500, "server_error")

    assert "a bug" not in error["message"]  # no internals leak


def test_a_crashing_page_answers_the_html_500_page(crashing):
    response = crashing.get("/tags/ink/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert "Something went wrong" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url", "allow"),
    [
        ("put", "/api/v2/posts", "GET"),
        ("delete", "/api/v1/tags", "GET"),
        ("get", "/api/v1/auth/token", "POST"),
    ],
)
def test_a_method_a_route_does_not_allow_answers_envelope_405(client, method, url, allow):
    response = getattr(client, method)(url)

    _envelope(response, 405, "method_not_allowed")
    assert allow in response["Allow"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v2/nope", "/api/v3/posts", "/api/", "/api/v1/posts/x/y"])
def test_unknown_api_urls_answer_envelope_404(client, url):
    _envelope(client.get(url), 404, "not_found")


@pytest.mark.django_db
def test_unknown_pages_stay_html(client):
    response = client.get("/no-such-page/x/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
