"""The newsletter journey: subscribe from a post, confirm from the mail, manage preferences,
receive a campaign, and leave with the one-click link in that campaign's mail."""

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

EMAIL = "letters-reader@example.com"


def _link_in_mail(mail_dir: Path, to: str, kind: str, timeout: float = 10.0) -> str:
    """The path of the newest /newsletter/<kind>/ link mailed to `to`."""
    pattern = re.compile(rf"https?://[^/\s]+(/newsletter/{kind}/[^\s\"<]+/)")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True):
            text = path.read_text()
            if f"To: {to}" in text and (match := pattern.search(text)):
                return match[1]
        time.sleep(0.2)
    raise AssertionError(f"No mail to {to} with a /newsletter/{kind}/ link in {mail_dir}")


SEND_CAMPAIGN = """
from django.contrib.auth.models import Group
from apps.accounts.models import User
from apps.newsletter import campaigns
from apps.newsletter.models import Newsletter
editor = User.objects.create_user("letters-ed@example.com", None, username="lettersed")
editor.groups.add(Group.objects.get(name="editor"))
campaign = campaigns.create_campaign(
    actor=editor, subject="Letters from the margin", body="Hello, **readers**.",
    newsletters=[Newsletter.objects.get(slug="weekly")],
)
campaigns.send_campaign(actor=editor, campaign=campaign)
"""


def test_reader_subscribes_from_a_post_confirms_and_unsubscribes(
    page: Page, base_url: str, mail_dir: Path, run_in_django
):
    page.goto(base_url + "/")
    page.locator("#post-list article h2 a").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    # The box at the end of the post: its CSRF field arrives when it comes into view.
    box = page.locator("[data-newsletter-box]")
    box.scroll_into_view_if_needed()
    expect(box.locator("input[name=csrfmiddlewaretoken]")).to_be_attached()
    box.get_by_label("Email address").fill(EMAIL)
    box.get_by_role("button", name="Subscribe").click()
    expect(box.get_by_role("status")).to_contain_text("Check your inbox")

    # The confirmation mail's link: a page with one button (mail scanners only open links).
    page.goto(base_url + _link_in_mail(mail_dir, EMAIL, "confirm"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your subscription")
    expect(page.locator("main")).to_contain_text("Weekly digest")
    page.get_by_role("button", name="Yes, subscribe me").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You’re subscribed")

    # Every mail carries the preferences link; the reminder mail sent on a second sign-up
    # does too. Sign up again from the newsletter page to get one.
    page.goto(base_url + "/newsletter/")
    page.locator("#newsletter-signup").get_by_label("Email address").fill(EMAIL)
    page.locator("#newsletter-signup").get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("status")).to_contain_text("Check your inbox")
    page.goto(base_url + _link_in_mail(mail_dir, EMAIL, "preferences"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your newsletters")
    expect(page.get_by_label("Weekly digest")).to_be_checked()

    # An editor sends a campaign (the embedded default's runner sends it within seconds); the
    # reader's copy carries a one-click unsubscribe link for this campaign's newsletters.
    run_in_django(SEND_CAMPAIGN)
    page.goto(base_url + _link_in_mail(mail_dir, EMAIL, "unsubscribe", timeout=30))
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You’re unsubscribed")
    expect(page.get_by_role("status")).to_contain_text("Weekly digest")

    # The preferences page agrees.
    page.goto(base_url + _link_in_mail(mail_dir, EMAIL, "preferences"))
    expect(page.get_by_label("Weekly digest")).not_to_be_checked()
