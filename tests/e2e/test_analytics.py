"""The analytics journey: two readers (two browser contexts, so two visitor ids) read posts
with the site's own beacon script running; an editor opens the analytics dashboard and sees
the visits, the top posts and the "people on the site now" figure move while a reader reads.

Nothing is faked: the page views travel as the beacon sends them, through the ingestion
endpoint and the batch writer of the embedded default, to the selectors the page reads.
"""

import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import Browser, BrowserContext, Page, expect

pytestmark = [pytest.mark.e2e]

PASSWORD = "a-long-enough-passphrase"
TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
EMAIL = "an-ed@example.com"
TITLES = ("Counting readers honestly", "A second post worth reading")

SETUP = f"""
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from apps.accounts.models import User
from apps.accounts.services import mark_email_verified
from apps.blog.models import Post
editor = User.objects.create_user("{EMAIL}", "{PASSWORD}", username="aned", display_name="Ada")
editor.groups.add(Group.objects.get(name="editor"))
mark_email_verified(user=editor)
TOTPDevice.objects.create(user=editor, name="app", confirmed=True, key="{TOTP_KEY_HEX}")
posts = list(Post.objects.filter(status="published", language="en").order_by("-published_at")[:2])
for post, title in zip(posts, {TITLES!r}):
    Post.objects.filter(pk=post.pk).update(title=title)
    print(post.get_absolute_url())
"""


def _sign_in(page: Page, base_url: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.locator("#id_login").fill(EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.get_by_label("Verification code").fill(f"{totp(bytes.fromhex(TOTP_KEY_HEX)):06d}")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_label("Verification code")).to_have_count(0)


# Headless Chromium names itself "HeadlessChrome", which the collector drops as a bot; and
# two contexts on one machine share an IP address. A user agent of their own makes each
# reader a browser of its own, as two readers' browsers are.
AGENTS = iter(
    f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    f"Chrome/{version}.0.0.0 Safari/537.36"
    for version in range(140, 160)
)


def _read(browser: Browser, base_url: str, paths: list[str]) -> BrowserContext:
    """A reader of their own (a fresh context, another browser to the collector) reads `paths`."""
    context = browser.new_context(user_agent=next(AGENTS))
    reader = context.new_page()
    for path in paths:
        with reader.expect_response(re.compile(r"/a/e$")) as beacon:
            reader.goto(base_url + path)
        assert beacon.value.status == 202, beacon.value.status
    return context


def _live(page: Page) -> int:
    return int(page.locator("[data-live-count]").inner_text().replace(",", ""))


def test_editor_sees_readers_on_the_analytics_dashboard(
    page: Page, browser: Browser, base_url: str, run_in_django
) -> None:
    paths = [line for line in run_in_django(SETUP).splitlines() if line.startswith("/")]
    assert len(paths) == 2, paths

    # Two readers: one reads both posts, the other the first post only.
    readers = [_read(browser, base_url, [paths[0], paths[1]]), _read(browser, base_url, [paths[0]])]
    try:
        _watch(page, base_url, browser, paths, readers)
    finally:
        # Open readers would count as people on the post in the journeys that follow.
        for reader in readers:
            reader.close()


def _watch(
    page: Page, base_url: str, browser: Browser, paths: list[str], readers: list[BrowserContext]
) -> None:
    """The editor's side of the journey, while `readers` (closed by the caller) read."""
    _sign_in(page, base_url)
    page.goto(base_url + "/dashboard/")
    page.get_by_role("link", name="Analytics").first.click()
    expect(page).to_have_url(re.compile(r"/dashboard/analytics/"))
    page.get_by_role("link", name="Today").click()
    expect(page).to_have_url(re.compile(r"period=today"))

    # The batch writer runs on its own beat: the figures appear within seconds.
    report = page.locator("#analytics-report")
    visits = page.locator("#figure-visits dd").first
    expect(visits).not_to_have_text("0", timeout=20_000)
    for _ in range(20):
        if int(visits.inner_text().replace(",", "")) >= 2:
            break
        page.wait_for_timeout(1000)
        page.reload()
    assert int(visits.inner_text().replace(",", "")) >= 2
    top_posts = report.locator("#table-posts")
    expect(top_posts).to_contain_text(TITLES[0])
    expect(top_posts).to_contain_text(TITLES[1])
    # The first post, read by both, leads the table.
    expect(top_posts.locator("tbody tr").first).to_contain_text(TITLES[0])
    before = _live(page)
    assert before >= 2

    # A third reader arrives: the live figure moves by itself (the page polls every 10 s).
    readers.append(_read(browser, base_url, [paths[1]]))
    expect(page.locator("[data-live-count]")).not_to_have_text(str(before), timeout=25_000)
    assert _live(page) == before + 1

    # A table row is a filter link: the view narrows to the post, and says so.
    top_posts.get_by_role("link", name=TITLES[1]).click()
    expect(page).to_have_url(re.compile(r"post=\d+"))
    expect(page.get_by_label("Filters")).to_contain_text(TITLES[1])
