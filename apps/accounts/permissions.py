"""Who may do what: role and object rules in one place, shared by pages, API and consumers.

Services call `require(user, action, obj)`; templates and views may call `can` to
decide what to show. Each action maps to a rule; an unknown action is a bug.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.roles import Role, has_role

AnyUser = User | AnonymousUser


def _active(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active)


def _owns(user: AnyUser, obj: Any) -> bool:
    return bool(obj is not None and getattr(obj, "author_id", None) == user.pk)


def _post_edit(user: AnyUser, post: Any) -> bool:
    if not isinstance(user, User) or not _active(user):
        return False
    if user.has_perm("blog.edit_any_post"):
        return True
    return has_role(user, Role.AUTHOR) and _owns(user, post)


def _role(role: Role) -> Callable[[AnyUser, Any], bool]:
    def rule(user: AnyUser, obj: Any) -> bool:
        return isinstance(user, User) and has_role(user, role)

    return rule


def _perm(codename: str) -> Callable[[AnyUser, Any], bool]:
    def rule(user: AnyUser, obj: Any) -> bool:
        return isinstance(user, User) and _active(user) and user.has_perm(codename)

    return rule


RULES: dict[str, Callable[[AnyUser, Any], bool]] = {
    "dashboard.access": _role(Role.AUTHOR),
    "post.create": _perm("blog.add_post"),
    "post.edit": _post_edit,
    "post.submit": _post_edit,
    "post.review": _perm("blog.review_post"),
    "post.publish": _perm("blog.publish_post"),
    "post.delete": _perm("blog.delete_post"),
    "taxonomy.manage": _perm("blog.change_tag"),
    "comment.moderate": _role(Role.EDITOR),
    # Campaigns, the subscriber list, imports and suppressions (apps.newsletter).
    "newsletter.manage": _role(Role.EDITOR),
    # The subscriber CSV export: everyone's addresses at once, so admins only.
    "newsletter.export": _role(Role.ADMIN),
    # The analytics dashboard (apps.analytics): authors see their own posts' figures,
    # editors and admins the whole site's.
    "analytics.view": _role(Role.AUTHOR),
    "analytics.view_site": _role(Role.EDITOR),
    "users.manage": _perm("accounts.manage_roles"),
    "audit.view": _perm("accounts.view_audit_log"),
    "settings.manage": _role(Role.ADMIN),
    # The full-site export and the WXR export (apps.transfer): everything at once, admins only.
    "site.export": _role(Role.ADMIN),
    # Imports from WordPress and Ghost (apps.transfer): they create accounts and rewrite posts.
    "site.import": _role(Role.ADMIN),
}


def can(user: AnyUser, action: str, obj: Any = None) -> bool:
    """True when `user` may perform `action` (on `obj`, for object rules)."""
    try:
        rule = RULES[action]
    except KeyError:
        raise ValueError(f"Unknown action {action!r}") from None
    return rule(user, obj)


def require(user: AnyUser, action: str, obj: Any = None) -> None:
    """Raise PermissionDenied unless `user` may perform `action`."""
    if not can(user, action, obj):
        raise PermissionDenied(_("You do not have permission to do that."))
