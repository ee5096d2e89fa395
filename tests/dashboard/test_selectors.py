import pytest
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import User
from apps.accounts.roles import Role, role_of
from apps.accounts.selectors import user_directory

pytestmark = pytest.mark.django_db


def test_user_directory_role_matches_role_of(make_user):
    users = [make_user(role) for role in Role]
    users.append(make_user(is_superuser=True))
    both = make_user(Role.AUTHOR)
    both.groups.add(*User.objects.get(pk=make_user(Role.EDITOR).pk).groups.all())
    users.append(both)
    listed = {user.pk: user.role_value for user in user_directory()}
    for user in users:
        assert listed[user.pk] == role_of(user).value, user


@pytest.mark.parametrize("role", list(Role))
def test_user_directory_filters_by_the_highest_role(make_user, role):
    everyone = {r: make_user(r) for r in Role}
    boss = make_user(is_superuser=True)
    found = set(user_directory(role=role))
    expected = {everyone[role]} | ({boss} if role == Role.ADMIN else set())
    assert found == expected


def test_user_directory_counts_any_confirmed_device_as_2fa(make_user):
    totp, static, email, pending, none = (make_user() for _ in range(5))
    TOTPDevice.objects.create(user=totp, name="app", confirmed=True)
    StaticDevice.objects.create(user=static, name="backup", confirmed=True)
    EmailDevice.objects.create(user=email, name="email", confirmed=True)
    TOTPDevice.objects.create(user=pending, name="app", confirmed=False)
    TOTPDevice.objects.create(user=totp, name="second", confirmed=True)  # no duplicate rows
    listed = {user.pk: user.has_2fa for user in user_directory()}
    assert len(listed) == 5
    assert [listed[u.pk] for u in (totp, static, email, pending, none)] == [
        True,
        True,
        True,
        False,
        False,
    ]
