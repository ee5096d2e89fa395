"""Comment fixtures for the v1 API tests: a post open for comments, a commenter, a moderator."""

from __future__ import annotations

import pytest

from apps.accounts.roles import Role
from tests.accounts.conftest import make_user_with_role
from tests.comments.conftest import make_verified
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory


@pytest.fixture
def post(db):
    return PostFactory.create(slug="hello", comments_open=True)


@pytest.fixture
def commenter(db):
    return make_verified(UserFactory.create())


@pytest.fixture
def moderator(db):
    return make_verified(make_user_with_role(Role.EDITOR))


def _url(post, query=""):
    return f"/api/v1/posts/{post.slug}/comments{query}"
