"""Signing in through allauth's real login view, with the second factor as a login stage."""

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.mfa.trust import COOKIE_NAME
from apps.accounts.models import AuditEvent
from tests.accounts.conftest import (
    PASSWORD,
    make_email_device,
    make_totp_device,
    totp_token,
    unthrottle,
    verify_session,
)
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")
VERIFY = reverse("accounts:mfa_verify")
SEND_EMAIL = reverse("accounts:mfa_send_email_code")


def _password(client, user, next_url: str = ""):
    url = f"{LOGIN}?next={next_url}" if next_url else LOGIN
    return client.post(url, {"login": user.email, "password": PASSWORD})


def _signed_in_as(client, user) -> bool:
    return bool(client.session.get(SESSION_KEY) == str(user.pk))


def _is_verified(client) -> bool:
    response = client.get("/")
    return bool(response.wsgi_request.user.is_verified())


def test_users_without_2fa_sign_in_with_the_password_alone(client, user):
    response = _password(client, user)
    assert response.status_code == 302
    assert response["Location"] == settings.LOGIN_REDIRECT_URL
    assert _signed_in_as(client, user)


def test_password_then_code_signs_in_a_verified_session(client, mfa_user):
    response = _password(client, mfa_user)
    assert response.status_code == 302
    assert response["Location"] == VERIFY
    assert not _signed_in_as(client, mfa_user)

    page = client.get(VERIFY)
    assert page.status_code == 200
    assert "Enter your code" in page.content.decode()

    device = TOTPDevice.objects.get(user=mfa_user)
    response = client.post(VERIFY, {"code": totp_token(device)})
    assert response.status_code == 302
    assert response["Location"] == settings.LOGIN_REDIRECT_URL
    assert _signed_in_as(client, mfa_user)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert _is_verified(client)
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.LOGIN, target=mfa_user).exists()


def test_a_wrong_code_is_refused_and_nothing_changes(client, mfa_user):
    _password(client, mfa_user)
    response = client.post(VERIFY, {"code": "000000"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "wrong or has expired" in page
    assert not _signed_in_as(client, mfa_user)
    failed = AuditEvent.objects.get(kind=AuditEvent.Kind.MFA_FAILED, target=mfa_user)
    assert failed.data == {"reason": "wrong_code", "purpose": "login"}

    # Straight away, even the right code waits out django-otp's back-off.
    device = TOTPDevice.objects.get(user=mfa_user)
    response = client.post(VERIFY, {"code": totp_token(device)})
    assert "Too many wrong codes" in response.content.decode()
    assert not _signed_in_as(client, mfa_user)

    unthrottle(mfa_user)
    response = client.post(VERIFY, {"code": totp_token(device)})
    assert response.status_code == 302
    assert _signed_in_as(client, mfa_user)


def test_the_login_keeps_its_next_through_the_second_factor(client, mfa_user):
    next_url = reverse("accounts:mfa_overview")
    _password(client, mfa_user, next_url)
    device = TOTPDevice.objects.get(user=mfa_user)
    response = client.post(VERIFY, {"code": totp_token(device)})
    assert response["Location"] == next_url
    assert client.get(next_url).status_code == 200


def test_a_backup_code_works_once(client, mfa_user):
    code = StaticToken.objects.filter(device__user=mfa_user).first().token
    _password(client, mfa_user)
    response = client.post(VERIFY, {"code": code}, follow=True)
    assert _signed_in_as(client, mfa_user)
    assert _is_verified(client)
    assert "You have 9 backup codes left" in response.content.decode()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.BACKUP_CODE_USED).count() == 1

    client.post(reverse("account_logout"))
    unthrottle(mfa_user)
    _password(client, mfa_user)
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert "already been used" in response.content.decode()
    assert not _signed_in_as(client, mfa_user)


def test_an_emailed_code_signs_in(client, mfa_user, django_capture_on_commit_callbacks):
    make_email_device(mfa_user)
    _password(client, mfa_user)
    assert "Email me a code" in client.get(VERIFY).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SEND_EMAIL, follow=True)
    assert response.redirect_chain == [(VERIFY, 302)]
    assert "We emailed a code" in response.content.decode()
    assert len(mail.outbox) == 1
    code = next(line.strip() for line in mail.outbox[0].body.splitlines() if line.strip().isdigit())

    # Asking again at once is refused with a clear message, and sends nothing.
    response = client.post(SEND_EMAIL, follow=True)
    assert "You can ask for another in" in response.content.decode()
    assert len(mail.outbox) == 1

    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 302
    assert _signed_in_as(client, mfa_user)
    assert _is_verified(client)


