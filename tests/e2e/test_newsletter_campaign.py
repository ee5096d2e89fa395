"""The editor's newsletter journey: a campaign from a published post, previewed in both
frames, a test to their own address, sent to the subscribers; the results page shows it.

The embedded default sends from its in-process periodic runner and writes mail to the e2e
mail folder; the results page refreshes itself while the campaign sends.
"""

import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e]

PASSWORD = "a-long-enough-passphrase"
TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
TITLE = "Notes on marginalia"

SETUP = f"""
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from apps.accounts.models import User
from apps.accounts.services import mark_email_verified
from apps.blog.models import Post
from apps.newsletter.models import Newsletter, Subscriber, Subscription
editor = User.objects.create_user("nl-ed@example.com", "{PASSWORD}", username="nled", display_name="Nell")
editor.groups.add(Group.objects.get(name="editor"))
mark_email_verified(user=editor)
TOTPDevice.objects.create(user=editor, name="app", confirmed=True, key="{TOTP_KEY_HEX}")
post = Post.objects.filter(status="published").first()
Post.objects.filter(pk=post.pk).update(title="{TITLE}")
# A list of its own: the demo content has subscribers of the shipped ones.
weekly = Newsletter.objects.create(name="Field notes", slug="field-notes", position=9)
for n in range(3):
    s = Subscriber.objects.create(email=f"nl-reader{{n}}@example.com", confirmed_at=timezone.now())
    Subscription.objects.create(subscriber=s, newsletter=weekly, status="active", subscribed_at=timezone.now())
"""


def test_editor_builds_previews_tests_and_sends_a_campaign(
    page: Page, base_url: str, run_in_django, mail_dir
) -> None:
    run_in_django(SETUP)
    page.goto(base_url + "/accounts/login/")
    page.locator("#id_login").fill("nl-ed@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.get_by_label("Verification code").fill(f"{totp(bytes.fromhex(TOTP_KEY_HEX)):06d}")
    page.get_by_role("button", name="Verify").click()

    # From the navigation to a new campaign built from the post.
    page.goto(base_url + "/dashboard/")
    page.get_by_role("link", name="Newsletter").first.click()
    page.get_by_role("link", name="New campaign").click()
    page.get_by_role("combobox", name="Published post").select_option(label=TITLE)
    page.locator("#new-campaign section").first.get_by_label("Field notes").check()
    page.get_by_role("button", name="Create from the post").click()
    expect(page).to_have_url(re.compile(r"/dashboard/newsletter/campaigns/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)

    # The preview, narrow and wide, in sandboxed frames (no CSP error is reported).
    narrow = page.frame_locator("iframe[title='Mail preview, narrow']")
    wide = page.frame_locator("iframe[title='Mail preview, wide']")
    expect(narrow.get_by_text(TITLE).first).to_be_visible()
    expect(wide.get_by_text(re.compile("unsubscribe", re.I)).first).to_be_visible()

    # A test to the editor's own address.
    before = len(list(mail_dir.iterdir()))
    page.get_by_role("button", name=re.compile("Send a test to")).click()
    expect(page.locator("#campaign-panel")).to_contain_text("Test sent to nl-ed@example.com")
    assert len(list(mail_dir.iterdir())) > before

    # Send now. htmx wires up swapped-in forms when the swap settles (a task ~20 ms later,
    # longer on a busy machine); a click before that would miss the confirm and the htmx post.
    page.wait_for_function("() => !document.querySelector('.htmx-added, .htmx-settling')")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#campaign-panel")).to_contain_text(
        re.compile("Sending now|Sent"), timeout=15_000
    )

    # The results: three recipients, drawn and tabled.
    page.get_by_role("link", name="Results").click()
    results = page.locator("#campaign-results")
    expect(results.locator("svg")).to_be_visible()
    recipients = results.get_by_role("row", name=re.compile("Recipients"))
    expect(recipients).to_contain_text("3", timeout=15_000)
    expect(results.get_by_role("row", name=re.compile("^Sent"))).to_contain_text("3")
