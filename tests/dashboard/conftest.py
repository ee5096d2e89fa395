"""Dashboard fixtures: users with a role, signed in the way the second-factor gate expects.

Editors and admins (and staff) need a confirmed django-otp device and an OTP-verified
session to pass RequireMFAMiddleware; authors and readers sign in with a password only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import User
from apps.accounts.roles import Role
from tests.factories.accounts import UserFactory

NEEDS_SECOND_FACTOR = {Role.EDITOR, Role.ADMIN}


def give_role(user: User, role: Role) -> User:
    """Put the user in the role's group (migration accounts/0003_roles made the groups)."""
    user.groups.add(Group.objects.get(name=role.value))
    if role == Role.ADMIN and not user.is_staff:
        # As apps.accounts.services.set_role does: admins get the Django admin too.
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    def make(role: Role | None = None, **fields: Any) -> User:
        user = UserFactory.create(**fields)
        return give_role(user, role) if role is not None else user

    return make


@pytest.fixture
def verified_login() -> Callable[[Client, User], Client]:
    """Sign `user` in on `client` with a confirmed TOTP device and an OTP-verified session."""

    def login(client: Client, user: User) -> Client:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return login


@pytest.fixture
def login_as(
    client: Client,
    make_user: Callable[..., User],
    verified_login: Callable[[Client, User], Client],
) -> Callable[..., User]:
    """Create a user with `role`, sign them in on `client` (verified where required), return them."""

    def login(role: Role | None, **fields: Any) -> User:
        user = make_user(role, **fields)
        if role in NEEDS_SECOND_FACTOR or user.is_staff:
            verified_login(client, user)
        else:
            client.force_login(user)
        return user

    return login
