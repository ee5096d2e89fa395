"""Every role and every action in apps.accounts.permissions.RULES, against one explicit table.

Adding a rule without a row here fails `test_table_covers_every_rule`: decide who may
do the new thing in this table first.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import PermissionDenied

from apps.accounts.permissions import RULES, can, require
from apps.accounts.roles import Role
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory

pytestmark = pytest.mark.django_db

Y, N = True, False
SUBJECTS = ("anonymous", "reader", "author", "editor", "admin", "inactive admin", "superuser")
OWN, OTHERS = "own post", "someone else's post"

# fmt: off
TABLE: dict[tuple[str, str | None], tuple[bool, ...]] = {
    # (action, object)                 anon reader author editor admin inactive superuser
    ("dashboard.access", None):        (N,   N,     Y,     Y,     Y,    N,       Y),
    ("post.create", None):             (N,   N,     Y,     Y,     Y,    N,       Y),
    ("post.edit", OWN):                (N,   N,     Y,     Y,     Y,    N,       Y),
    ("post.edit", OTHERS):             (N,   N,     N,     Y,     Y,    N,       Y),
    ("post.submit", OWN):              (N,   N,     Y,     Y,     Y,    N,       Y),
    ("post.submit", OTHERS):           (N,   N,     N,     Y,     Y,    N,       Y),
    ("post.review", None):             (N,   N,     N,     Y,     Y,    N,       Y),
    ("post.publish", None):            (N,   N,     N,     Y,     Y,    N,       Y),
    ("post.delete", None):             (N,   N,     N,     Y,     Y,    N,       Y),
    ("taxonomy.manage", None):         (N,   N,     N,     Y,     Y,    N,       Y),
    ("comment.moderate", None):        (N,   N,     N,     Y,     Y,    N,       Y),
    ("newsletter.manage", None):       (N,   N,     N,     Y,     Y,    N,       Y),
    ("newsletter.export", None):       (N,   N,     N,     N,     Y,    N,       Y),
    ("analytics.view", None):          (N,   N,     Y,     Y,     Y,    N,       Y),
    ("analytics.view_site", None):     (N,   N,     N,     Y,     Y,    N,       Y),
    ("users.manage", None):            (N,   N,     N,     N,     Y,    N,       Y),
    ("audit.view", None):              (N,   N,     N,     N,     Y,    N,       Y),
    ("settings.manage", None):         (N,   N,     N,     N,     Y,    N,       Y),
    ("site.export", None):             (N,   N,     N,     N,     Y,    N,       Y),
    ("site.import", None):             (N,   N,     N,     N,     Y,    N,       Y),
}
# fmt: on

CASES = [
    pytest.param(subject, action, obj, allowed[i], id=f"{subject}-{action}-{obj or 'none'}")
    for (action, obj), allowed in TABLE.items()
    for i, subject in enumerate(SUBJECTS)
]


def _member(role: Role, **fields: object):
    user = UserFactory.create(**fields)
    user.groups.add(Group.objects.get(name=role.value))
    return user


def _subject(name: str):
    if name == "anonymous":
        return AnonymousUser()
    if name == "inactive admin":
        return _member(Role.ADMIN, is_active=False, is_staff=True)
    if name == "superuser":
        return UserFactory.create(is_superuser=True, is_staff=True)  # no role group at all
    return _member(Role(name), is_staff=name == "admin")


def _object(kind: str | None, user):
    if kind is None:
        return None
    # A reader may own a post too (an author who was demoted); it does not let them edit it.
    author = user if kind == OWN and user.is_authenticated else _member(Role.AUTHOR)
    return PostFactory.create(author=author)


def test_table_covers_every_rule():
    assert {action for action, _ in TABLE} == set(RULES)
    assert all(len(row) == len(SUBJECTS) for row in TABLE.values())


@pytest.mark.parametrize(("subject", "action", "obj", "expected"), CASES)
def test_permission_table(subject, action, obj, expected):
    user = _subject(subject)
    assert can(user, action, _object(obj, user)) is expected


@pytest.mark.parametrize(("subject", "action", "obj", "expected"), CASES[::5])
def test_require_agrees_with_can(subject, action, obj, expected):
    user = _subject(subject)
    target = _object(obj, user)
    if expected:
        require(user, action, target)
    else:
        with pytest.raises(PermissionDenied):
            require(user, action, target)


def test_unknown_action_is_a_bug():
    with pytest.raises(ValueError, match="Unknown action"):
        can(AnonymousUser(), "post.teleport")
