"""Redis stops and starts again while readers, commenters, the app and live sockets keep going.

The production shape on the real services: granian (WSGI) for pages, forms and the API, the
ASGI server for the live sockets, PostgreSQL, and a redis-server of this test's own behind
the cache, the sessions and the channel layer (never the shared one). A bounded load runs
for a few seconds, Redis is stopped for a few seconds, started again, and the load goes on
a little longer. Redis comes back with its data (a blip or failover: the case where a stale
value could be served) or empty (a crash). Then:

- no request answered 500, and every 503 carried `Retry-After`;
- every comment a client was told was stored (after obeying `Retry-After`, with the same
  form token or `Idempotency-Key`) is stored exactly once, and no unacknowledged one is;
- every comment has its notification for the post's author;
- every live client, reconnecting with `?since=` as the app does, saw every event of the
  post's stream exactly once, with no gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import websockets

from apps.comments.models import Comment, ModerationSettings
from apps.comments.selectors import stream_seq
from apps.notifications.models import Kind, Notification
from tests.api.conftest import access_for
from tests.factories.blog import PostFactory
from tests.perf.seeding import session_for, verified_user
from tests.servers import RedisServer, Server, clean_env, running_server, running_wsgi_server

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CSRF = "b" * 32  # an unmasked token: the cookie and the header carry the same one
BEFORE, OUTAGE, AFTER = 2.0, 4.0, 3.0  # seconds of load around and during the outage
LIVE_CLIENTS = 3


@dataclass
class Answer:
    what: str
    status: int
    retry_after: bool
    during_outage: bool


@dataclass
class Load:
    redis: RedisServer
    answers: list[Answer] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    unacknowledged: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, what: str, response: requests.Response) -> None:
        with self.lock:
            self.answers.append(
                Answer(
                    what=what,
                    status=response.status_code,
                    retry_after="Retry-After" in response.headers,
                    during_outage=not self.redis.running,
                )
            )


@pytest.fixture
def stack(own_redis: RedisServer, settings, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    settings.SECRET_KEY = secrets.token_urlsafe(64)  # sessions and tokens signed here work there
    db = settings.DATABASES["default"]
    env = clean_env(
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DJANGO_DEBUG="false",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL=own_redis.url,
        CACHE_KEY_PREFIX=settings.CACHE_KEY_PREFIX,
        CACHE_RETRY_INTERVAL="0.5",
        COMMENT_RATE_LIMIT="100000",
        API_RATE_LIMIT_USER="100000",
        API_RATE_LIMIT_ANON="100000",
        LOG_FORMAT="json",
    )
    with (
        running_wsgi_server(env, tmp_path / "granian.log", workers=1, threads=6) as wsgi,
        running_server(env, tmp_path / "asgi.log") as asgi,
    ):
        yield wsgi, asgi


def _obeying_retry_after(
    load: Load, what: str, send: Callable[[], requests.Response]
) -> requests.Response:
    """Send until the answer is not a 503, waiting as `Retry-After` says (capped for the test)."""
    while True:
        response = send()
        load.record(what, response)
        if response.status_code != 503:
            return response
        time.sleep(min(float(response.headers.get("Retry-After", "1")), 0.5))


def _reader(load: Load, base: str, paths: list[str]) -> None:
    with requests.Session() as http:
        while not load.stop.is_set():
            for path in paths:
                load.record("page", http.get(base + path, timeout=10))


def _form_commenter(load: Load, base: str, post_id: int, session: str) -> None:
    with requests.Session() as http:
        http.cookies.set("sessionid", session)
        http.cookies.set("csrftoken", CSRF)
        n = 0
        while not load.stop.is_set():
            n += 1
            body = f"form comment {n} {uuid.uuid4().hex[:8]}"
            form = {"body": body, "token": str(uuid.uuid4())}  # the same token on every retry

            def send() -> requests.Response:
                return http.post(
                    f"{base}/comments/posts/{post_id}/",
                    data=form,  # noqa: B023
                    headers={"X-CSRFToken": CSRF, "Origin": base},
                    allow_redirects=False,
                    timeout=10,
                )

            answer = _obeying_retry_after(load, "form", send)
            with load.lock:
                (load.acknowledged if answer.status_code == 302 else load.unacknowledged).append(
                    body
                )
            time.sleep(0.1)


def _api_commenter(load: Load, base: str, slug: str, token: str) -> None:
    with requests.Session() as http:
        n = 0
        while not load.stop.is_set():
            n += 1
            body = f"api comment {n} {uuid.uuid4().hex[:8]}"
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}

            def send() -> requests.Response:
                return http.post(
                    f"{base}/api/v2/posts/{slug}/comments",
                    json={"body": body},  # noqa: B023
                    headers=headers,  # noqa: B023
                    timeout=10,
                )

            answer = _obeying_retry_after(load, "api", send)
            with load.lock:
                (load.acknowledged if answer.status_code == 201 else load.unacknowledged).append(
                    body
                )
            http.get(f"{base}/api/v2/posts", timeout=10)
            time.sleep(0.1)


@dataclass
class LiveClient:
    """The mobile app's protocol: JSON frames, reconnect with `?since=` the last number seen."""

    url: str
    since: int
    seen: list[int] = field(default_factory=list)
    reloads: int = 0
    connects: int = 0

    async def run(self, until: asyncio.Event) -> None:
        while not until.is_set():
            with contextlib.suppress(OSError, websockets.WebSocketException, TimeoutError):
                async with websockets.connect(
                    f"{self.url}?format=json&since={self.since}", open_timeout=3
                ) as socket:
                    self.connects += 1
                    while not until.is_set():
                        with contextlib.suppress(TimeoutError):
                            frame = json.loads(await asyncio.wait_for(socket.recv(), 0.5))
                            self.take(frame)
            await asyncio.sleep(0.2)

    def take(self, frame: dict[str, object]) -> None:
        seq = frame.get("seq")
        if not isinstance(seq, int) or frame.get("type") == "live.connected":
            return
        if frame.get("type") == "live.reload":
            self.reloads += 1
            self.since = seq
            return
        if seq > self.since:
            self.seen.append(seq)
            self.since = seq
        elif frame.get("type") != "live.skip":
            self.seen.append(seq)  # an event sent twice: the assertion below shows it


