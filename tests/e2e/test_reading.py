import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_reader_opens_the_home_page_follows_a_post_and_goes_live(page: Page, base_url: str):
    page.goto(base_url + "/")
    expect(page).to_have_title(re.compile("Inkwell"))
    expect(page.get_by_role("heading", name="Featured")).to_be_visible()

    first_post = page.locator("#post-list article h2 a").first
    title = first_post.inner_text()
    first_post.click()

    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("#live-status")).to_have_attribute("data-live", "connected", timeout=10_000)
    expect(page.locator("#live-status")).to_contain_text("Live")


def test_reader_pages_through_the_archive_with_htmx(page: Page, base_url: str):
    page.goto(base_url + "/")
    first_title = page.locator("#post-list article h2 a").first.inner_text()
    page.get_by_role("link", name="Older →").click()
    expect(page).to_have_url(re.compile(r"\?page=2$"))
    expect(page.locator("#post-list")).to_contain_text("Page 2 of")
    expect(page.locator("#post-list article h2 a").first).not_to_have_text(first_title)
    # The header stayed: the list was swapped, not the page reloaded.
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_keyboard_user_can_skip_to_content(page: Page, base_url: str):
    page.goto(base_url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
