import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.mfa import fresh_codes
from apps.accounts.mfa.middleware import RequireMFAMiddleware
from apps.accounts.mfa.selectors import backup_codes_left, has_confirmed_device
from apps.accounts.mfa.trust import COOKIE_NAME
from apps.accounts.models import AuditEvent
from apps.accounts.roles import Role
from apps.accounts.services import mark_email_verified
from tests.accounts.conftest import (
    PASSWORD,
    make_backup_codes,
    make_email_device,
    make_totp_device,
    make_user_with_role,
    totp_token,
    unthrottle,
    verify_session,
)
from tests.factories.accounts import UserFactory
from tests.utils import html_elements, inline_code

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("accounts:mfa_overview")
SETUP = reverse("accounts:mfa_totp_setup")
BACKUP = reverse("accounts:mfa_backup_codes")
DOWNLOAD = reverse("accounts:mfa_backup_codes_download")
REGENERATE = reverse("accounts:mfa_backup_codes_regenerate")
EMAIL = reverse("accounts:mfa_email_fallback")
DISABLE = reverse("accounts:mfa_disable")
VERIFY = reverse("accounts:mfa_verify")


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


# --- the gate in front of the dashboard and the admin ----------------------


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/no-such-page/", "/admin/"])
def test_editors_without_2fa_are_sent_to_enrolment(client, editor, path):
    client.force_login(editor)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{SETUP}?next=")
    page = client.get(response["Location"]).content.decode()
    assert "Your role (Editor) requires two-factor authentication" in page


def test_staff_without_2fa_are_sent_to_enrolment_from_the_admin(client):
    staff = UserFactory.create(is_staff=True)
    client.force_login(staff)
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Fadmin%2Faccounts%2Fuser%2F"


def test_htmx_requests_to_the_dashboard_get_a_client_redirect(client, editor):
    client.force_login(editor)
    response = client.get("/dashboard/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(SETUP)


def test_an_unverified_session_with_a_device_is_sent_to_verify(client, mfa_user):
    client.force_login(mfa_user)
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fdashboard%2F"


def test_a_verified_editor_passes_the_gate(client, editor):
    device = make_totp_device(editor)
    client.force_login(editor)
    verify_session(client, device)
    response = client.get("/dashboard/no-such-page/")
    assert response.status_code == 404


def test_readers_without_2fa_are_not_sent_to_enrolment(signed_in):
    response = signed_in.get("/dashboard/no-such-page/")
    assert not response.get("Location", "").startswith(SETUP)


def test_the_gate_leaves_other_pages_alone(client, editor):
    client.force_login(editor)
    assert client.get(OVERVIEW).status_code == 200


def test_the_gate_costs_no_query_for_anonymous_visitors(django_assert_num_queries):
    middleware = RequireMFAMiddleware(lambda request: HttpResponse("ok"))
    factory = RequestFactory()
    for path in ("/", "/dashboard/", "/admin/"):
        request = factory.get(path)
        request.user = AnonymousUser()
        with django_assert_num_queries(0):
            assert middleware(request).status_code == 200


def test_the_gate_does_not_touch_the_user_outside_gated_paths():
    class Untouchable:
        def __getattr__(self, name):
            raise AssertionError(f"request.user.{name} was read")

    middleware = RequireMFAMiddleware(lambda request: HttpResponse("ok"))
    request = RequestFactory().get("/posts/hello/")
    request.user = Untouchable()  # type: ignore[assignment]
    assert middleware(request).status_code == 200


def test_unthrottle_helper_resets_backoff(mfa_user):
    # The helper the dashboard tests reuse: a wrong code, then the right one at once.
    from apps.accounts.mfa.services import verify_second_factor

    with pytest.raises(Exception):  # noqa: B017, PT011
        verify_second_factor(user=mfa_user, code="000000", purpose="login")
    unthrottle(mfa_user)
    device = TOTPDevice.objects.get(user=mfa_user)
    assert verify_second_factor(user=mfa_user, code=totp_token(device), purpose="login") == device
