"""django-axes owns lockout: an account+IP pair is locked after repeated failures."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from apps.accounts.models import AuditEvent
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _login(client, email: str, password: str, ip: str = "203.0.113.7"):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip
    )


def test_repeated_failures_lock_the_account_and_ip_pair(client, settings):
    user = UserFactory.create()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _login(client, user.email, "wrong-password-123")
        assert response.status_code == 200
        assert "not correct" in response.content.decode()
    response = _login(client, user.email, "wrong-password-123")
    assert response.status_code == 429
    # Locked: even the right password is refused, with a clear message.
    response = _login(client, user.email, PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "locked" in page.lower()
    assert "15 minutes" in page
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.LOCKOUT, target=user).exists()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.LOGIN_FAILED).count() >= 5


def test_lockout_is_per_account_and_ip(client, settings):
    user = UserFactory.create()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, user.email, "wrong-password-123")
    # The same account from another address still signs in.
    assert _login(client, user.email, PASSWORD, ip="198.51.100.9").status_code == 302


def test_a_successful_login_clears_earlier_failures(client, settings):
    user = UserFactory.create()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, user.email, "wrong-password-123")
    assert _login(client, user.email, PASSWORD).status_code == 302
    client.logout()
    assert not AccessAttempt.objects.filter(failures_since_start__gt=0).exists()
    assert _login(client, user.email, "wrong-password-123").status_code == 200


def test_lockout_ends_after_the_cool_off(client, settings):
    user = UserFactory.create()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, user.email, "wrong-password-123")
    assert _login(client, user.email, PASSWORD).status_code == 429
    # Age the attempts past the cool-off instead of sleeping.
    from datetime import timedelta

    from django.utils import timezone

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _login(client, user.email, PASSWORD).status_code == 302


def test_failures_are_counted_against_the_account_not_just_the_address(client, settings):
    victim, other = UserFactory.create(), UserFactory.create()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, victim.email, "wrong-password-123")
    attempt = AccessAttempt.objects.get()
    assert attempt.username == victim.email
    # Another account from the same address is not locked by someone else's failures.
    assert _login(client, other.email, PASSWORD).status_code == 302
