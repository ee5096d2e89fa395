"""The page cache's first tier: repeated anonymous hits answered before Django runs.

These call the real WSGI stack (Django's WSGIHandler, every middleware) wrapped as
project/wsgi.py wraps it, with the environ a server would pass.
"""

from __future__ import annotations

import gzip
import io
import logging
import sys
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import structlog
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils.datastructures import CaseInsensitiveMapping
from django_prometheus.middleware import Metrics

from apps.blog import services
from apps.core import replay
from tests.blog.helpers import user_in_role
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.utils import count_queries

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]


class Answer:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = CaseInsensitiveMapping(dict(headers))
        self.header_list = headers
        self.body = body

    @property
    def cache(self) -> str | None:
        return self.headers.get("X-Page-Cache")


@pytest.fixture
def app() -> Iterator[Any]:
    # As Django's test client does: closing "old" connections between requests would end
    # the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield replay.serve_stored_pages(WSGIHandler())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def call(app: Any, path: str, **headers: str) -> Answer:
    path, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": headers.pop("method", "GET"),
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": headers.pop("host", "testserver"),
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper()] = value
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"], seen["headers"] = status, headers

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return Answer(seen["status"], seen["headers"], body)


@pytest.fixture
def post(db):
    return PostFactory.create(title="Replayed words")


def test_third_identical_read_is_replayed_with_the_same_page_and_headers(app, post):
    url = post.get_absolute_url()
    assert call(app, url).cache == "miss"
    hit = call(app, url)
    assert hit.cache == "hit"
    with count_queries() as queries:
        replayed = call(app, url)
    assert replayed.cache == "replay"
    assert len(queries) == 0
    assert replayed.status == "200 OK"
    assert replayed.body == hit.body
    assert "Replayed words" in replayed.body.decode()
    # Every header the middleware put on the hit, but a request id of its own.
    for name in (
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "Permissions-Policy",
        "Cross-Origin-Resource-Policy",
        "Referrer-Policy",
        "X-Frame-Options",
        "ETag",
        "Cache-Control",
        "Vary",
        "Content-Type",
        "Content-Length",
    ):
        assert replayed.headers[name] == hit.headers[name], name
    assert replayed.headers["X-Request-ID"] != hit.headers["X-Request-ID"]
    assert int(replayed.headers["Content-Length"]) == len(replayed.body)


def test_an_edit_is_seen_at_once_by_a_replayed_page(app, post, django_capture_on_commit_callbacks):
    url = post.get_absolute_url()
    call(app, url)
    call(app, url)
    assert call(app, url).cache == "replay"
    content = replace(services.current_content(post), title="Rewritten words")
    with django_capture_on_commit_callbacks(execute=True):
        services.update_post(
            actor=user_in_role("editor"), post=post, content=content, based_on_version=post.version
        )
    fresh = call(app, url)
    assert fresh.cache == "miss"
    assert "Rewritten words" in fresh.body.decode()
    assert "Replayed words" not in fresh.body.decode()


def test_gzip_and_plain_readers_get_their_own_encoding(app, post):
    url = post.get_absolute_url()
    for _ in range(3):
        zipped = call(app, url, accept_encoding="gzip, br")
        plain = call(app, url)
    assert zipped.cache == plain.cache == "replay"
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(zipped.body) == plain.body
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert int(zipped.headers["Content-Length"]) == len(zipped.body) < len(plain.body)


def test_a_conditional_read_of_the_gzipped_page_answers_304(app, post):
    url = post.get_absolute_url()
    call(app, url, accept_encoding="gzip")
    etag = call(app, url, accept_encoding="gzip").headers["ETag"]
    again = call(app, url, accept_encoding="gzip", if_none_match=etag)
    assert again.status.startswith("304")
    assert again.body == b""


def test_a_signed_in_reader_is_never_replayed_the_anonymous_page(app, client, post):
    url = post.get_absolute_url()
    for _ in range(3):
        call(app, url)
    reader = UserFactory.create(display_name="Replay Reader")
    client.force_login(reader)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    page = call(app, url, cookie=cookie)
    assert page.cache != "replay"
    assert "Replay Reader" in page.body.decode()


@pytest.mark.parametrize(
    "headers",
    [
        {"authorization": "Bearer abc"},
        {"cookie": "messages=something"},
        {"method": "HEAD"},
        {"hx_request": "true"},
    ],
    ids=["token", "flash-message", "head", "htmx-partial"],
)
def test_requests_that_may_differ_are_not_replayed_the_full_page(app, post, headers):
    url = post.get_absolute_url()
    for _ in range(3):
        call(app, url)
    other = call(app, url, **headers)
    assert other.cache != "replay"


