"""Notification fixtures.

- `post_author`: the author of `post`; `post`: a published post by them.
- `commenter`: a reader; `other_reader`: another one.
- `comment_on(post, author, body, parent)`: a published comment (CommentFactory).
"""

from __future__ import annotations

import pytest

from apps.accounts.models import User
from apps.blog.models import Post
from apps.comments.models import Comment
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory


def comment_on(
    post: Post, author: User | None, body: str = "Nice post.", parent: Comment | None = None
) -> Comment:
    if parent is not None:
        return CommentFactory.create(parent=parent, author=author, body=body)
    return CommentFactory.create(post=post, author=author, body=body)


@pytest.fixture
def post_author(db) -> User:
    return UserFactory.create(username="writer")


@pytest.fixture
def post(post_author: User) -> Post:
    return PostFactory.create(author=post_author, title="Field notes")


@pytest.fixture
def commenter(db) -> User:
    return UserFactory.create(username="reader")


@pytest.fixture
def other_reader(db) -> User:
    return UserFactory.create(username="another")
