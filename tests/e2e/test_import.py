"""The import journey: an admin uploads a WordPress export on the dashboard, watches the
run's progress bar reach the end, reads the report, then finds the imported post with its
threaded comments (a guest's among them) at its new address, while the old permalink and
`?p=ID` answer with a redirect to it.

The WXR file is written here by apps.transfer.samples (WordPress's export format). The
embedded default runs tasks at once, so the run has usually finished by the time its page
opens; the page polls its progress partial until the run is done either way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from apps.transfer.samples import WxrComment, WxrItem, write_wxr

pytestmark = [pytest.mark.e2e]

SLUG = "from-wordpress-with-love"


def _export(path: Path) -> Path:
    items = [
        WxrItem(
            id=4242,
            title="From WordPress with love",
            slug=SLUG,
            content="It moved <em>here</em>.\n\nWith its comments.",
            date_gmt="2021-06-15 08:00:00",
            tags=[("moving", "Moving")],
            comments=[
                WxrComment(1, "Wanda Guest", "wanda@old.example", "Welcome to the new place!"),
                WxrComment(2, "Theo", "theo@old.example", "Glad you made it", parent=1),
            ],
        ),
        WxrItem(id=4243, title="An old draft", slug="an-old-draft", content="…", status="draft"),
    ]
    with path.open("wb") as out:
        write_wxr(out, items, authors=[("admin", "bars-admin@example.com", "Admin")])
    return path


def test_admin_imports_a_wordpress_site(
    browser: Browser,
    base_url: str,
    signed_in_states: Callable[[str], str | None],
    tmp_path: Path,
) -> None:
    context = browser.new_context(storage_state=signed_in_states("admin"))
    page = context.new_page()
    page.goto(base_url + "/dashboard/imports/")
    expect(page.get_by_role("heading", name="Import a site", level=1)).to_be_visible()
    page.get_by_label("Import from").select_option("wxr")
    page.get_by_label("Export file").set_input_files(str(_export(tmp_path / "export.xml")))
    page.get_by_role("button", name="Start the import").click()

    page.wait_for_url(re.compile(r"/dashboard/imports/\d+/$"))
    bar = page.locator("#import-progress progress")
    expect(bar).to_be_visible()
    expect(page.locator("[data-import-status]")).to_have_attribute(
        "data-import-status", "done", timeout=30_000
    )
    expect(bar).to_have_attribute("value", "100")
    report = page.locator("#import-progress")
    expect(report.get_by_role("heading", name="Report")).to_be_visible()
    expect(report).to_contain_text("1 created")  # posts: one published, one draft…
    expect(report).to_contain_text("2 created")  # …comments
    expect(page.get_by_role("button", name="Roll back this import")).to_be_visible()

    page.goto(base_url + f"/posts/{SLUG}/")
    expect(page.get_by_role("heading", name="From WordPress with love")).to_be_visible()
    comments = page.locator("#comment-list, [data-comment-id]").first
    expect(comments).to_be_visible()
    expect(page.get_by_text("Welcome to the new place!")).to_be_visible()
    expect(page.get_by_text("Glad you made it")).to_be_visible()
    expect(page.get_by_text("Wanda Guest")).to_be_visible()
    assert "wanda@old.example" not in page.content()

    page.goto(base_url + f"/2021/06/{SLUG}/")
    expect(page).to_have_url(re.compile(rf"/posts/{SLUG}/$"))
    page.goto(base_url + "/?p=4242")
    expect(page).to_have_url(re.compile(rf"/posts/{SLUG}/$"))
    context.close()
