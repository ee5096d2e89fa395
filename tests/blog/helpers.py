"""Small builders the blog's service tests share."""

from typing import Any

from django.contrib.auth.models import Group

from apps.accounts.models import User
from apps.blog.services import PostContent
from tests.factories.accounts import UserFactory


def user_in_role(role: str) -> User:
    """A new user in the role's group ("author", "editor", …; the groups come from migrations)."""
    user = UserFactory.create()
    user.groups.add(Group.objects.get(name=role))
    return user


def post_content(**overrides: Any) -> PostContent:
    """A short valid `PostContent`; `overrides` replace its fields."""
    values: dict[str, Any] = {"title": "On small tools", "body": "## Why\n\nBecause *they* last."}
    values.update(overrides)
    return PostContent(**values)
