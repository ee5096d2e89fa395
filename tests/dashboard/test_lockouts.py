import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from apps.accounts.models import AuditEvent
from apps.accounts.roles import Role

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
LOCKOUTS = reverse("dashboard:lockouts")
UNLOCK = reverse("dashboard:lockout_clear")


def _lock(username, ip, settings, failures=None):
    return AccessAttempt.objects.create(
        username=username,
        ip_address=ip,
        user_agent="test-agent",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=failures if failures is not None else settings.AXES_FAILURE_LIMIT,
    )


def test_lockouts_page_lists_locked_pairs(client, login_as, make_user, settings):
    login_as(Role.ADMIN)
    make_user(email="ana@example.com", display_name="Ana Lima")
    _lock("ana@example.com", "203.0.113.7", settings)
    _lock("almost@example.com", "203.0.113.8", settings, failures=1)
    response = client.get(LOCKOUTS)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "ana@example.com" in html
    assert "203.0.113.7" in html
    assert "Account: Ana Lima" in html
    assert "almost@example.com" not in html
    partial = client.get(LOCKOUTS, headers=HTMX).content.decode()
    assert partial.lstrip().startswith('<div id="lockout-list"')


def test_lockouts_page_says_when_nobody_is_locked(client, login_as):
    login_as(Role.ADMIN)
    html = client.get(LOCKOUTS).content.decode()
    assert "Nobody is locked out." in html
    assert "after 5 wrong passwords" in html
    assert "for 15 minutes" in html


def test_unlock_over_htmx_clears_the_pair_and_is_audited(client, login_as, make_user, settings):
    admin = login_as(Role.ADMIN)
    ana = make_user(email="ana@example.com")
    _lock("ana@example.com", "203.0.113.7", settings)
    _lock("ana@example.com", "198.51.100.1", settings)
    response = client.post(
        UNLOCK, {"username": "ana@example.com", "ip_address": "203.0.113.7"}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="lockout-list"')
    assert "Unlocked ana@example.com from 203.0.113.7." in html
    assert "198.51.100.1" in html  # the same login from elsewhere stays locked
    assert not AccessAttempt.objects.filter(ip_address="203.0.113.7").exists()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.LOCKOUT_CLEARED)
    assert event.actor == admin
    assert event.target == ana
    assert event.data == {"login": "ana@example.com", "ip": "203.0.113.7", "attempts": 1}


def test_unlock_without_htmx_redirects_with_a_message(client, login_as, settings):
    login_as(Role.ADMIN)
    _lock("ana@example.com", "203.0.113.7", settings)
    response = client.post(
        UNLOCK, {"username": "ana@example.com", "ip_address": "203.0.113.7"}, follow=True
    )
    assert response.redirect_chain == [(LOCKOUTS, 302)]
    assert "Unlocked ana@example.com" in response.content.decode()


def test_unlock_of_a_pair_that_is_not_locked_says_so(client, login_as):
    login_as(Role.ADMIN)
    response = client.post(
        UNLOCK, {"username": "ana@example.com", "ip_address": "203.0.113.7"}, headers=HTMX
    )
    assert "is not locked out" in response.content.decode()
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.LOCKOUT_CLEARED).exists()


def test_unlock_rejects_a_malformed_address(client, login_as, settings):
    login_as(Role.ADMIN)
    _lock("ana@example.com", "203.0.113.7", settings)
    response = client.post(
        UNLOCK, {"username": "ana@example.com", "ip_address": "nope"}, headers=HTMX
    )
    assert 'role="alert"' in response.content.decode()
    assert AccessAttempt.objects.exists()


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR, Role.EDITOR])
def test_lockouts_are_admin_only(client, login_as, role, settings):
    login_as(role)
    _lock("ana@example.com", "203.0.113.7", settings)
    assert client.get(LOCKOUTS).status_code == 403
    response = client.post(UNLOCK, {"username": "ana@example.com", "ip_address": "203.0.113.7"})
    assert response.status_code == 403
    assert AccessAttempt.objects.exists()


def test_unlock_only_takes_posts(client, login_as):
    login_as(Role.ADMIN)
    assert client.get(UNLOCK).status_code == 405
