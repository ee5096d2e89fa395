import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.mfa import fresh_codes
from apps.accounts.mfa.selectors import has_confirmed_device
from apps.accounts.services import mark_email_verified
from tests.accounts.conftest import (
    BACKUP,
    DISABLE,
    DOWNLOAD,
    EMAIL,
    OVERVIEW,
    REGENERATE,
    SETUP,
    VERIFY,
    _assert_csp_clean,
    totp_token,
    verify_session,
)
from tests.utils import html_elements

pytestmark = pytest.mark.django_db


# --- the security page -----------------------------------------------------


def test_overview_requires_sign_in(client):
    response = client.get(OVERVIEW)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_overview_offers_setup_when_off(signed_in):
    response = signed_in.get(OVERVIEW)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" in page
    assert "Two-factor authentication" in page
    assert SETUP in page
    assert "requires two-factor" not in page
    _assert_csp_clean(page)


def test_overview_tells_editors_they_must_enrol(client, editor):
    client.force_login(editor)
    page = client.get(OVERVIEW).content.decode()
    assert "Your role (Editor) requires two-factor authentication" in page


def test_overview_shows_status_when_on(enrolled, mfa_user):
    page = enrolled.get(OVERVIEW).content.decode()
    assert "10 of 10" in page
    assert BACKUP in page
    assert DISABLE in page
    assert "Codes by email" in page
    _assert_csp_clean(page)


def test_overview_partial_is_only_the_status_region(client, mfa_user):
    client.force_login(mfa_user)
    verify_session(client, TOTPDevice.objects.get(user=mfa_user))
    response = client.get(OVERVIEW, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="mfa-status"')
    assert "<html" not in page
    assert "HX-Request" in response["Vary"]


def test_overview_needs_a_verified_session_once_enrolled(client, mfa_user):
    client.force_login(mfa_user)
    response = client.get(OVERVIEW)
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Faccounts%2Fsecurity%2F"


def test_every_post_needs_the_csrf_token(mfa_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mfa_user)
    verify_session(client, TOTPDevice.objects.get(user=mfa_user))
    for url in (REGENERATE, EMAIL, DISABLE, VERIFY, SETUP):
        assert client.post(url).status_code == 403, url


# --- enrolment -------------------------------------------------------------


def test_setup_page_shows_a_server_drawn_qr_code_and_the_key(signed_in, user):
    response = signed_in.get(SETUP)
    assert response.status_code == 200
    page = response.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    images = [dict(attrs) for tag, attrs in html_elements(page) if tag == "img"]
    assert any((img.get("src") or "").startswith("data:image/svg+xml;base64,") for img in images)
    from apps.accounts.mfa.qr import manual_key

    assert manual_key(device) in page
    assert f"({user.email})" in page
    assert 'autocomplete="one-time-code"' in page
    _assert_csp_clean(page)
    # Reloading keeps the same key: the app the user just scanned stays valid.
    signed_in.get(SETUP)
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_setup_with_a_wrong_code_shows_an_error_and_changes_nothing(signed_in, user):
    signed_in.get(SETUP)
    response = signed_in.post(SETUP, {"code": "000000"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "wrong or has expired" in page
    assert 'aria-invalid="true"' in page
    assert not has_confirmed_device(user)
    assert DEVICE_ID_SESSION_KEY not in signed_in.session


def test_setup_with_the_right_code_turns_2fa_on_and_shows_backup_codes_once(signed_in, user):
    signed_in.get(SETUP)
    device = TOTPDevice.objects.get(user=user)
    response = signed_in.post(SETUP, {"code": totp_token(device), "next": "/dashboard/"})
    assert response.status_code == 302
    assert response["Location"] == f"{BACKUP}?next=%2Fdashboard%2F"
    assert has_confirmed_device(user)
    assert signed_in.session[DEVICE_ID_SESSION_KEY] == device.persistent_id

    page = signed_in.get(response["Location"]).content.decode()
    codes = list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(codes) == 10
    for code in codes:
        assert fresh_codes.display(code) in page
    assert "only time they are shown" in page
    assert 'href="/dashboard/"' in page
    _assert_csp_clean(page)

    again = signed_in.get(BACKUP).content.decode()
    assert not any(fresh_codes.display(code) in again for code in codes)
    assert "10 of 10 codes left" in again


def test_setup_redirects_once_2fa_is_on(enrolled):
    response = enrolled.get(SETUP)
    assert response.status_code == 302
    assert response["Location"] == OVERVIEW


def test_setup_rejects_other_methods(signed_in):
    assert signed_in.put(SETUP).status_code == 405


# --- backup codes ----------------------------------------------------------


def test_backup_codes_download_right_after_generation(enrolled, mfa_user):
    enrolled.post(REGENERATE)
    response = enrolled.get(DOWNLOAD)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    for code in StaticToken.objects.filter(device__user=mfa_user).values_list("token", flat=True):
        assert fresh_codes.display(code) in body


def test_backup_codes_download_is_gone_after_ten_minutes(enrolled):
    enrolled.post(REGENERATE)
    session = enrolled.session
    session[fresh_codes.SESSION_KEY] = {
        **session[fresh_codes.SESSION_KEY],
        "at": time.time() - fresh_codes.WINDOW - 1,
    }
    session.save()
    response = enrolled.get(DOWNLOAD, follow=True)
    assert response.redirect_chain[0] == (BACKUP, 302)
    assert "within 10 minutes" in response.content.decode()


def test_backup_codes_download_without_fresh_codes_redirects(enrolled):
    response = enrolled.get(DOWNLOAD)
    assert response.status_code == 302
    assert response["Location"] == BACKUP


def test_regenerating_backup_codes_voids_the_old_ones(enrolled, mfa_user):
    old = set(StaticToken.objects.filter(device__user=mfa_user).values_list("token", flat=True))
    response = enrolled.post(REGENERATE, follow=True)
    assert response.redirect_chain == [(BACKUP, 302)]
    page = response.content.decode()
    assert "old codes no longer work" in page
    new = set(StaticToken.objects.filter(device__user=mfa_user).values_list("token", flat=True))
    assert len(new) == 10
    assert not old & new
    assert all(fresh_codes.display(code) in page for code in new)


def test_regenerate_is_post_only(enrolled):
    assert enrolled.get(REGENERATE).status_code == 405


def test_backup_codes_page_needs_2fa_on(signed_in):
    response = signed_in.get(BACKUP)
    assert response.status_code == 302
    assert response["Location"] == OVERVIEW


# --- email codes -----------------------------------------------------------


def test_email_fallback_turns_on_over_htmx(enrolled, mfa_user):
    mark_email_verified(user=mfa_user)
    response = enrolled.post(EMAIL, {"action": "enable"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="email-fallback"')
    assert "Email codes are on" in page
    assert "<html" not in page
    assert mfa_user.emaildevice_set.filter(confirmed=True).exists()


def test_email_fallback_without_htmx_redirects_with_a_message(enrolled, mfa_user):
    mark_email_verified(user=mfa_user)
    response = enrolled.post(EMAIL, {"action": "enable"}, follow=True)
    assert response.redirect_chain == [(OVERVIEW, 302)]
    assert "Email codes are on" in response.content.decode()
    response = enrolled.post(EMAIL, {"action": "disable"}, follow=True)
    assert "Email codes are off" in response.content.decode()
    assert not mfa_user.emaildevice_set.exists()


def test_email_fallback_refused_for_an_unverified_address(enrolled, mfa_user):
    response = enrolled.post(EMAIL, {"action": "enable"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Confirm your email address first" in response.content.decode()
    assert not mfa_user.emaildevice_set.exists()
