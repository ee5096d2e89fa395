"""Sign in with GitHub and Google: the whole OAuth round trip, providers faked at HTTP level.

allauth talks to providers through `requests` (its adapter's `get_requests_session`);
the fake replaces `HTTPAdapter.send`, the last step before the network, so allauth's
own URL building, state check, token exchange and profile parsing all run for real.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import SESSION_KEY
from requests.structures import CaseInsensitiveDict

from apps.accounts.models import AuditEvent, User, username_validator
from tests.factories.accounts import UserFactory
from tests.utils import html_elements, inline_code

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/accounts/{provider}/login/callback/"
PROVIDERS: dict[str, dict[str, Any]] = {
    "github": {
        "APPS": [{"client_id": "gh-client", "secret": "gh-secret"}],
        "SCOPE": ["read:user", "user:email"],
    },
    "google": {
        "APPS": [{"client_id": "g-client", "secret": "g-secret"}],
        "SCOPE": ["profile", "email"],
    },
}

Route = Callable[[requests.PreparedRequest], tuple[int, Any]]


class FakeProviders:
    """Answers allauth's HTTP requests from a routing table; anything else fails the test."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.requests: list[requests.PreparedRequest] = []

    def route(self, method: str, url: str, answer: Route) -> None:
        self.routes[(method, url)] = answer

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.requests.append(request)
        url = (request.url or "").split("?")[0]
        answer = self.routes.get((request.method or "", url))
        if answer is None:
            raise AssertionError(f"Unexpected request to the network: {request.method} {url}")
        status, payload = answer(request)
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(payload).encode()
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response

    def sent(self, method: str, url: str) -> list[requests.PreparedRequest]:
        return [
            r for r in self.requests if r.method == method and (r.url or "").split("?")[0] == url
        ]


@pytest.fixture
def providers(settings, monkeypatch) -> FakeProviders:
    settings.SOCIALACCOUNT_PROVIDERS = PROVIDERS
    fake = FakeProviders()
    monkeypatch.setattr(
        requests.adapters.HTTPAdapter,
        "send",
        lambda adapter, request, **kw: fake.send(request, **kw),
    )
    return fake


def github(fake: FakeProviders, *, login: str, name: str, email: str, uid: int = 4242) -> None:
    fake.route(
        "POST",
        "https://github.com/login/oauth/access_token",
        lambda r: (200, {"access_token": "gh-token", "token_type": "bearer", "scope": "read:user"}),
    )
    fake.route(
        "GET",
        "https://api.github.com/user",
        lambda r: (200, {"id": uid, "login": login, "name": name, "email": email}),
    )
    fake.route(
        "GET",
        "https://api.github.com/user/emails",
        lambda r: (200, [{"email": email, "primary": True, "verified": True}]),
    )


def google(fake: FakeProviders, *, email: str, name: str, uid: str = "1089") -> None:
    fake.route(
        "POST",
        "https://oauth2.googleapis.com/token",
        lambda r: (200, {"access_token": "g-token", "token_type": "Bearer", "expires_in": 3600}),
    )
    fake.route(
        "GET",
        "https://www.googleapis.com/oauth2/v2/userinfo",
        lambda r: (
            200,
            {"id": uid, "email": email, "verified_email": True, "name": name, "given_name": name},
        ),
    )


def start(client, provider: str) -> dict[str, list[str]]:
    """Press "Continue with …": allauth redirects to the provider's authorize URL."""
    response = client.post(f"/accounts/{provider}/login/?process=login")
    assert response.status_code == 302
    url = urlparse(response["Location"])
    query = parse_qs(url.query)
    expected = {
        "github": ("github.com", "/login/oauth/authorize"),
        "google": ("accounts.google.com", "/o/oauth2/v2/auth"),
    }[provider]
    assert (url.scheme, url.netloc, url.path) == ("https", *expected)
    assert query["client_id"] == [PROVIDERS[provider]["APPS"][0]["client_id"]]
    assert query["redirect_uri"] == [CALLBACK.format(provider=provider)]
    assert query["response_type"] == ["code"]
    assert query["state"][0]
    return query


def callback(client, provider: str, *, code: str, state: str):
    return client.get(f"/accounts/{provider}/login/callback/", {"code": code, "state": state})


