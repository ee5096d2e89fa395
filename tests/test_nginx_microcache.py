"""infrastructure/nginx/inkwell.conf in front of Inkwell in production shape: the micro-cache
and the limits on slow clients.

A real nginx runs the production file (tests/nginx.py rewrites only ports and paths) in
front of granian serving Inkwell with DJANGO_ENV=production on this run's PostgreSQL test
database and Redis. The application logs one `request` line per request it answers, which
is how these tests count what reached it.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import requests
from django.conf import settings

from apps.blog.models import Post
from apps.blog.services import current_content, update_post
from tests import nginx
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.perf.seeding import session_for, verified_user
from tests.servers import Server, clean_env, manage, running_wsgi_server

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not nginx.installed(), reason="nginx is not installed (nginx-light)"),
    pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"),
]

SHARED_MAX_AGE = 2  # s-maxage the application sends (production: 5)
READERS = 50


@dataclass
class Stack:
    app: Server
    site: nginx.Site

    def get(self, path: str, **headers: str) -> requests.Response:
        return requests.get(
            self.site.url + path,
            headers={"Host": nginx.HOST, **headers},
            verify=False,  # noqa: S501  (the test's own self-signed certificate)
            allow_redirects=False,
            timeout=30,
        )

    def app_requests(self, path: str) -> int:
        """How many requests for `path` reached the application (its own log lines)."""
        count = 0
        for line in self.app.log().splitlines():
            if not line.startswith("{"):
                continue  # granian's own lines
            entry = json.loads(line)
            count += entry.get("event") == "request" and entry.get("path") == path
        return count


@pytest.fixture(scope="module")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("static")
    manage("collectstatic", "--noinput", "-v0", env=_env(root))
    return root


def _env(static_root: Path, secret_key: str | None = None) -> dict[str, str]:
    db = settings.DATABASES["default"]
    return clean_env(
        DJANGO_ENV="production",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secret_key or secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS=f"{nginx.HOST},127.0.0.1",
        DJANGO_STATIC_ROOT=str(static_root),
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        # This test process's keys: its edits invalidate the server's pages and cachalot rows.
        CACHE_KEY_PREFIX=settings.CACHE_KEY_PREFIX,
        PAGE_CACHE_SHARED_MAX_AGE=str(SHARED_MAX_AGE),
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
    )


@pytest.fixture
def stack(
    django_db_serialized_rollback, transactional_db, settings, static_root: Path, tmp_path: Path
) -> Iterator[Stack]:
    # One key for both processes: sessions made here (session_for) are signed with it.
    settings.SECRET_KEY = secrets.token_urlsafe(64)
    env = _env(static_root, settings.SECRET_KEY)
    with running_wsgi_server(env, tmp_path / "app.log") as app:
        site = nginx.write_site(tmp_path, wsgi=app.address, asgi=app.address)
        with nginx.running_nginx(site):
            yield Stack(app, site)


def _burst(
    stack: Stack, path: str, n: int, **headers: str
) -> list[tuple[requests.Response, float]]:
    """`n` readers asking for `path` at the same moment; each answer with its seconds."""
    start = threading.Barrier(n)

    def read(_: int) -> tuple[requests.Response, float]:
        start.wait()
        began = time.perf_counter()
        response = stack.get(path, **headers)
        return response, time.perf_counter() - began

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(read, range(n)))


def test_fifty_anonymous_readers_of_a_post_cost_one_render(stack):
    post = PostFactory.create(title="Read by fifty")
    path = post.get_absolute_url()

    answers = _burst(stack, path, READERS)

    assert [r.status_code for r, _ in answers] == [200] * READERS
    assert all("Read by fifty" in r.text for r, _ in answers)
    assert stack.app_requests(path) == 1
    assert sorted(r.headers["X-Page-Cache"] for r, _ in answers)[0] == "miss"  # it rendered


def test_a_signed_in_reader_gets_their_own_page_past_the_cache(stack):
    post = PostFactory.create(title="Read signed in")
    path = post.get_absolute_url()
    reader = verified_user("nginx-reader")
    cookie = f"sessionid={session_for(reader)}"
    anonymous = stack.get(path)  # now in nginx's cache
    assert "nginx-reader" not in anonymous.text

    mine = [stack.get(path, Cookie=cookie) for _ in range(2)]

    assert [r.status_code for r in mine] == [200, 200], mine[0].text
    assert all("nginx-reader" in r.text for r in mine)
    assert stack.app_requests(path) == 3  # the anonymous render and both of the reader's
    assert "nginx-reader" not in stack.get(path).text  # and nobody else is given theirs


def test_an_edit_shows_within_the_shared_max_age(stack):
    post = PostFactory.create(title="Before the edit")
    path = post.get_absolute_url()
    assert "Before the edit" in stack.get(path).text
    assert "Before the edit" in stack.get(path).text  # served by nginx now

    post = Post.objects.get(pk=post.pk)
    update_post(
        actor=UserFactory.create(is_superuser=True),
        post=post,
        content=replace(current_content(post), title="After the edit"),
        based_on_version=post.version,
    )
    edited = time.monotonic()
    while "After the edit" not in stack.get(path).text:
        # nginx counts whole seconds: a page lasts up to one more than its s-maxage.
        assert time.monotonic() - edited < SHARED_MAX_AGE + 1.5, "still the old page"
        time.sleep(0.1)


def test_nginx_serves_the_stale_page_while_the_application_is_down(stack):
    post = PostFactory.create(title="Still here")
    path = post.get_absolute_url()
    first = stack.get(path)
    assert first.status_code == 200
    assert f"s-maxage={SHARED_MAX_AGE}," in first.headers["Cache-Control"]
    # Past its s-maxage: stale. nginx counts whole seconds, so a page lasts up to one more.
    time.sleep(SHARED_MAX_AGE + 1.5)

    stack.app.stop()
    response = stack.get(path)

    assert response.status_code == 200
    assert "Still here" in response.text
    assert stack.site.settled_entries(path, 2)[-1]["cache"] in {"STALE", "UPDATING"}
    assert stack.get("/no-such-page-was-cached/").status_code == 502


@pytest.mark.parametrize(
    ("path", "signed_in"),
    [
        ("post", True),  # signed in: never stored, so never worth a lock
        ("/accounts/login/", False),  # sets a CSRF cookie: never stored
        ("/dashboard/", False),  # a redirect to the sign-in page: never stored
        ("/api/v2/posts", False),  # the API: not a shared page
    ],
)
def test_requests_that_cannot_be_shared_do_not_queue_behind_each_other(stack, path, signed_in):
    headers = {}
    if path == "post":
        path = PostFactory.create().get_absolute_url()
    if signed_in:
        headers["Cookie"] = f"sessionid={session_for(verified_user('nginx-queue'))}"

    answers = _burst(stack, path, 8, **headers)

    assert len({r.status_code for r, _ in answers}) == 1
    assert stack.app_requests(path) == 8
    # Time spent in nginx beyond the application's answer: a request queued behind the cache
    # lock waits 0.5 s or more (nginx polls the lock twice a second).
    waits = stack.site.waits(path, 8)
    assert len(waits) == 8
    assert max(waits) < 0.25, f"{path}: waited {sorted(waits)} s in nginx"


def test_slow_bodies_get_408_from_nginx_and_never_reach_the_application(stack):
    post = PostFactory.create(title="Still answering")
    target = f"/comments/posts/{post.pk}/"
    head = (
        f"POST {target} HTTP/1.1\r\nHost: {nginx.HOST}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nbody=I"
    ).encode()
    stalled = []
    for _ in range(8):  # as many as the server has threads, and then some
        sock = nginx.tls_socket(stack.site)
        sock.sendall(head)
        stalled.append(sock)
    try:
        # Pages the application must render (a new query each: never from the cache).
        for n in range(5):
            began = time.monotonic()
            assert stack.get(f"{post.get_absolute_url()}?n={n}").status_code == 200
            assert time.monotonic() - began < 5
        answers = [_read_all(sock) for sock in stalled]
    finally:
        for sock in stalled:
            sock.close()

    # nginx gave up on each after client_body_timeout (10 s) without a byte: 408 (sent, or
    # logged with the connection closed), and granian never saw them.
    assert all(a == b"" or a.startswith(b"HTTP/1.1 408") for a in answers), answers
    assert [e["status"] for e in stack.site.settled_entries(target, 8)] == ["408"] * 8
    assert stack.app_requests(target) == 0


def _read_all(sock) -> bytes:
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except ConnectionError:
        pass
    return answer
