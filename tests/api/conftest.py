"""API test helpers: users by role, tokens, and a JSON client.

- `call(client, method, path, token=None, body=None, **headers)`: one API request;
  `body` is sent as JSON (a str/bytes body is sent as is).
- `access_for(user)` / `pair_for(user)`: tokens issued by the real token service.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.tokens import TokenPair, issue_token_pair
from tests.accounts.conftest import PASSWORD, make_user_with_role
from tests.factories.accounts import UserFactory

__all__ = ["PASSWORD", "access_for", "call", "pair_for"]


def pair_for(user: User, *, second_factor: bool = True) -> TokenPair:
    """Tokens as a sign-in gives them: staff have passed their second factor to get any."""
    return issue_token_pair(user=user, second_factor=second_factor)


def access_for(user: User) -> str:
    return pair_for(user).access


def call(
    client: Client,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    **headers: str,
) -> Any:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data: Any = None
    if body is not None:
        data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.generic(
        method.upper(), path, data=data or "", content_type="application/json", headers=headers
    )


@pytest.fixture
def api() -> Client:
    return Client()


@pytest.fixture
def reader(db) -> User:
    return UserFactory.create()


@pytest.fixture
def author(db) -> User:
    return make_user_with_role(Role.AUTHOR)


@pytest.fixture
def editor(db) -> User:
    return make_user_with_role(Role.EDITOR)


@pytest.fixture
def admin(db) -> User:
    return make_user_with_role(Role.ADMIN)
