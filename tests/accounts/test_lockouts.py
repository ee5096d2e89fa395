"""apps.accounts.lockouts: which (login, IP) pairs django-axes refuses, and unlocking one."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.accounts.lockouts import clear_lockout, current_lockouts, lockout_policy
from apps.accounts.models import AuditEvent
from apps.accounts.roles import Role
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _attempt(username, ip, failures, *, agent="agent-a", age=timedelta(0)):
    attempt = AccessAttempt.objects.create(
        username=username,
        ip_address=ip,
        user_agent=agent,
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=failures,
    )
    if age:
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - age)
    return attempt


def _admin():
    user = UserFactory.create()
    user.groups.add(Group.objects.get(name=Role.ADMIN.value))
    return user


def _login(client, email, password, ip="203.0.113.7"):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip
    )


def test_lockout_policy_reads_the_axes_settings(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = 0.5
    policy = lockout_policy()
    assert policy.failure_limit == 3
    assert policy.cool_off == timedelta(minutes=30)
    assert policy.cool_off_minutes == 30


def test_current_lockouts_lists_pairs_at_or_over_the_limit(settings):
    limit = settings.AXES_FAILURE_LIMIT
    ana = UserFactory.create(email="ana@example.com")
    _attempt("Ana@Example.com", "203.0.113.7", limit)
    _attempt("over@example.com", "203.0.113.8", limit + 3)
    _attempt("under@example.com", "203.0.113.9", limit - 1)
    locked = {(lockout.username, lockout.ip_address): lockout for lockout in current_lockouts()}
    assert set(locked) == {("Ana@Example.com", "203.0.113.7"), ("over@example.com", "203.0.113.8")}
    assert locked["Ana@Example.com", "203.0.113.7"].user == ana
    assert locked["over@example.com", "203.0.113.8"].user is None
    assert locked["over@example.com", "203.0.113.8"].failures == limit + 3


def test_current_lockouts_sums_failures_over_browsers_like_axes(settings):
    limit = settings.AXES_FAILURE_LIMIT
    _attempt("ana@example.com", "203.0.113.7", limit - 2, agent="firefox")
    _attempt("ana@example.com", "203.0.113.7", 2, agent="curl")
    [lockout] = current_lockouts()
    assert lockout.failures == limit


def test_current_lockouts_leaves_out_attempts_past_the_cool_off(settings):
    limit = settings.AXES_FAILURE_LIMIT
    _attempt("old@example.com", "203.0.113.7", limit, age=timedelta(minutes=16))
    _attempt("new@example.com", "203.0.113.7", limit, age=timedelta(minutes=5))
    [lockout] = current_lockouts()
    assert lockout.username == "new@example.com"
    assert lockout.expires_at is not None
    expected = timezone.now() + timedelta(minutes=10)
    assert abs((lockout.expires_at - expected).total_seconds()) < 5


def test_current_lockouts_is_two_queries(settings, django_assert_num_queries):
    for n in range(5):
        _attempt(f"user{n}@example.com", "203.0.113.7", settings.AXES_FAILURE_LIMIT)
    with django_assert_num_queries(2):
        assert len(current_lockouts()) == 5


def test_clear_lockout_removes_only_that_pair_and_audits_it(settings):
    admin = _admin()
    ana = UserFactory.create(email="ana@example.com")
    _attempt("ana@example.com", "203.0.113.7", settings.AXES_FAILURE_LIMIT, agent="firefox")
    _attempt("ana@example.com", "203.0.113.7", 1, agent="curl")
    _attempt("ana@example.com", "198.51.100.1", settings.AXES_FAILURE_LIMIT)
    _attempt("ben@example.com", "203.0.113.7", settings.AXES_FAILURE_LIMIT)
    removed = clear_lockout(actor=admin, username="ana@example.com", ip_address="203.0.113.7")
    assert removed == 2
    remaining = set(AccessAttempt.objects.values_list("username", "ip_address"))
    assert remaining == {("ana@example.com", "198.51.100.1"), ("ben@example.com", "203.0.113.7")}
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.LOCKOUT_CLEARED)
    assert (event.actor, event.target) == (admin, ana)
    assert event.data == {"login": "ana@example.com", "ip": "203.0.113.7", "attempts": 2}


def test_clear_lockout_without_a_login_touches_only_attempts_without_one(settings):
    admin = _admin()
    _attempt(None, "203.0.113.7", settings.AXES_FAILURE_LIMIT)
    _attempt("ana@example.com", "203.0.113.7", settings.AXES_FAILURE_LIMIT)
    assert clear_lockout(actor=admin, username=None, ip_address="203.0.113.7") == 1
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["ana@example.com"]


def test_clear_lockout_refuses_when_nothing_is_locked():
    with pytest.raises(ValidationError):
        clear_lockout(actor=_admin(), username="ana@example.com", ip_address="203.0.113.7")
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.LOCKOUT_CLEARED).exists()


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR, Role.EDITOR])
def test_clear_lockout_is_for_admins_only(settings, role):
    user = UserFactory.create()
    user.groups.add(Group.objects.get(name=role.value))
    _attempt("ana@example.com", "203.0.113.7", settings.AXES_FAILURE_LIMIT)
    with pytest.raises(PermissionDenied):
        clear_lockout(actor=user, username="ana@example.com", ip_address="203.0.113.7")
    assert AccessAttempt.objects.exists()


def test_a_real_lockout_is_listed_and_unlocking_lets_the_user_sign_in(client, settings):
    user = UserFactory.create()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, user.email, "wrong-password-123")
    assert _login(client, user.email, PASSWORD).status_code == 429
    [lockout] = current_lockouts()
    assert (lockout.username, lockout.ip_address, lockout.user) == (user.email, "203.0.113.7", user)
    assert lockout.failures >= settings.AXES_FAILURE_LIMIT
    clear_lockout(actor=_admin(), username=lockout.username, ip_address=lockout.ip_address)
    assert current_lockouts() == []
    assert _login(client, user.email, PASSWORD).status_code == 302
