import pytest
from django.test import RequestFactory
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.mfa.trust import COOKIE_NAME, trust_browser, trusted_device
from tests.accounts.conftest import (
    make_totp_device,
)
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


# --- trusted browser -------------------------------------------------------


def _request_with_trust_cookie(user, device):
    from django.http import HttpResponse

    response = HttpResponse()
    trust_browser(response, user=user, device=device)
    morsel = response.cookies[COOKIE_NAME]
    request = RequestFactory().get("/")
    request.COOKIES[COOKIE_NAME] = morsel.value
    return request, morsel


def test_trust_cookie_is_httponly_lax_and_lasts_thirty_days(mfa_user):
    device = TOTPDevice.objects.get(user=mfa_user)
    request, morsel = _request_with_trust_cookie(mfa_user, device)
    assert morsel["httponly"]
    assert morsel["samesite"] == "Lax"
    assert int(morsel["max-age"]) == 30 * 24 * 60 * 60
    assert trusted_device(request, mfa_user) == device


def test_trust_cookie_is_for_one_user_only(mfa_user):
    device = TOTPDevice.objects.get(user=mfa_user)
    request, _ = _request_with_trust_cookie(mfa_user, device)
    assert trusted_device(request, UserFactory.create()) is None


def test_trust_cookie_ends_when_the_password_changes(mfa_user):
    device = TOTPDevice.objects.get(user=mfa_user)
    request, _ = _request_with_trust_cookie(mfa_user, device)
    mfa_user.set_password("a-brand-new-password-42")
    mfa_user.save()
    assert trusted_device(request, mfa_user) is None


def test_trust_cookie_ends_when_two_factor_is_set_up_again(mfa_user):
    device = TOTPDevice.objects.get(user=mfa_user)
    request, _ = _request_with_trust_cookie(mfa_user, device)
    device.delete()
    make_totp_device(mfa_user)
    assert trusted_device(request, mfa_user) is None


def test_a_tampered_trust_cookie_is_ignored(mfa_user):
    device = TOTPDevice.objects.get(user=mfa_user)
    request, _ = _request_with_trust_cookie(mfa_user, device)
    request.COOKIES[COOKIE_NAME] = request.COOKIES[COOKIE_NAME][:-2] + "xx"
    assert trusted_device(request, mfa_user) is None
