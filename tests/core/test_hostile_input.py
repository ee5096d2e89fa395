"""Input that used to crash the server (issue 12): NUL bytes, impossible dates.

PostgreSQL refuses text with a NUL in it (DataError, a 500); SQLite stores it. The quick
suite checks the refusal itself, the `postgres` tests that nothing reaches PostgreSQL.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from apps.comments.models import Comment
from tests.api.conftest import access_for, call
from tests.comments.conftest import make_verified
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory, TagFactory

WEB_URLS = [
    "/search/?q=%00",
    "/search/?q=ink%00well",
    "/search/?q%00=x",
    "/authors/%00/",
    "/authors/alice%00/feed/",
    "/preview/%00/",
    "/tags/%00/",
    "/%00",
    "/archive/?page=%00",
]
API_URLS = [
    "/api/v2/tags?q=%00",
    "/api/v1/tags?q=%00",
    "/api/v2/posts?author=%00",
    "/api/v1/posts?tag=%00",
    "/api/v1/posts/hello%00",
    "/api/v2/posts/hello%00",
    "/api/v1/tags/a%00",
    "/api/v1/authors/%00",
    "/api/v1/categories/%00",
    "/api/v2/posts/hello%00/comments",
]


@pytest.fixture
def post(db):
    TagFactory.create(slug="ink")
    return PostFactory.create(slug="hello", comments_open=True)


def _assert_envelope(response, status=400, code="bad_request"):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


@pytest.mark.django_db
@pytest.mark.parametrize("url", WEB_URLS)
def test_nul_in_a_web_url_is_refused_with_400(client, post, url):
    response = client.get(url)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "NUL" in response.content.decode()
    assert "default-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", API_URLS)
def test_nul_in_an_api_url_answers_the_envelope(client, post, url):
    error = _assert_envelope(client.get(url))

    assert "NUL" in error["message"]


@pytest.mark.django_db
def test_a_nul_refusal_speaks_the_pages_or_the_readers_language(client, post):
    page = client.get("/de/search/?q=%00")
    assert page.status_code == 400
    assert "NUL-Zeichen" in page.content.decode()
    error = _assert_envelope(client.get(API_URLS[0], headers={"Accept-Language": "ar"}))
    assert "NUL" in error["message"]
    assert "يحتوي" in error["message"]


@pytest.mark.django_db
def test_nul_in_a_cookie_is_refused(client, post):
    # Django's cookie parser unquotes the octal escape \000 to a NUL.
    response = client.get("/", HTTP_COOKIE='sessionid="\\000"')

    assert response.status_code == 400


@pytest.mark.django_db
def test_nul_in_an_api_comment_body_is_refused_and_nothing_is_saved(client, post):
    token = access_for(make_verified(UserFactory.create()))

    response = call(
        client, "post", "/api/v2/posts/hello/comments", token=token, body={"body": "hi\x00there"}
    )

    error = _assert_envelope(response)
    assert "body" in error["message"]
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_an_escaped_backslash_before_u0000_is_not_a_nul(client, post):
    token = access_for(make_verified(UserFactory.create()))
    body = json.dumps({"body": "a path like C:\\u0000 is fine"})

    response = call(client, "post", "/api/v2/posts/hello/comments", token=token, body=body)

    assert response.status_code == 201, response.content
    assert Comment.objects.get().body == "a path like C:\\u0000 is fine"


@pytest.mark.django_db
def test_nul_in_a_form_body_is_refused_and_nothing_is_saved(client, post):
    client.force_login(make_verified(UserFactory.create()))

    response = client.post(f"/comments/posts/{post.pk}/", {"body": "hi\x00there"})

    assert response.status_code == 400
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_an_ordinary_form_body_still_works(client, post):
    client.force_login(make_verified(UserFactory.create()))

    response = client.post(f"/comments/posts/{post.pk}/", {"body": "100% fine, %0 too"})

    assert response.status_code in {200, 302}
    assert Comment.objects.get().body == "100% fine, %0 too"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/archive/99999999999/1/",
        "/archive/10000/1/",
        "/archive/0/1/",
        "/archive/2024/99999999999999999999/",
        "/archive/2024/0/",
    ],
)
def test_archive_month_out_of_range_is_404(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("url", [*WEB_URLS, *API_URLS, "/archive/99999999999/1/"])
def test_nothing_with_a_nul_reaches_postgresql(post, url):
    client = Client(raise_request_exception=False)

    assert client.get(url).status_code in {400, 404}


@pytest.mark.postgres
@pytest.mark.django_db
def test_nul_comment_bodies_do_not_reach_postgresql(post):
    client = Client(raise_request_exception=False)
    user = make_verified(UserFactory.create())
    token = access_for(user)

    api = call(client, "post", "/api/v1/posts/hello/comments", token=token, body={"body": "\x00"})
    client.force_login(user)
    web = client.post(f"/comments/posts/{post.pk}/", {"body": "x\x00"})

    assert (api.status_code, web.status_code) == (400, 400)
    assert not Comment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/accounts/github/login/", "/accounts/google/login/callback/?code=x"]
)
def test_an_unconfigured_sign_in_provider_is_404_not_500(url):
    client = Client(raise_request_exception=False)

    assert client.get(url).status_code == 404
