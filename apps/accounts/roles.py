"""Roles are Django groups with explicit permissions; a user's role is the highest they hold.

The data migration `0003_roles` creates the groups from `ROLE_PERMISSIONS`; change
both together (a new migration) when a role gains or loses a permission.
"""

from __future__ import annotations

from enum import StrEnum
from typing import cast

from django.db.models import prefetch_related_objects
from django.utils.translation import pgettext_lazy

from apps.accounts.models import User


class Role(StrEnum):
    READER = "reader"
    AUTHOR = "author"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The role's name for people, in the active language (lazy: choices built at import
        time follow the page's language)."""
        return cast(str, ROLE_LABELS[self])

    @property
    def rank(self) -> int:
        return ROLE_ORDER.index(self)


ROLE_ORDER = [Role.READER, Role.AUTHOR, Role.EDITOR, Role.ADMIN]
ROLE_LABELS = {
    Role.READER: pgettext_lazy("role", "Reader"),
    Role.AUTHOR: pgettext_lazy("role", "Author"),
    Role.EDITOR: pgettext_lazy("role", "Editor"),
    Role.ADMIN: pgettext_lazy("role", "Admin"),
}

_AUTHOR = ["blog.add_post", "blog.change_post", "blog.view_post"]
_EDITOR = [
    *_AUTHOR,
    "blog.delete_post",
    "blog.review_post",
    "blog.publish_post",
    "blog.edit_any_post",
    "blog.add_category",
    "blog.change_category",
    "blog.delete_category",
    "blog.add_tag",
    "blog.change_tag",
    "blog.delete_tag",
]
_ADMIN = [
    *_EDITOR,
    "accounts.manage_roles",
    "accounts.view_user",
    "accounts.view_audit_log",
    "waffle.change_switch",
    "waffle.change_flag",
]

ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.READER: [],
    Role.AUTHOR: _AUTHOR,
    Role.EDITOR: _EDITOR,
    Role.ADMIN: _ADMIN,
}


def role_of(user: User) -> Role:
    """The user's highest role; superusers are admins, everyone else at least a reader."""
    if user.is_superuser:
        return Role.ADMIN
    # Read once per user object: a page asks several times (header, comment form, gates).
    # groups.add/remove/clear drop the prefetched rows, so a change is seen at once.
    prefetch_related_objects([user], "groups")
    names = {group.name for group in user.groups.all()}
    for role in reversed(ROLE_ORDER):
        if role.value in names:
            return role
    return Role.READER


def has_role(user: User, role: Role) -> bool:
    """True when the user is active and holds this role or a higher one."""
    return bool(user.is_authenticated and user.is_active and role_of(user).rank >= role.rank)
