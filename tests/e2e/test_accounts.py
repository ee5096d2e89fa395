"""The accounts journey: sign up, verify, sign in, two factors, backup codes, lockout."""

import base64
import re
import time
from pathlib import Path

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

EMAIL = "river@example.com"
PASSWORD = "a-long-walk-by-the-river"


def _latest_mail(mail_dir: Path, containing: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True):
            text = path.read_text()
            if containing in text:
                return text
        time.sleep(0.2)
    raise AssertionError(f"No mail containing {containing!r} in {mail_dir}")


def _code_at(secret_base32: str, when: float) -> str:
    """The code of the time step that holds `when` (not of the moment it is typed)."""
    generator = TOTP(base64.b32decode(secret_base32.replace(" ", "").upper()))
    generator.time = when
    return f"{generator.token():06d}"


def _sign_in(page: Page, base_url: str, password: str = PASSWORD) -> None:
    page.goto(base_url + "/accounts/login/")
    page.locator("#id_login").fill(EMAIL)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()


def _sign_out(page: Page) -> None:
    page.locator("header details summary").last.click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def test_sign_up_verify_two_factor_backup_codes_and_lockout(
    page: Page, base_url: str, mail_dir: Path
):
    # Sign up.
    page.goto(base_url + "/accounts/signup/")
    page.locator("#id_email").fill(EMAIL)
    page.locator("#id_username").fill("river")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign up|Create", re.I)).click()

    # Open the verification link from the mail and confirm.
    mail = _latest_mail(mail_dir, "/accounts/confirm-email/")
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail)
    assert link is not None
    page.goto(link[0])
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    expect(page.get_by_text(re.compile("confirmed", re.I)).first).to_be_visible()

    # Sign out, sign in with the password.
    _sign_out(page)
    _sign_in(page, base_url)
    expect(page.locator("header details summary").last).to_be_visible()

    # Enrol the authenticator app; the code is computed from the shown key.
    page.goto(base_url + "/accounts/security/authenticator/")
    secret = page.locator("#manual-key").inner_text()
    enrolled_at = time.time()
    page.get_by_label("6-digit code from the app").fill(_code_at(secret, enrolled_at))
    page.get_by_role("button", name="Turn on two-factor").click()
    codes = page.get_by_role("list", name="Your backup codes").locator("li").all_inner_texts()
    assert len(codes) == 10

    # Sign out, sign in with a TOTP code.
    _sign_out(page)
    _sign_in(page, base_url)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    # The enrolment spent its step's code, which is never accepted twice: use the step after
    # it. Counted from the enrolment, not from now: if a step boundary passed in between,
    # "now + 1" could fall outside the window django-otp re-centred on the enrolment.
    page.get_by_label("Verification code").fill(_code_at(secret, enrolled_at + 30))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_have_count(0)

    # Sign out, sign in with a backup code.
    _sign_out(page)
    _sign_in(page, base_url)
    page.get_by_label("Verification code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_have_count(0)

    # The same backup code is refused the second time.
    _sign_out(page)
    _sign_in(page, base_url)
    page.get_by_label("Verification code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text(re.compile("already (been )?used", re.I))).to_be_visible()
    page.get_by_role("button", name="Cancel and sign in as someone else").click()

    # Repeated wrong passwords lock the account.
    for _ in range(5):
        _sign_in(page, base_url, password="not-the-password-1")
    expect(page.get_by_text(re.compile("locked", re.I)).first).to_be_visible()
    _sign_in(page, base_url)  # even the right password is refused now
    expect(page.get_by_text(re.compile("locked", re.I)).first).to_be_visible()