def _live(clients: list[LiveClient], until: asyncio.Event, done: threading.Event) -> None:
    async def main() -> None:
        async def watch() -> None:
            while not done.is_set():
                await asyncio.sleep(0.1)
            until.set()

        await asyncio.gather(watch(), *(client.run(until) for client in clients))

    asyncio.run(main())


@pytest.mark.parametrize("comes_back", ["with its data", "empty"])
def test_redis_outage_under_load_loses_and_doubles_nothing(stack, own_redis, comes_back):
    wsgi, asgi = stack
    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hold": ModerationSettings.Hold.NONE}
    )
    author = verified_user("fault-author")
    post = PostFactory.create(title="Under load", author=author, comments_open=True)
    form_user, api_user = verified_user("fault-form"), verified_user("fault-api")
    session, token = session_for(form_user), access_for(api_user)
    start_seq = stream_seq(post.pk)

    load = Load(redis=own_redis)
    live_done = threading.Event()
    ws_base = asgi.url.replace("http://", "ws://")
    clients = [
        LiveClient(url=f"{ws_base}/ws/posts/{post.pk}/", since=start_seq)
        for _ in range(LIVE_CLIENTS)
    ]
    threads = [
        threading.Thread(
            target=_reader, args=(load, wsgi.url, ["/", post.get_absolute_url()]), daemon=True
        ),
        threading.Thread(
            target=_reader,
            args=(load, wsgi.url, [post.get_absolute_url(), "/api/v2/posts"]),
            daemon=True,
        ),
        threading.Thread(
            target=_form_commenter, args=(load, wsgi.url, post.pk, session), daemon=True
        ),
        threading.Thread(
            target=_api_commenter, args=(load, wsgi.url, post.slug, token), daemon=True
        ),
    ]
    live = threading.Thread(target=_live, args=(clients, asyncio.Event(), live_done), daemon=True)
    live.start()
    for thread in threads:
        thread.start()

    time.sleep(BEFORE)
    own_redis.stop()
    if comes_back == "empty":  # a crash, not a blip: nothing it held survives
        (own_redis.workdir / "dump.rdb").unlink(missing_ok=True)
    time.sleep(OUTAGE)
    own_redis.start()
    time.sleep(AFTER)
    load.stop.set()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a load thread hung"

    # The live clients catch up on their own (a reconnect with ?since=, or the gap repair).
    final_seq = stream_seq(post.pk)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(c.since < final_seq for c in clients):
        time.sleep(0.2)
    live_done.set()
    live.join(timeout=10)

    statuses = Counter((a.what, a.status) for a in load.answers)
    assert not [a for a in load.answers if a.status >= 500 and a.status != 503], statuses
    assert all(a.retry_after for a in load.answers if a.status == 503), statuses
    assert {a.status for a in load.answers} <= {200, 201, 302, 503}, statuses
    assert sum(a.during_outage for a in load.answers) > 20, "the outage saw too little load"
    assert {a.what for a in load.answers if a.during_outage} >= {"page", "form", "api"}

    # Every acknowledged comment exactly once; nothing stored that a client was not told of.
    assert len(load.acknowledged) > 10
    assert not load.unacknowledged, load.unacknowledged
    stored = Counter(Comment.objects.filter(post=post).values_list("body", flat=True))
    assert stored == Counter(load.acknowledged)

    # Every comment has its notification for the post's author.
    comment_ids = set(Comment.objects.filter(post=post).values_list("pk", flat=True))
    notified = set(
        Notification.objects.filter(
            recipient=author, kind=Kind.POST_COMMENT, comment__post=post
        ).values_list("comment_id", flat=True)
    )
    assert notified == comment_ids

    # Every live client saw the whole stream, once each, no gap.
    assert final_seq - start_seq >= len(load.acknowledged)
    expected = list(range(start_seq + 1, final_seq + 1))
    for client in clients:
        assert client.reloads == 0
        assert client.connects >= 1
        assert client.seen == expected, (
            f"missing {sorted(set(expected) - set(client.seen))[:10]}, "
            f"twice {[s for s, n in Counter(client.seen).items() if n > 1][:10]}"
        )
