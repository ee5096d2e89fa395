"""A signed-in reader's repeated member page, answered before Django (apps.accounts.replay).

The real WSGI stack, wrapped as project/wsgi.py wraps it, on PostgreSQL and Redis: the
replay needs the sessions and the page cache in one Redis, and cachalot's stamps outside
a test transaction (so these tests commit).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.middleware.csrf import _unmask_cipher_token  # type: ignore[attr-defined]
from django.test import Client

from apps.accounts import middleware
from apps.accounts import replay as member_replay
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import grant_role_as_system
from apps.accounts.sessions import SessionStore
from apps.comments.models import Comment, ModerationSettings
from apps.core import replay
from tests.comments.conftest import make_verified
from tests.core.test_replay import Answer, call
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.utils import clear_cache, count_queries

pytestmark = [
    pytest.mark.postgres,
    # serialized_rollback: a plain flush would drop the rows data migrations made (roles).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("page_cache"),
]

SECRET = "A" * 16 + "b" * 16  # a CSRF secret as a browser holds it in its cookie
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_HEADER_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


@pytest.fixture
def app() -> Iterator[Any]:
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    clear_cache()
    try:
        yield member_replay.serve_member_pages(replay.serve_stored_pages(WSGIHandler()))
    finally:
        clear_cache()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def post(db):
    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hold": ModerationSettings.Hold.NONE}
    )
    return PostFactory.create(title="Words read twice", comments_open=True)


def _session(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _reader(name: str = "Dana Reader") -> tuple[User, str]:
    user = make_verified(UserFactory.create(display_name=name))
    return user, _session(user)


def _get(app: Any, url: str, session: str, secret: str = SECRET, **headers: str) -> Answer:
    return call(app, url, cookie=f"sessionid={session}; csrftoken={secret}", **headers)


def _replayed(app: Any, url: str, session: str) -> tuple[Answer, Answer]:
    """The stored page, then the reader's answers until one is replayed: (Django's, replayed)."""
    call(app, url)
    assert call(app, url).cache == "hit"
    first = _get(app, url, session)  # the session learns the address and browser: written
    assert first.cache == "member"
    django = _get(app, url, session)
    assert django.cache == "member"
    assert "Set-Cookie" not in django.headers or "sessionid" not in django.headers["Set-Cookie"]
    again = _get(app, url, session)
    assert again.cache == "member-replay"
    return django, again


def _without_tokens(body: bytes) -> str:
    html = body.decode()
    return _HEADER_TOKEN.sub("", _TOKEN.sub("", html))


def test_the_repeated_page_is_replayed_as_django_made_it(app, post):
    _, session = _reader()
    url = post.get_absolute_url()
    django, replayed = _replayed(app, url, session)
    with count_queries() as queries:
        again = _get(app, url, session)
    assert again.cache == "member-replay"
    assert len(queries) == 0
    assert replayed.status == "200 OK"
    html = replayed.body.decode()
    assert "Dana Reader" in html
    assert 'id="comment-form"' in html
    assert _without_tokens(replayed.body) == _without_tokens(django.body)
    assert int(replayed.headers["Content-Length"]) == len(replayed.body)
    for name in ("Content-Security-Policy", "Content-Type", "X-Frame-Options", "Cache-Control"):
        assert replayed.headers[name] == django.headers[name]
    assert "private" in replayed.headers["Cache-Control"]
    assert replayed.headers["X-Request-ID"] != django.headers["X-Request-ID"]
    # The CSRF cookie is renewed, with the same secret, as Django renews it.
    cookie = replayed.headers["Set-Cookie"]
    assert cookie.lstrip().startswith(f"csrftoken={SECRET};")
    assert "expires=" in cookie.lower()


def test_each_answer_masks_the_secret_anew_and_its_token_posts(app, post):
    _, session = _reader()
    url = post.get_absolute_url()
    django, replayed = _replayed(app, url, session)
    third = _get(app, url, session)
    tokens = [_TOKEN.search(a.body.decode())[1] for a in (django, replayed, third)]  # type: ignore[index]
    assert len(set(tokens)) == 3
    assert {_unmask_cipher_token(token) for token in tokens} == {SECRET}
    header = _HEADER_TOKEN.search(third.body.decode())
    assert header is not None
    assert _unmask_cipher_token(header[1]) == SECRET
    poster = Client(enforce_csrf_checks=True)
    poster.cookies["sessionid"] = session
    poster.cookies["csrftoken"] = SECRET
    answer = poster.post(
        f"/comments/posts/{post.pk}/",
        {"body": "Posted from a replayed page", "csrfmiddlewaretoken": tokens[2]},
        HTTP_USER_AGENT="",
    )
    assert answer.status_code in {200, 302}
    assert Comment.objects.filter(post=post, body="Posted from a replayed page").exists()
    # The page shows it (the post's page changed, and a message waits): Django answers.
    after = _get(app, url, session)
    assert after.cache != "member-replay"
    assert "Posted from a replayed page" in after.body.decode()


def test_another_reader_never_gets_the_record(app, post):
    _, session = _reader("First Reader")
    url = post.get_absolute_url()
    _replayed(app, url, session)
    _, other_session = _reader("Second Reader")
    for _ in range(3):
        answer = _get(app, url, other_session)
        assert "Second Reader" in answer.body.decode()
        assert "First Reader" not in answer.body.decode()
    # Nor does the first reader's other session (another device), nor another CSRF secret.
    first = User.objects.get(display_name="First Reader")
    assert _get(app, url, _session(first)).cache == "member"
    assert _get(app, url, session, secret="C" * 32).cache == "member"


def test_signing_out_anywhere_ends_the_replay(app, post):
    _, session = _reader()
    url = post.get_absolute_url()
    _replayed(app, url, session)
    SessionStore(session_key=session).delete()  # signed out (from any device)
    answer = _get(app, url, session)
    assert answer.cache != "member-replay"
    assert "Dana Reader" not in answer.body.decode()


@pytest.mark.parametrize("change", ["password", "deactivated", "role"])
def test_an_account_change_ends_the_replay(app, post, change):
    reader, session = _reader()
    url = post.get_absolute_url()
    _replayed(app, url, session)
    if change == "password":
        reader.set_password("a wholly new passphrase 42")
        reader.save()
    elif change == "deactivated":
        User.objects.filter(pk=reader.pk).update(is_active=False)
    else:
        grant_role_as_system(user=reader, role=Role.AUTHOR, reason="test")
    answer = _get(app, url, session)
    assert answer.cache != "member-replay"
    html = answer.body.decode()
    if change == "role":
        assert "/dashboard/" in html  # still signed in, with the new role's header
    else:
        assert "Dana Reader" not in html  # signed out


def test_a_session_written_elsewhere_ends_the_replay(app, post):
    # (A flash message arrives with its own cookie, which Django answers: see below. What
    # else a request on another tab writes to the session, the replay must see too.)
    _, session = _reader()
    url = post.get_absolute_url()
    _replayed(app, url, session)
    store = SessionStore(session_key=session, ip="127.0.0.1", user_agent="")  # type: ignore[call-arg]  # qsessions
    store["newsletter_prompt_seen"] = True
    store.save()
    answer = _get(app, url, session)
    assert answer.cache == "member"
    assert _get(app, url, session).cache == "member-replay"  # recorded again, as it now is


def test_other_cookies_and_a_missing_csrf_cookie_go_to_django(app, post):
    _, session = _reader()
    url = post.get_absolute_url()
    _replayed(app, url, session)
    with_messages = call(app, url, cookie=f"sessionid={session}; csrftoken={SECRET}; messages=x")
    assert with_messages.cache != "member-replay"
    assert call(app, url, cookie=f"sessionid={session}").cache != "member-replay"
    assert _get(app, url, session, secret="short").cache != "member-replay"
    # Another browser on the same session is a write (qsessions keeps the user agent).
    assert _get(app, url, session, user_agent="Other/1.0").cache == "member"


def test_a_chosen_language_keeps_the_replay_under_its_own_key(app, post):
    _, session = _reader()
    url = post.get_absolute_url()
    _replayed(app, url, session)
    cookie = f"sessionid={session}; csrftoken={SECRET}; language=de"
    assert call(app, url, cookie=cookie).cache == "member"  # a new key: Django answers once
    assert call(app, url, cookie=cookie).cache == "member-replay"


def test_the_last_seen_write_goes_to_django(app, post, monkeypatch):
    _, session = _reader()
    url = post.get_absolute_url()
    _replayed(app, url, session)
    # Five minutes later, as far as both sides can tell.
    monkeypatch.setattr(member_replay, "LAST_SEEN_WINDOW", 0)
    monkeypatch.setattr(middleware, "LAST_SEEN_WINDOW", 0)
    answer = _get(app, url, session)
    assert answer.cache == "member"
    assert "sessionid=" in answer.headers.get("Set-Cookie", "")  # the session was written


def test_a_gated_or_api_path_is_never_replayed(app, post):
    reader, session = _reader()
    grant_role_as_system(user=reader, role=Role.AUTHOR, reason="test")
    for _ in range(3):
        answer = _get(app, "/dashboard/", session)
        assert answer.cache is None or answer.cache != "member-replay"


@pytest.mark.slow
def test_redis_down_sends_the_reader_to_django(own_redis, settings, post):
    settings.SESSION_ENGINE = "apps.accounts.sessions"  # the fixture's is qsessions' own
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        clear_cache()
        app = member_replay.serve_member_pages(replay.serve_stored_pages(WSGIHandler()))
        _, session = _reader()
        url = post.get_absolute_url()
        _replayed(app, url, session)
        own_redis.stop()
        answer = _get(app, url, session)
        # No page cache and no cached session: the database answers, still signed in.
        assert answer.status == "200 OK"
        assert answer.cache is None
        assert "Dana Reader" in answer.body.decode()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
