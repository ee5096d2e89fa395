"""The publishing journey: an author writes and submits, an editor schedules, the site publishes,
and a reader finds the post through search and its tag page."""

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django_otp.oath import totp
from PIL import Image
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-enough-passphrase"
TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
WORD = "quillwort"  # unique, so search finds exactly this post

SETUP = f"""
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from apps.accounts.models import User
from apps.accounts.services import mark_email_verified
for email, username, role in [("wren@example.com", "wren", "author"), ("ed@example.com", "ed", "editor")]:
    user = User.objects.create_user(email, "{PASSWORD}", username=username, display_name=username.title())
    user.groups.add(Group.objects.get(name=role))
    mark_email_verified(user=user)
TOTPDevice.objects.create(user=User.objects.get(username="ed"), name="app", confirmed=True, key="{TOTP_KEY_HEX}")
"""


def _sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()


def _sign_out(page: Page) -> None:
    page.locator("header details summary").last.click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 500), (40, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def test_author_writes_editor_schedules_site_publishes_reader_finds(
    page: Page, base_url: str, run_in_django
):
    run_in_django(SETUP)

    # The author writes with a live preview and an image, then submits for review.
    _sign_in(page, base_url, "wren@example.com")
    page.goto(base_url + "/dashboard/posts/new/")
    page.locator("#id_title").fill(f"Field notes on {WORD}")
    body = page.locator("#id_body")
    body.fill(f"## Where it grows\n\nThe {WORD} lives under water in cold lakes.\n\n")
    expect(page.locator("#editor-preview-pane #where-it-grows")).to_have_text(
        "Where it grows", timeout=10_000
    )
    page.locator("[data-image-input]").set_input_files(
        {"name": "lake.png", "mimeType": "image/png", "buffer": _png()}
    )
    expect(body).to_have_value(re.compile(r"!\[[^\]]*\]\(/media/images/"), timeout=10_000)
    page.get_by_label("Writing", exact=True).check()
    page.locator("[data-save-button]").click()
    expect(page).to_have_url(re.compile(r"/dashboard/posts/\d+/edit/"), timeout=10_000)
    edit_url = page.url
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#workflow-panel")).to_contain_text(re.compile("in review", re.I))
    _sign_out(page)

    # The editor signs in with a second factor and schedules it a few seconds ahead.
    _sign_in(page, base_url, "ed@example.com")
    page.get_by_label("Verification code").fill(f"{totp(bytes.fromhex(TOTP_KEY_HEX)):06d}")
    page.get_by_role("button", name="Verify").click()
    page.goto(edit_url)
    page.get_by_text("Schedule for later").click()
    when = (datetime.now(UTC) + timedelta(seconds=6)).strftime("%Y-%m-%dT%H:%M:%S")
    publish_at = page.locator("#workflow-panel input[type=datetime-local]").first
    publish_at.evaluate("el => { el.step = 1 }")
    publish_at.fill(when)
    page.locator("#workflow-panel").get_by_role("button", name="Schedule").click()
    expect(page.locator("#workflow-panel")).to_contain_text(re.compile("scheduled", re.I))
    _sign_out(page)

    # Nobody sees it before its time; after it, the site has published it.
    page.goto(f"{base_url}/search/?q={WORD}")
    expect(page.locator("#results")).to_contain_text("Nothing matches")
    for _ in range(30):
        page.wait_for_timeout(1000)
        page.goto(f"{base_url}/search/?q={WORD}")
        if page.locator("#results li").count():
            break
    expect(page.locator("#results")).to_contain_text(f"Field notes on {WORD}")
    expect(page.locator("#results mark").first).to_have_text(re.compile(WORD, re.I))

    # The reader also finds it on its tag page and opens it.
    page.goto(base_url + "/tags/writing/")
    page.get_by_role("link", name=f"Field notes on {WORD}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Field notes on {WORD}")
    expect(page.locator("article img[src^='/media/images/']")).to_have_count(1)
