import base64

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.mfa.qr import manual_key, otpauth_uri, qr_data_uri, qr_svg

pytestmark = pytest.mark.django_db


# --- QR code ---------------------------------------------------------------


def test_qr_code_is_plain_svg_without_style_attributes(mfa_user):
    device = TOTPDevice.objects.get(user=mfa_user)
    svg = qr_svg(otpauth_uri(device))
    assert svg.startswith("<svg")
    assert "style" not in svg
    assert "<script" not in svg
    src = qr_data_uri(otpauth_uri(device))
    assert src.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(src.split(",", 1)[1]).decode() == svg


def test_otpauth_uri_names_the_issuer_and_account(mfa_user, settings):
    device = TOTPDevice.objects.get(user=mfa_user)
    uri = otpauth_uri(device)
    assert uri.startswith(f"otpauth://totp/{settings.OTP_TOTP_ISSUER}%3A")
    assert f"issuer={settings.OTP_TOTP_ISSUER}" in uri


def test_manual_key_is_the_base32_secret_in_groups(mfa_user):
    device = TOTPDevice.objects.get(user=mfa_user)
    key = manual_key(device)
    assert all(len(group) == 4 for group in key.split())
    assert base64.b32decode(key.replace(" ", "")) == device.bin_key
