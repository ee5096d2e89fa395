"""Second-factor helpers shared by the accounts and dashboard tests.

- `make_totp_device(user)`: a confirmed authenticator app (TOTPDevice).
- `totp_token(device, steps=0)`: the code the app shows now (or `steps` periods later).
- `make_backup_codes(user)`: ten backup codes (a StaticDevice); returns the codes.
- `make_email_device(user)`: the email-code fallback (EmailDevice).
- `verify_session(client, device)`: mark the client's session as having passed the
  second factor, the way `django_otp.login()` does.
- `unthrottle(user)`: forget django-otp's back-off after a wrong code (instead of sleeping).
- `make_user_with_role(role)`: a user holding a role (Role.EDITOR, Role.ADMIN, …).
- `_assert_csp_clean(html)`: no inline script, style or event handler in a page.
- `OVERVIEW`, `SETUP`, `BACKUP`, … : the second-factor pages' addresses.

Fixtures: `mfa_user` (a reader with an app and backup codes), `editor`, `signed_in` (a client
signed in as `user`) and `enrolled` (a client signed in as `mfa_user`, second factor passed).
"""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.mfa.services import new_backup_code
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import grant_role_as_system
from tests.factories.accounts import UserFactory
from tests.utils import html_elements, inline_code

PASSWORD = "correct-horse-battery"

# The second-factor pages.
OVERVIEW = reverse("accounts:mfa_overview")
SETUP = reverse("accounts:mfa_totp_setup")
BACKUP = reverse("accounts:mfa_backup_codes")
DOWNLOAD = reverse("accounts:mfa_backup_codes_download")
REGENERATE = reverse("accounts:mfa_backup_codes_regenerate")
EMAIL = reverse("accounts:mfa_email_fallback")
DISABLE = reverse("accounts:mfa_disable")
VERIFY = reverse("accounts:mfa_verify")


def make_totp_device(user: User, *, confirmed: bool = True) -> TOTPDevice:
    device: TOTPDevice = TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=confirmed
    )
    return device


def totp_token(device: TOTPDevice, *, steps: int = 0) -> str:
    """The code `device`'s app shows now; `steps=1` gives the next one (codes work once)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():0{device.digits}d}"


def make_backup_codes(user: User, count: int = 10) -> list[str]:
    device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [new_backup_code() for _ in range(count)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def make_email_device(user: User) -> EmailDevice:
    device: EmailDevice = EmailDevice.objects.create(user=user, name="Email", confirmed=True)
    return device


def verify_session(client: Client, device: TOTPDevice | StaticDevice | EmailDevice) -> None:
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def unthrottle(user: User) -> None:
    for model in (TOTPDevice, StaticDevice, EmailDevice):
        model.objects.filter(user=user).update(
            throttling_failure_count=0, throttling_failure_timestamp=None
        )


def make_user_with_role(role: Role, **fields: object) -> User:
    user = UserFactory.create(**fields)
    return grant_role_as_system(user=user, role=role, reason="test")


@pytest.fixture
def mfa_user(db) -> User:
    user = UserFactory.create()
    make_totp_device(user)
    make_backup_codes(user)
    return user


@pytest.fixture
def editor(db) -> User:
    return make_user_with_role(Role.EDITOR)


def _assert_csp_clean(html: str) -> None:
    assert inline_code(html) == []
    for tag, attrs in html_elements(html):
        assert tag != "style"
        if tag == "script":
            assert dict(attrs).get("src")
        for name, _ in attrs:
            assert name != "style", tag
            assert not name.startswith("on"), (tag, name)


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def enrolled(client, mfa_user):
    """A client signed in as `mfa_user`, with a session that passed the second factor."""
    client.force_login(mfa_user)
    verify_session(client, TOTPDevice.objects.get(user=mfa_user))
    return client