def test_email_code_button_only_with_the_fallback_on(client, mfa_user):
    _password(client, mfa_user)
    assert "Email me a code" not in client.get(VERIFY).content.decode()


def test_trusting_the_browser_skips_the_code_next_time(client, mfa_user):
    device = TOTPDevice.objects.get(user=mfa_user)
    _password(client, mfa_user)
    response = client.post(VERIFY, {"code": totp_token(device), "trust": "on"})
    cookie = response.cookies[COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == settings.MFA_TRUST_BROWSER_DAYS * 24 * 60 * 60

    client.post(reverse("account_logout"))
    assert not _signed_in_as(client, mfa_user)
    response = _password(client, mfa_user)
    assert response["Location"] == settings.LOGIN_REDIRECT_URL
    assert _signed_in_as(client, mfa_user)
    assert _is_verified(client)


def test_without_trust_the_next_login_asks_again(client, mfa_user):
    device = TOTPDevice.objects.get(user=mfa_user)
    _password(client, mfa_user)
    response = client.post(VERIFY, {"code": totp_token(device)})
    assert COOKIE_NAME not in response.cookies
    client.post(reverse("account_logout"))
    assert _password(client, mfa_user)["Location"] == VERIFY


def test_trust_ends_when_2fa_is_turned_off_and_on_again(client, mfa_user):
    device = TOTPDevice.objects.get(user=mfa_user)
    _password(client, mfa_user)
    client.post(VERIFY, {"code": totp_token(device), "trust": "on"})
    trust_cookie = client.cookies[COOKIE_NAME].value

    client.post(
        reverse("accounts:mfa_disable"),
        {"password": PASSWORD, "code": totp_token(device, steps=1)},
    )
    new_device = make_totp_device(mfa_user)
    client.post(reverse("account_logout"))
    client.cookies[COOKIE_NAME] = trust_cookie  # as if the browser had kept it
    assert _password(client, mfa_user)["Location"] == VERIFY
    assert not _signed_in_as(client, mfa_user)
    client.post(VERIFY, {"code": totp_token(new_device)})
    assert _signed_in_as(client, mfa_user)


def test_trust_ends_when_the_password_changes(client, mfa_user):
    device = TOTPDevice.objects.get(user=mfa_user)
    _password(client, mfa_user)
    client.post(VERIFY, {"code": totp_token(device), "trust": "on"})
    mfa_user.set_password(PASSWORD)  # same words, new hash: the cookie's fingerprint changes
    mfa_user.save()
    client.post(reverse("account_logout"))
    assert _password(client, mfa_user)["Location"] == VERIFY


def test_turning_2fa_off_means_the_password_alone_signs_in(client, mfa_user):
    device = TOTPDevice.objects.get(user=mfa_user)
    client.force_login(mfa_user)
    verify_session(client, device)
    client.post(reverse("accounts:mfa_disable"), {"password": PASSWORD, "code": totp_token(device)})
    client.post(reverse("account_logout"))
    assert _password(client, mfa_user)["Location"] == settings.LOGIN_REDIRECT_URL
    assert _signed_in_as(client, mfa_user)


def test_the_verify_page_without_a_pending_login_goes_to_login(client):
    response = client.get(VERIFY)
    assert response.status_code == 302
    assert response["Location"] == LOGIN


def test_cancel_returns_to_the_login_page(client, mfa_user):
    _password(client, mfa_user)
    response = client.post(VERIFY, {"action": "cancel"})
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert client.get(VERIFY)["Location"] == LOGIN
    assert not _signed_in_as(client, mfa_user)


# --- the Django admin ------------------------------------------------------


def test_the_admin_login_page_is_allauths(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[0] == ("/admin/login/?next=/admin/", 302)
    assert response.redirect_chain[1] == (f"{LOGIN}?next=%2Fadmin%2F", 302)


def test_staff_reach_the_admin_after_password_and_code(client):
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    device = make_totp_device(staff)
    _password(client, staff, "/admin/")
    response = client.post(VERIFY, {"code": totp_token(device)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_refuses_an_unverified_staff_session(client):
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    make_totp_device(staff)
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fadmin%2F"


def test_the_admin_site_itself_requires_verification(rf):
    from django.contrib import admin

    staff = UserFactory.create(is_staff=True, is_superuser=True)
    request = rf.get("/admin/")
    staff.is_verified = lambda: False  # type: ignore[attr-defined]  # OTPMiddleware's
    request.user = staff
    assert not admin.site.has_permission(request)
    staff.is_verified = lambda: True  # type: ignore[attr-defined]
    assert admin.site.has_permission(request)


def test_signed_in_readers_get_a_403_from_the_admin_login(client, user):
    client.force_login(user)
    assert client.get("/admin/login/?next=/admin/").status_code == 403
