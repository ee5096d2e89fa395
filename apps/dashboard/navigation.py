"""The dashboard's navigation: every entry names the permission action it needs.

A user sees only the entries `apps.accounts.permissions.can` allows, so the menu never
offers a page that would answer 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.accounts.permissions import AnyUser, can
from apps.comments.selectors.moderation import held_count


@dataclass(frozen=True)
class NavItem:
    key: str  # the page's `section`, to mark the current entry
    label: str | Promise
    url_name: str
    action: str  # an action in apps.accounts.permissions.RULES
    icon: str  # a name dashboard/_icon.html knows
    # A count shown beside the label (one query, asked only when the entry is shown).
    badge: Callable[[], int] | None = None


@dataclass(frozen=True)
class NavGroup:
    label: str | Promise
    items: tuple[NavItem, ...]


NAVIGATION: tuple[NavGroup, ...] = (
    NavGroup(
        _("Workspace"),
        (
            NavItem("overview", _("Overview"), "dashboard:home", "dashboard.access", "home"),
            NavItem("posts", _("Posts"), "dashboard:posts", "post.create", "posts"),
            NavItem(
                "categories", _("Categories"), "dashboard:categories", "taxonomy.manage", "folder"
            ),
            NavItem("tags", _("Tags"), "dashboard:tags", "taxonomy.manage", "tag"),
            NavItem(
                "moderation",
                _("Moderation"),
                "dashboard:moderation",
                "comment.moderate",
                "comments",
                badge=held_count,
            ),
            NavItem(
                "newsletter", _("Newsletter"), "dashboard:newsletter", "newsletter.manage", "mail"
            ),
            NavItem("analytics", _("Analytics"), "dashboard:analytics", "analytics.view", "chart"),
        ),
    ),
    NavGroup(
        _("Administration"),
        (
            NavItem("users", _("Users & roles"), "dashboard:users", "users.manage", "users"),
            NavItem("audit", _("Audit log"), "dashboard:audit_log", "audit.view", "audit"),
            NavItem("lockouts", _("Lockouts"), "dashboard:lockouts", "users.manage", "lock"),
            NavItem("webhooks", _("Webhooks"), "dashboard:webhooks", "settings.manage", "link"),
            NavItem("exports", _("Export"), "dashboard:exports", "site.export", "download"),
            NavItem("imports", _("Import a site"), "dashboard:imports", "site.import", "upload"),
        ),
    ),
)


@dataclass(frozen=True)
class NavLink:
    key: str
    label: str | Promise
    url: str
    icon: str
    badge: int = 0


def navigation_for(user: AnyUser) -> list[tuple[str | Promise, list[NavLink]]]:
    """The groups and links `user` may open; groups left empty are dropped."""
    if isinstance(user, User):
        # `can` reads the user's groups for every entry; load them once (the page reuses them).
        prefetch_related_objects([user], "groups")
    allowed: dict[str, bool] = {}
    menu = []
    for group in NAVIGATION:
        links = []
        for item in group.items:
            if item.action not in allowed:
                allowed[item.action] = can(user, item.action)
            if allowed[item.action]:
                badge = item.badge() if item.badge is not None else 0
                links.append(
                    NavLink(item.key, item.label, reverse(item.url_name), item.icon, badge)
                )
        if links:
            menu.append((group.label, links))
    return menu