def test_github_round_trip_creates_a_user_with_a_unique_username(client, providers):
    # The names the GitHub login and the email address suggest are both taken.
    UserFactory.create(username="octo_cat")
    UserFactory.create(username="mona")
    github(providers, login="Octo-Cat", name="Mona Octocat", email="mona@example.com")
    state = start(client, "github")["state"][0]
    assert not providers.requests  # nothing leaves before the provider sends the user back

    response = callback(client, "github", code="the-code", state=state)

    assert response.status_code == 302
    assert response["Location"] == "/"
    (token_request,) = providers.sent("POST", "https://github.com/login/oauth/access_token")
    body = parse_qs(str(token_request.body))
    assert body["code"] == ["the-code"]
    assert body["client_id"] == ["gh-client"]
    assert body["client_secret"] == ["gh-secret"]
    assert body["redirect_uri"] == [CALLBACK.format(provider="github")]
    (profile_request,) = providers.sent("GET", "https://api.github.com/user")
    assert profile_request.headers["Authorization"] == "token gh-token"

    user = User.objects.get(email="mona@example.com")
    username_validator(user.username)  # URL-safe
    assert user.username not in {"octo_cat", "mona", "Octo-Cat"}
    assert User.objects.filter(username__iexact=user.username).count() == 1
    assert user.display_name == "Mona Octocat"
    assert not user.has_usable_password()
    assert SocialAccount.objects.get(user=user).uid == "4242"
    assert EmailAddress.objects.get(user=user).verified
    assert client.session[SESSION_KEY] == str(user.pk)
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGNUP, target=user).exists()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.LOGIN, target=user).exists()
    assert "Mona Octocat" in client.get("/").content.decode()  # the header's account menu


def test_google_round_trip_creates_and_signs_in_a_user(client, providers):
    UserFactory.create(username="grace")  # adapters.unique_username numbers the next one
    google(providers, email="grace@example.com", name="Grace Hopper")
    state = start(client, "google")["state"][0]

    response = callback(client, "google", code="g-code", state=state)

    assert response.status_code == 302
    (token_request,) = providers.sent("POST", "https://oauth2.googleapis.com/token")
    body = parse_qs(str(token_request.body))
    assert body["code"] == ["g-code"]
    assert body["client_secret"] == ["g-secret"]
    (info_request,) = providers.sent("GET", "https://www.googleapis.com/oauth2/v2/userinfo")
    assert info_request.headers["Authorization"] == "Bearer g-token"
    user = User.objects.get(email="grace@example.com")
    assert user.username == "grace2"
    assert SocialAccount.objects.get(user=user, provider="google").uid == "1089"
    assert client.session[SESSION_KEY] == str(user.pk)


def test_a_returning_github_user_signs_in_to_the_same_account(client, providers):
    github(providers, login="octo", name="Mona", email="mona@example.com")
    callback(client, "github", code="one", state=start(client, "github")["state"][0])
    user = User.objects.get(email="mona@example.com")
    client.post("/accounts/logout/")
    assert SESSION_KEY not in client.session

    callback(client, "github", code="two", state=start(client, "github")["state"][0])

    assert client.session[SESSION_KEY] == str(user.pk)
    assert User.objects.filter(email="mona@example.com").count() == 1


def test_a_forged_state_is_refused_and_nobody_is_signed_in(client, providers):
    github(providers, login="octo", name="Mona", email="mona@example.com")
    start(client, "github")
    response = callback(client, "github", code="the-code", state="forged-state")
    html = response.content.decode()
    assert response.status_code == 401
    assert "Third-party login failure" in html
    assert "Skip to content" in html  # our layout
    assert not providers.requests  # no token exchange with a forged state
    assert not User.objects.filter(email="mona@example.com").exists()
    assert SESSION_KEY not in client.session


def test_a_provider_email_that_has_an_account_asks_to_finish_signing_up(client, providers):
    UserFactory.create(email="taken@example.com")
    github(providers, login="octo", name="Mona", email="taken@example.com")
    response = callback(client, "github", code="c", state=start(client, "github")["state"][0])
    assert response.status_code == 302
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "You are signing up for Inkwell with your GitHub account" in html
    assert inline_code(html) == []
    for tag, attrs in html_elements(html):
        assert all(name != "style" and not name.startswith("on") for name, _ in attrs), tag
    assert User.objects.filter(email="taken@example.com").count() == 1
    assert SESSION_KEY not in client.session
