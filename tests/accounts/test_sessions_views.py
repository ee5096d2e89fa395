"""The sessions page: every signed-in browser, and signing them out (htmx or plain posts)."""

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.test import Client
from django.urls import reverse
from qsessions.models import Session

from apps.accounts.models import AuditEvent, User
from apps.accounts.profile.selectors import session_public_id
from tests.factories.accounts import UserFactory
from tests.utils import clear_cache, count_queries, html_elements, inline_code

pytestmark = pytest.mark.django_db

URL = "/accounts/sessions/"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)


def make_session(user: User, *, user_agent: str = IPHONE, ip: str = "198.51.100.7") -> str:
    """A signed-in session of `user` in another browser; returns its key."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(user_agent=user_agent, ip=ip)
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def browser(session_key: str) -> Client:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


def signed_in(session_key: str) -> bool:
    return "Sign out" in browser(session_key).get("/").content.decode()


@pytest.fixture
def me(client):
    user = UserFactory.create()
    client.force_login(user)
    client.get(URL, HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="203.0.113.5")  # records UA and IP
    return user


def _revoke_url(key: str) -> str:
    return reverse("accounts:session_revoke", args=[session_public_id(key)])


def test_sessions_page_requires_sign_in(client):
    assert reverse("accounts:sessions") == URL
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={URL}"
    key = make_session(UserFactory.create())
    assert client.post(_revoke_url(key)).status_code == 302
    assert client.post(reverse("accounts:sessions_revoke_others")).status_code == 302
    assert Session.objects.filter(session_key=key).exists()


def test_sessions_page_lists_browsers_and_marks_this_one(client, htmx_client, me):
    make_session(me, user_agent=IPHONE, ip="198.51.100.7")
    make_session(me, user_agent=CHROME_MAC, ip="192.0.2.44")
    make_session(UserFactory.create(), user_agent=CHROME_MAC, ip="192.0.2.99")  # not mine
    response = client.get(URL, HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="203.0.113.5")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "Firefox 128 on Linux" in html
    assert "Mobile Safari 17 on iOS 17.5" in html
    assert "iPhone" in html
    assert "Chrome 126 on Mac OS X 10.15" in html
    assert "198.51.100.7" in html
    assert "192.0.2.44" in html
    assert "203.0.113.5" in html
    assert "192.0.2.99" not in html
    assert html.count("This session") == 1
    assert html.index("This session") < html.index("Mobile Safari")  # the current one first
    assert html.count("Sign out this session") == 2
    assert "Sign out everywhere else" in html
    assert "Last seen" in html
    # Session keys are credentials: the page names sessions by an HMAC instead.
    for key in Session.objects.values_list("session_key", flat=True):
        assert key not in html
    assert inline_code(html) == []
    for tag, attrs in html_elements(html):
        assert all(name != "style" and not name.startswith("on") for name, _ in attrs), tag

    htmx_client.cookies = client.cookies
    partial = htmx_client.get(URL)
    body = partial.content.decode()
    assert partial.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="session-list"')
    assert "HX-Request" in partial["Vary"]


def test_sign_out_one_session_over_htmx(client, me):
    other = make_session(me)
    assert signed_in(other)
    response = client.post(_revoke_url(other), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="session-list"')
    assert "That session is signed out." in body
    assert "Mobile Safari" not in body
    assert not Session.objects.filter(session_key=other).exists()
    assert not signed_in(other)  # gone from the cache too
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SESSION_REVOKED)
    assert event.actor == me
    assert event.data["sessions"] == 1
    assert client.session.get(SESSION_KEY) == str(me.pk)  # still signed in here


def test_sign_out_one_session_without_javascript_redirects_back(client, me):
    other = make_session(me)
    response = client.post(_revoke_url(other))
    assert response.status_code == 302
    assert response["Location"] == URL
    assert "That session is signed out." in client.get(URL).content.decode()
    assert not Session.objects.filter(session_key=other).exists()


def test_the_current_session_cannot_be_revoked_here(client, me):
    current = client.session.session_key
    response = client.post(_revoke_url(current), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Use “Sign out” to end the session you are using." in response.content.decode()
    assert Session.objects.filter(session_key=current).exists()


def test_another_users_session_cannot_be_revoked(client, me):
    theirs = make_session(UserFactory.create())
    response = client.post(_revoke_url(theirs))
    assert response.status_code == 302
    assert "already ended or does not exist" in client.get(URL).content.decode()
    assert Session.objects.filter(session_key=theirs).exists()
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.SESSION_REVOKED).exists()


def test_sign_out_everywhere_else(client, me):
    others = [make_session(me) for _ in range(3)]
    stranger = make_session(UserFactory.create())
    response = client.post(reverse("accounts:sessions_revoke_others"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Signed out 3 other sessions." in body
    assert "Sign out everywhere else" not in body  # only this session is left
    assert not Session.objects.filter(session_key__in=others).exists()
    assert Session.objects.filter(session_key=stranger).exists()
    assert not any(signed_in(key) for key in others)
    assert client.get(URL).status_code == 200  # this browser stays signed in
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SESSION_REVOKED)
    assert event.data == {"sessions": 3, "reason": "signed out everywhere else"}


def test_sign_out_everywhere_else_without_javascript(client, me):
    make_session(me)
    response = client.post(reverse("accounts:sessions_revoke_others"))
    assert response.status_code == 302
    assert "Signed out 1 other session." in client.get(URL).content.decode()


def test_session_actions_need_post(client, me):
    other = make_session(me)
    assert client.get(_revoke_url(other)).status_code == 405
    assert client.get(reverse("accounts:sessions_revoke_others")).status_code == 405
    assert Session.objects.filter(session_key=other).exists()


def _queries(client) -> int:
    """Queries for the page with cachalot off, after a request that absorbs session writes."""
    client.get(URL, HTTP_USER_AGENT=FIREFOX)
    clear_cache()
    with count_queries() as ctx:
        assert client.get(URL, HTTP_USER_AGENT=FIREFOX).status_code == 200
    return len(ctx)


def test_sessions_page_query_count_does_not_grow_with_sessions(client, me):
    make_session(me)
    few = _queries(client)
    for _ in range(8):
        make_session(me, user_agent=CHROME_MAC)
    many = _queries(client)
    assert few == many