def test_a_host_that_is_not_allowed_still_gets_400(app, post):
    url = post.get_absolute_url()
    for _ in range(3):
        call(app, url)
    assert call(app, url, host="evil.example").status.startswith("400")


def test_a_replayed_page_writes_the_access_log_and_counts_the_request(app, post, caplog):
    url = post.get_absolute_url()
    call(app, url)
    call(app, url)
    metrics = Metrics.get_instance()
    before = metrics.requests_total._value.get()
    with caplog.at_level(logging.INFO, logger="inkwell.request"):
        answer = call(app, url, x_request_id="from-the-proxy-123")
    assert answer.cache == "replay"
    assert answer.headers["X-Request-ID"] == "from-the-proxy-123"
    assert metrics.requests_total._value.get() == before + 1
    lines = [r for r in caplog.records if r.name == "inkwell.request"]
    assert lines, "no access log line for a replayed page"
    assert lines[-1].msg["request_id"] == "from-the-proxy-123"
    assert lines[-1].msg["page_cache"] == "replay"


def test_the_plain_json_access_line_has_the_middlewares_fields(post, capsys, settings):
    settings.LOG_FORMAT = "json"
    handler = logging.StreamHandler(sys.stderr)
    from apps.core.logging import RedactingFormatter

    handler.setFormatter(RedactingFormatter(processors=[structlog.processors.JSONRenderer()]))
    root = logging.getLogger()
    saved, root.handlers = root.handlers, [handler]
    try:
        assert replay._plain_json_handlers() == (handler,)
        replay._access_log("/posts/x/?token=secret", "abcdefgh1234", 0.0)
    finally:
        root.handlers = saved
    import json

    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["event"] == "request"
    assert line["request_id"] == "abcdefgh1234"
    assert line["status"] == 200
    assert line["logger"] == "inkwell.request"
    assert line["timestamp"].endswith("Z")
    assert "secret" not in line["path"]  # redacted as every other line is


def test_anonymous_api_reads_are_replayed_and_still_rate_limited(app, post, settings):
    settings.API_RATE_LIMIT_ANON = 4
    first = call(app, "/api/v2/posts")
    assert first.status == "200 OK"
    assert call(app, "/api/v2/posts").cache == "hit"
    replayed = call(app, "/api/v2/posts")
    assert replayed.cache == "replay"
    assert replayed.body == first.body
    # Each answer counts and announces its own place in the budget.
    assert [first.headers["RateLimit-Remaining"], replayed.headers["RateLimit-Remaining"]] == [
        "3",
        "1",
    ]
    assert replayed.headers["ETag"].startswith('W/"')
    assert call(app, "/api/v2/posts").headers["RateLimit-Remaining"] == "0"
    refused = call(app, "/api/v2/posts")
    assert refused.status.startswith("429")
    assert refused.headers["Retry-After"]
    assert b"rate_limited" in refused.body


def test_an_api_read_whose_stored_answer_went_stale_is_counted_once(
    app, post, settings, django_capture_on_commit_callbacks
):
    # The replay tier counts the read (on Redis, in the freshness check's round trip),
    # finds the stored list out of date and hands the request to Django, which must
    # answer it fresh without counting it a second time.
    settings.API_RATE_LIMIT_ANON = 10
    for _ in range(3):
        call(app, "/api/v2/posts")  # stored, hit, replayed: 7 left
    content = replace(services.current_content(post), title="Changed words")
    with django_capture_on_commit_callbacks(execute=True):
        services.update_post(
            actor=user_in_role("editor"), post=post, content=content, based_on_version=post.version
        )
    fresh = call(app, "/api/v2/posts")
    assert fresh.cache != "replay"
    assert b"Changed words" in fresh.body
    assert fresh.headers["RateLimit-Remaining"] == "6"
    assert call(app, "/api/v2/posts").headers["RateLimit-Remaining"] == "5"


def test_an_api_read_from_another_origin_gets_its_own_cors_answer(app, post, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]
    for _ in range(3):
        allowed = call(app, "/api/v2/posts", origin="https://app.example")
        other = call(app, "/api/v2/posts", origin="https://other.example")
    assert allowed.cache == other.cache == "replay"
    assert allowed.headers.get("Access-Control-Allow-Origin") == "https://app.example"
    assert "Access-Control-Allow-Origin" not in other.headers
