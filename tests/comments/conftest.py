"""Shared comment fixtures (the live, moderation and notification tests import these too).

- `published_post`: a public post with comments open.
- `commenter`: a reader with a verified email (only verified users may comment).
- `other_commenter`: a second verified reader.
- `moderator`: an editor (`can(user, "comment.moderate")`) with a verified email.
- `make_verified(user)`: mark a user's email verified (allauth's EmailAddress).
- `commenter_client` / `moderator_client`: Clients signed in as them.
"""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import grant_role_as_system
from apps.blog.models import Post
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory

# `post` by `post_author` ("writer", "Field notes") and `other_reader` ("another"), for the
# tests of who hears about a comment (test_notices.py).
from tests.notifications.conftest import other_reader, post, post_author  # noqa: F401


def make_verified(user: User) -> User:
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


@pytest.fixture
def published_post(db) -> Post:
    return PostFactory.create(comments_open=True)


@pytest.fixture
def commenter(db) -> User:
    return make_verified(UserFactory.create())


@pytest.fixture
def other_commenter(db) -> User:
    return make_verified(UserFactory.create())


@pytest.fixture
def moderator(db) -> User:
    user = make_verified(UserFactory.create())
    return grant_role_as_system(user=user, role=Role.EDITOR, reason="test")


@pytest.fixture
def commenter_client(commenter: User) -> Client:
    client = Client()
    client.force_login(commenter)
    return client


@pytest.fixture
def moderator_client(moderator: User) -> Client:
    client = Client()
    client.force_login(moderator)
    return client


@pytest.fixture
def no_hold(db) -> None:
    """Publish comments at once (the default holds first-time commenters)."""
    from apps.comments.models import ModerationSettings

    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hold": ModerationSettings.Hold.NONE}
    )
