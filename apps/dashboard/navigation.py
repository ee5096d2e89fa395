"""The dashboard's navigation: every entry names the permission action it needs.

A user sees only the entries `apps.accounts.permissions.can` allows, so the menu never
offers a page that would answer 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from apps.accounts.permissions import AnyUser, can


@dataclass(frozen=True)
class NavItem:
    key: str  # the page's `section`, to mark the current entry
    label: str
    url_name: str
    action: str  # an action in apps.accounts.permissions.RULES
    icon: str  # a name dashboard/_icon.html knows


@dataclass(frozen=True)
class NavGroup:
    label: str
    items: tuple[NavItem, ...]


NAVIGATION: tuple[NavGroup, ...] = (
    NavGroup(
        "Workspace",
        (
            NavItem("overview", "Overview", "dashboard:home", "dashboard.access", "home"),
            NavItem("posts", "Posts", "dashboard:posts", "post.create", "posts"),
            NavItem(
                "categories", "Categories", "dashboard:categories", "taxonomy.manage", "folder"
            ),
            NavItem("tags", "Tags", "dashboard:tags", "taxonomy.manage", "tag"),
            # Moderation ("comment.moderate") joins here when comments are built.
        ),
    ),
    NavGroup(
        "Administration",
        (
            NavItem("users", "Users & roles", "dashboard:users", "users.manage", "users"),
            NavItem("audit", "Audit log", "dashboard:audit_log", "audit.view", "audit"),
            NavItem("lockouts", "Lockouts", "dashboard:lockouts", "users.manage", "lock"),
        ),
    ),
)


@dataclass(frozen=True)
class NavLink:
    key: str
    label: str
    url: str
    icon: str


def navigation_for(user: AnyUser) -> list[tuple[str, list[NavLink]]]:
    """The groups and links `user` may open; groups left empty are dropped."""
    allowed: dict[str, bool] = {}
    menu = []
    for group in NAVIGATION:
        links = []
        for item in group.items:
            if item.action not in allowed:
                allowed[item.action] = can(user, item.action)
            if allowed[item.action]:
                links.append(NavLink(item.key, item.label, reverse(item.url_name), item.icon))
        if links:
            menu.append((group.label, links))
    return menu
