import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.mfa.selectors import backup_codes_left, has_confirmed_device
from apps.accounts.mfa.trust import COOKIE_NAME
from apps.accounts.models import AuditEvent
from apps.accounts.roles import Role
from tests.accounts.conftest import (
    BACKUP,
    DISABLE,
    OVERVIEW,
    PASSWORD,
    VERIFY,
    _assert_csp_clean,
    make_backup_codes,
    make_email_device,
    make_totp_device,
    make_user_with_role,
    totp_token,
    verify_session,
)

pytestmark = pytest.mark.django_db


# --- turning off -----------------------------------------------------------


def test_disable_page_asks_for_password_and_code(enrolled):
    response = enrolled.get(DISABLE)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'type="password"' in page
    assert 'name="code"' in page
    _assert_csp_clean(page)


def test_disable_with_a_wrong_password_changes_nothing(enrolled, mfa_user):
    device = TOTPDevice.objects.get(user=mfa_user)
    response = enrolled.post(DISABLE, {"password": "nope-nope-nope", "code": totp_token(device)})
    assert response.status_code == 200
    assert "That password is not right." in response.content.decode()
    assert has_confirmed_device(mfa_user)


def test_disable_with_a_wrong_code_changes_nothing(enrolled, mfa_user):
    response = enrolled.post(DISABLE, {"password": PASSWORD, "code": "123456"})
    assert response.status_code == 200
    assert "wrong or has expired" in response.content.decode()
    assert has_confirmed_device(mfa_user)
    assert backup_codes_left(mfa_user) == 10


def test_disable_with_password_and_code_turns_2fa_off(enrolled, mfa_user):
    enrolled.cookies[COOKIE_NAME] = "anything"
    device = TOTPDevice.objects.get(user=mfa_user)
    response = enrolled.post(DISABLE, {"password": PASSWORD, "code": totp_token(device)})
    assert response.status_code == 302
    assert response["Location"] == OVERVIEW
    assert not has_confirmed_device(mfa_user)
    assert DEVICE_ID_SESSION_KEY not in enrolled.session
    assert response.cookies[COOKIE_NAME]["max-age"] == 0
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.MFA_DISABLED, target=mfa_user).exists()
    page = enrolled.get(OVERVIEW).content.decode()
    assert "Two-factor authentication is off." in page


def test_disable_warns_editors_that_they_must_enrol_again(client):
    editor = make_user_with_role(Role.EDITOR)
    device = make_totp_device(editor)
    make_backup_codes(editor)
    client.force_login(editor)
    verify_session(client, device)
    response = client.post(DISABLE, {"password": PASSWORD, "code": totp_token(device)}, follow=True)
    assert "set it up again before you use the dashboard" in response.content.decode()


# --- re-verifying a signed-in session --------------------------------------


def test_reverify_page_verifies_the_session_and_returns(client, mfa_user):
    client.force_login(mfa_user)
    page = client.get(VERIFY, {"next": BACKUP})
    assert page.status_code == 200
    assert "Confirm it" in page.content.decode()
    _assert_csp_clean(page.content.decode())
    device = TOTPDevice.objects.get(user=mfa_user)
    response = client.post(VERIFY, {"code": totp_token(device), "next": BACKUP})
    assert response.status_code == 302
    assert response["Location"] == BACKUP
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_reverify_ignores_an_offsite_next(client, mfa_user):
    client.force_login(mfa_user)
    device = TOTPDevice.objects.get(user=mfa_user)
    response = client.post(VERIFY, {"code": totp_token(device), "next": "https://evil.example/"})
    assert response["Location"] == OVERVIEW


def test_reverify_with_a_wrong_code_shows_an_error(client, mfa_user):
    client.force_login(mfa_user)
    response = client.post(VERIFY, {"code": "000000"})
    assert response.status_code == 200
    assert "wrong or has expired" in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_send_email_code_over_htmx_swaps_the_notice(
    client, mfa_user, django_capture_on_commit_callbacks
):
    make_email_device(mfa_user)
    client.force_login(mfa_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:mfa_send_email_code"), headers={"HX-Request": "true"}
        )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="email-code"')
    assert "We emailed a code" in page
    from django.core import mail

    assert len(mail.outbox) == 1
    again = client.post(reverse("accounts:mfa_send_email_code"), headers={"HX-Request": "true"})
    assert "ask for another in" in again.content.decode()
    assert len(mail.outbox) == 1
