"""The live comments journey: two readers on the same post in two browsers, and an editor.

A comments and B (reading newest first) sees it appear at the top without reloading; B replies and A's bell counter rises
live; a held comment stays hidden from B until an editor approves it, then it appears.
"""

import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-enough-passphrase"
TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
LIVE = 15_000  # ms: generous, the server shares two cores with the browsers

SETUP = f"""
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from apps.accounts.models import User
from apps.accounts.services import mark_email_verified
from apps.blog.selectors import published_posts
for email, username, role in [
    ("ana@example.com", "ana", "reader"),
    ("ben@example.com", "ben", "reader"),
    ("mod@example.com", "moderna", "editor"),
]:
    user = User.objects.create_user(email, "{PASSWORD}", username=username, display_name=username.title())
    user.groups.add(Group.objects.get(name=role))
    mark_email_verified(user=user)
TOTPDevice.objects.create(user=User.objects.get(username="moderna"), name="app", confirmed=True, key="{TOTP_KEY_HEX}")
# A post with a thread already (the newest-first check needs one below the new comment),
# whatever posts the worker's other journeys made before this one.
post = published_posts("en").filter(
    comments_open=True, comments__status="published", comments__parent__isnull=True
).distinct().first()
print(post.get_absolute_url())
"""


def _sign_in(page: Page, base_url: str, email: str, next_url: str) -> None:
    page.goto(f"{base_url}/accounts/login/?next={next_url}")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()


def _open_post(page: Page, base_url: str, email: str, post_url: str) -> None:
    _sign_in(page, base_url, email, post_url)
    expect(page).to_have_url(re.compile(re.escape(post_url)))
    expect(page.locator("#live-status")).to_have_attribute("data-live", "connected", timeout=LIVE)


def _set_hold(editor: Page, base_url: str, label: str) -> None:
    # Through the dashboard, in the server's own process: its query cache sees the change.
    editor.goto(base_url + "/dashboard/moderation/settings/")
    editor.get_by_label(label).check()
    editor.get_by_role("button", name="Save settings").click()
    expect(editor.locator("#moderation-settings")).to_contain_text("Moderation settings saved")


def test_two_readers_see_comments_replies_and_approvals_live(
    browser: Browser, base_url: str, run_in_django
):
    post_url = run_in_django(SETUP).strip().splitlines()[-1]
    editor = browser.new_context().new_page()
    _sign_in(editor, base_url, "mod@example.com", "/dashboard/")
    editor.get_by_label("Verification code").fill(f"{totp(bytes.fromhex(TOTP_KEY_HEX)):06d}")
    editor.get_by_role("button", name="Verify").click()
    expect(editor).to_have_url(re.compile("/dashboard/"))
    _set_hold(editor, base_url, "Publish comments at once")

    ana = browser.new_context().new_page()
    ben = browser.new_context().new_page()
    _open_post(ana, base_url, "ana@example.com", post_url)
    # Ben reads newest first: a new thread arrives at the top of his list.
    _open_post(ben, base_url, "ben@example.com", post_url + "?comments=newest")
    expect(ben.locator("#reader-count")).to_contain_text("2", timeout=LIVE)

    # Ana comments; Ben's page shows it without a reload.
    ana.locator("#comment-body").fill("First light on the *lake* this morning.")
    ana.get_by_role("button", name="Post comment").click()
    ana_comment = ben.locator("#comment-list article", has_text="First light on the lake")
    expect(ana_comment).to_have_count(1, timeout=LIVE)
    expect(ana_comment.locator("em")).to_have_text("lake")
    expect(ben.locator("#comment-list > li").first).to_contain_text("First light on the lake")
    expect(ben.locator("#comment-list > li").last).not_to_contain_text("First light")
    comment_id = ana_comment.get_attribute("data-comment-id")
    # The poster sees their own comment once, not twice (form response + broadcast).
    expect(ana.locator("#comment-list article", has_text="First light")).to_have_count(1)
    expect(ana.locator("#notification-count")).to_have_attribute("data-unread", "0")

    # Ben replies; the reply appears for Ana and her bell counter rises live.
    ben.locator(f"#comment-{comment_id}").get_by_role("button", name=re.compile("actions")).click()
    ben.locator(f"#reply-body-{comment_id}").fill("Same here, @ana. Mist everywhere.")
    ben.get_by_role("button", name="Post reply").click()
    expect(ana.locator(f"#replies-{comment_id}")).to_contain_text("Mist everywhere", timeout=LIVE)
    expect(ana.locator("#notification-count")).to_have_attribute("data-unread", "1", timeout=LIVE)
    ana.locator("[data-notification-toggle]").click()
    expect(ana.locator("#notification-menu")).to_contain_text("Ben", timeout=LIVE)

    # The site now holds every comment: Ana's next one waits for an editor.
    _set_hold(editor, base_url, "Hold every new comment for approval")
    ana.locator("#comment-body").fill("Does anyone know the heron's name?")
    ana.get_by_role("button", name="Post comment").click()
    expect(ana.locator("#comment-list")).to_contain_text("Awaiting approval", timeout=LIVE)
    ben.wait_for_timeout(2_000)
    expect(ben.locator("#comment-list")).not_to_contain_text("heron")

    # An editor approves it from the moderation queue; it appears for Ben at once.
    editor.goto(base_url + "/dashboard/moderation/?view=held")
    row = editor.locator("tr", has_text="heron")
    expect(row).to_have_count(1)
    row.get_by_role("button", name=re.compile("^Approve")).click()
    expect(editor.locator("#moderation-results")).not_to_contain_text("heron")
    expect(ben.locator("#comment-list")).to_contain_text("heron's name", timeout=LIVE)
    expect(ana.locator("#comment-list")).not_to_contain_text("Awaiting approval", timeout=LIVE)
    expect(ana.locator("#comment-list article", has_text="heron")).to_have_count(1)
