"""A body shorter than its Content-Length is refused, by a real granian server and in-process."""

from __future__ import annotations

import io
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.core.handlers.wsgi import LimitedStream, WSGIRequest
from django.http import HttpResponse
from django.http.request import UnreadablePostError
from django.test import RequestFactory

from apps.comments.models import Comment
from apps.core.bodies import CompleteBodyMiddleware, CompleteInput, incomplete_body
from tests.factories.blog import PostFactory
from tests.perf.seeding import session_for, verified_user
from tests.servers import Server, clean_env, running_wsgi_server

CSRF = "a" * 32  # an unmasked token: the cookie and the header carry the same one
BODY = "I disagree with every word of this, and here is why: " * 4


def _comment_request(server: Server, post_id: int, session: str, declared_extra: int) -> bytes:
    form = urlencode({"body": BODY}).encode()
    netloc = urlsplit(server.url).netloc
    head = (
        f"POST /comments/posts/{post_id}/ HTTP/1.1\r\n"
        f"Host: {netloc}\r\n"
        f"Origin: {server.url}\r\n"
        f"Cookie: sessionid={session}; csrftoken={CSRF}\r\n"
        f"X-CSRFToken: {CSRF}\r\n"
        "HX-Request: true\r\n"
        "Connection: close\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(form) + declared_extra}\r\n\r\n"
    )
    return head.encode() + form


def _send(server: Server, request: bytes, *, half_close: bool) -> bytes:
    """Send `request`, then read the answer; `half_close` stops sending first (EOF)."""
    netloc = urlsplit(server.url).netloc
    host, port = netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(request)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


@pytest.fixture
def server(
    django_db_serialized_rollback, transactional_db, settings, tmp_path: Path
) -> Iterator[Server]:
    settings.SECRET_KEY = secrets.token_urlsafe(64)  # both processes sign sessions with it
    db = settings.DATABASES["default"]
    env = clean_env(
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DJANGO_DEBUG="false",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        CACHE_KEY_PREFIX=settings.CACHE_KEY_PREFIX,
        LOG_FORMAT="json",
    )
    with running_wsgi_server(env, tmp_path / "granian.log") as server:
        yield server


@pytest.mark.postgres
@pytest.mark.slow
def test_granian_refuses_a_comment_whose_body_ends_early(server):
    post = PostFactory.create()
    session = session_for(verified_user("hangs-up"))

    whole = _send(server, _comment_request(server, post.pk, session, 0), half_close=False)
    assert whole.startswith(b"HTTP/1.1 200"), whole[:300]
    assert Comment.objects.count() == 1  # the request is right: only its length differs

    # The client stops sending 40 bytes short. granian may drop the connection on that EOF
    # before the answer is written: a 400 or nothing at all, never a stored comment.
    for _ in range(3):
        cut = _send(server, _comment_request(server, post.pk, session, 40), half_close=True)
        assert cut == b"" or cut.startswith(b"HTTP/1.1 400"), cut[:300]
    deadline = time.monotonic() + 10
    while server.log().count("request body incomplete") < 3:
        assert time.monotonic() < deadline, server.log()[-3000:]
        time.sleep(0.1)
    assert Comment.objects.count() == 1


def _request(body: bytes, declared: int, content_type: str) -> WSGIRequest:
    return RequestFactory().generic(
        "POST", "/comments/posts/1/", body, content_type=content_type, CONTENT_LENGTH=str(declared)
    )


def test_a_body_shorter_than_its_content_length_is_reported():
    request = _request(b"body=I+disagr", 0, "application/x-www-form-urlencoded")
    request.META["CONTENT_LENGTH"] = "200"
    request._stream = LimitedStream(io.BytesIO(b"body=I+disagr"), 200)  # type: ignore[assignment]

    assert incomplete_body(request) == "The body ended after 13 of 200 bytes."


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/comments/posts/1/", "text/plain", "The request body was cut short."),
        (
            "/api/v2/posts/a/comments",
            "application/json",
            '{"error": {"code": "bad_request", "message": "The request body was cut short.", '
            '"fields": null}}',
        ),
    ],
)
def test_the_middleware_answers_400_in_the_json_envelope_under_the_api(path, content_type, body):
    request = RequestFactory().generic(
        "POST", path, b'{"body": "I dis', content_type="application/json"
    )
    request.META["CONTENT_LENGTH"] = "200"
    request._stream = LimitedStream(io.BytesIO(b'{"body": "I dis'), 200)  # type: ignore[assignment]

    response = CompleteBodyMiddleware(lambda r: HttpResponse("saved"))(request)
    assert isinstance(response, HttpResponse)

    assert response.status_code == 400
    assert response["Content-Type"].startswith(content_type)
    assert response.content.decode() == body


def test_a_cut_short_body_is_refused_in_the_readers_language():
    request = RequestFactory().generic(
        "POST", "/comments/posts/1/", b"body=I+dis", content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT_LANGUAGE="de",
    )  # fmt: skip
    request.META["CONTENT_LENGTH"] = "200"
    request._stream = LimitedStream(io.BytesIO(b"body=I+dis"), 200)  # type: ignore[assignment]

    response = CompleteBodyMiddleware(lambda r: HttpResponse("saved"))(request)
    assert isinstance(response, HttpResponse)

    assert response.status_code == 400
    assert response.content.decode() == "Der Inhalt der Anfrage wurde abgeschnitten."


def test_a_whole_body_passes():
    request = _request(b"body=I+agree", 12, "application/x-www-form-urlencoded")

    assert incomplete_body(request) is None
    assert request.POST["body"] == "I agree"  # still readable by the view


def test_complete_input_raises_where_the_stream_ends_early():
    stream = CompleteInput(io.BytesIO(b"0123456789"), 15)

    assert stream.read(4) == b"0123"
    with pytest.raises(UnreadablePostError, match="after 10 of 15 bytes"):
        stream.read()


def test_complete_input_reads_across_short_chunks():
    class Trickle(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            return super().read(min(size or 1, 3))

    assert CompleteInput(Trickle(b"0123456789"), 10).read() == b"0123456789"
    assert CompleteInput(Trickle(b"ab\ncd"), 5).readline() == b"ab\n"
