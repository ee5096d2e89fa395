import pytest

from apps.accounts.mfa.selectors import (
    has_confirmed_device,
    mfa_required,
    mfa_status,
)
from apps.accounts.roles import Role
from tests.accounts.conftest import (
    make_totp_device,
    make_user_with_role,
)
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


# --- selectors -------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "required"),
    [(Role.READER, False), (Role.AUTHOR, False), (Role.EDITOR, True), (Role.ADMIN, True)],
)
def test_mfa_required_for_editors_and_admins(role, required):
    assert mfa_required(make_user_with_role(role)) is required


def test_mfa_required_for_staff():
    assert mfa_required(UserFactory.create(is_staff=True))


def test_a_pending_authenticator_does_not_count_as_a_device(user):
    make_totp_device(user, confirmed=False)
    assert not has_confirmed_device(user)
    assert not mfa_status(user).enabled
