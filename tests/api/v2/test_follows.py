"""Following authors over /api/v2: check, follow and unfollow with a token."""

from __future__ import annotations

import pytest

from apps.accounts.models import Follow
from tests.api.conftest import access_for, call
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v2/authors/ada/follow"


@pytest.fixture
def author():
    return UserFactory.create(username="ada")


@pytest.fixture
def reader():
    return UserFactory.create(username="bob")


def test_follow_needs_a_token(api, author):
    assert call(api, "post", URL).status_code == 401
    assert call(api, "get", URL).status_code == 401
    assert not Follow.objects.exists()


def test_follow_then_unfollow(api, author, reader):
    token = access_for(reader)

    response = call(api, "post", URL, token=token)
    assert response.status_code == 200
    assert response.json() == {"author": "ada", "following": True, "followers": 1}
    assert call(api, "post", URL, token=token).json()["followers"] == 1  # idempotent
    assert call(api, "get", URL, token=token).json()["following"] is True

    assert call(api, "delete", URL, token=token).status_code == 204
    assert call(api, "delete", URL, token=token).status_code == 204
    assert call(api, "get", URL, token=token).json() == {
        "author": "ada",
        "following": False,
        "followers": 0,
    }


def test_follow_an_unknown_or_closed_author_is_404(api, reader):
    UserFactory.create(username="gone", is_active=False)
    token = access_for(reader)
    for path in ("/api/v2/authors/nobody/follow", "/api/v2/authors/gone/follow"):
        response = call(api, "post", path, token=token)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_following_yourself_is_a_validation_error(api, author):
    response = call(api, "post", URL, token=access_for(author))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert not Follow.objects.exists()
