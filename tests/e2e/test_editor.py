"""The writing surface in a real browser: the formatting toolbar and its shortcuts, word count,
distraction-free mode, the settings panel (whose fields still autosave), the keyboard-reachable
preview, the editor's own time beside the site's after scheduling, and the feedback every htmx
action gives.

With INKWELL_SCREENSHOTS=<folder> (`make screenshots`), the desktop journey also refreshes the
screenshots of docs/user/writing.md (PNGs reduced to a small palette to keep them light).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, Route, expect

from tests.servers import ROOT

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = os.environ.get("INKWELL_SCREENSHOTS", "")


def _shoot(target: Page | Locator, name: str) -> None:
    """Save a documentation screenshot (only when asked), as a small palette PNG."""
    if not SCREENSHOTS:
        return
    folder = Path(SCREENSHOTS) if Path(SCREENSHOTS).is_absolute() else ROOT / SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    target.screenshot(path=str(path))
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(
            path, optimize=True
        )


def _page(browser: Browser, state: str | None, **options: object) -> Page:
    context = browser.new_context(storage_state=state, **options)  # type: ignore[arg-type]
    return context.new_page()


def _select(body: Locator, text: str) -> None:
    """Select the first occurrence of `text` in the textarea."""
    body.evaluate(
        "(el, text) => { const i = el.value.indexOf(text); el.focus(); el.setSelectionRange(i, i + text.length); }",
        text,
    )


def test_author_formats_counts_focuses_and_settings_still_save(
    browser: Browser, base_url: str, signed_in_states: Callable[[str], str | None]
) -> None:
    page = _page(browser, signed_in_states("author"), viewport=DESKTOP)
    page.goto(base_url + "/dashboard/posts/new/")
    page.locator("#id_title").fill("Notes from the toolbar")
    body = page.locator("#id_body")
    body.fill("A plain sentence about ferns\nsecond line\nthird line")

    toolbar = page.get_by_role("toolbar", name="Formatting")
    expect(toolbar).to_be_visible()
    _select(body, "plain")
    toolbar.get_by_role("button", name="Bold").click()
    expect(body).to_have_value(re.compile(r"A \*\*plain\*\* sentence"))
    _select(body, "sentence")
    page.keyboard.press("Control+i")
    expect(body).to_have_value(re.compile(r"\*sentence\*"))
    _select(body, "ferns")
    page.keyboard.press("Control+k")
    expect(body).to_have_value(re.compile(r"\[ferns\]\(https://\)"))
    assert body.evaluate("el => el.value.slice(el.selectionStart, el.selectionEnd)") == "https://"
    page.keyboard.type("https://example.com/ferns")
    _select(body, "second line\nthird line")
    toolbar.get_by_role("button", name="Bulleted list").click()
    expect(body).to_have_value(re.compile(r"\n- second line\n- third line$"))
    page.keyboard.press("Control+Shift+7")  # the same lines, numbered instead
    expect(body).to_have_value(re.compile(r"\n1\. second line\n2\. third line$"))
    _select(body, "A ")
    toolbar.get_by_role("button", name="Heading").click()
    expect(body).to_have_value(re.compile(r"^## A \*\*plain"))
    # Arrow keys move along the toolbar; it is one Tab stop.
    toolbar.get_by_role("button", name="Bold").focus()
    page.keyboard.press("ArrowRight")
    expect(toolbar.get_by_role("button", name="Italic")).to_be_focused()

    # Word count and reading time follow the typing; autosave still saves.
    count = page.locator("[data-word-count]")
    expect(count).to_have_text(re.compile(r"^1\d words · 1 min read$"))
    expect(page.locator("#save-status")).to_contain_text("Saved at", timeout=15_000)
    expect(page).to_have_url(re.compile(r"/dashboard/posts/\d+/edit/$"))
    body.evaluate("el => { el.focus(); el.setSelectionRange(el.value.length, el.value.length); }")
    page.mouse.move(0, 0)
    _shoot(page, "editor")

    # The settings live in the panel beside the text; their fields still autosave.
    panel = page.locator("#editor-settings")
    expect(panel).to_be_visible()
    address = panel.get_by_label("Address")
    address.fill("toolbar-notes")
    # Autosaved: the server answers with the post's new address.
    expect(page.locator("#save-status")).to_have_attribute(
        "data-slug", "toolbar-notes", timeout=15_000
    )
    _shoot(panel, "editor-settings")
    page.get_by_role("button", name="Settings", exact=True).click()
    expect(panel).to_be_hidden()
    page.reload()
    expect(page.locator("#editor-settings")).to_be_hidden()  # the choice is remembered
    page.get_by_role("button", name="Settings", exact=True).click()
    expect(page.locator("#editor-settings").get_by_label("Address")).to_have_value("toolbar-notes")

    # Distraction-free: only the text (and the save bar); Escape comes back.
    page.keyboard.press("Control+Shift+F")
    expect(page.locator("body > header")).to_be_hidden()
    expect(page.locator("#editor-settings")).to_be_hidden()
    expect(page.locator("#id_body")).to_be_focused()
    _shoot(page, "editor-focus")
    page.keyboard.press("Escape")
    expect(page.locator("body > header")).to_be_visible()

    # The preview is reachable by keyboard and scrolls with it.
    page.locator("#id_body").fill(
        "## Long\n\n" + "\n\n".join(f"Paragraph {n}." for n in range(120))
    )
    preview = page.locator("#editor-preview")
    expect(preview).to_contain_text("Paragraph 119", timeout=10_000)
    preview = page.locator("#editor-preview")
    preview.focus()
    expect(preview).to_be_focused()
    page.keyboard.press("End")
    page.wait_for_function("() => document.getElementById('editor-preview').scrollTop > 100")
    # The sticky save bar never sits over the focused text field.
    page.locator("#id_title").focus()
    bar = page.locator("[data-save-bar]").bounding_box()
    title = page.locator("#id_title").bounding_box()
    assert bar is not None
    assert title is not None
    assert title["y"] >= bar["y"] + bar["height"] or title["y"] + title["height"] <= bar["y"]
    page.context.close()


def test_settings_are_a_drawer_on_a_phone(
    browser: Browser, base_url: str, signed_in_states: Callable[[str], str | None]
) -> None:
    page = _page(browser, signed_in_states("author"), viewport=PHONE)
    page.goto(base_url + "/dashboard/posts/new/")
    panel = page.locator("#editor-settings")
    expect(panel).to_be_hidden()
    toggle = page.get_by_role("button", name="Settings", exact=True)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(panel).to_be_visible()
    expect(panel).to_be_focused()
    assert panel.evaluate("el => getComputedStyle(el).position") == "fixed"
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(toggle).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.context.close()


def test_scheduling_shows_the_editors_time_beside_the_sites(
    browser: Browser,
    base_url: str,
    signed_in_states: Callable[[str], str | None],
    run_in_django: Callable[[str], str],
) -> None:
    pk = run_in_django(
        "from apps.blog.models import Post\n"
        "print(Post.objects.filter(author__username='bars-author').first().pk)"
    ).split()[-1]
    page = _page(
        browser, signed_in_states("editor"), viewport=DESKTOP, timezone_id="America/New_York"
    )
    page.goto(f"{base_url}/dashboard/posts/{pk}/edit/")
    page.get_by_text("Schedule for later").click()
    when = datetime.now(UTC) + timedelta(days=3)
    page.locator("#workflow-panel input[type=datetime-local]").first.fill(
        when.strftime("%Y-%m-%dT%H:%M")
    )
    page.locator("#workflow-panel").get_by_role("button", name="Schedule").click()
    panel = page.locator("#workflow-panel")
    expect(panel).to_contain_text("Goes live on")
    expect(panel).to_contain_text("(UTC)")
    expect(panel.locator("[data-your-time]").first).to_have_text(
        re.compile(r"^Your time: .+\(America/New_York\)\.$")
    )
    _shoot(panel, "editor-scheduled")
    page.context.close()


def test_htmx_actions_show_progress_then_say_what_went_wrong(
    browser: Browser, base_url: str, signed_in_states: Callable[[str], str | None]
) -> None:
    page = _page(browser, signed_in_states("editor"), viewport=DESKTOP)
    page.goto(base_url + "/dashboard/posts/?status=draft")
    held: list[Route] = []
    page.route(re.compile(r"/row-move/"), lambda route: held.append(route))
    row = page.locator("tbody tr").first
    row.get_by_text("Actions").click()
    button = row.locator("form button").first
    button.click()
    expect(button).to_be_disabled()
    expect(row.locator("form").first).to_have_attribute("aria-busy", "true")
    page.wait_for_function("() => true")  # let the held request reach the route handler
    assert held, "the row action never reached the server"
    held[0].fulfill(status=500, body="boom")
    alert = row.get_by_role("alert")
    expect(alert).to_contain_text("the server had a problem and nothing changed")
    expect(button).to_be_enabled()
    expect(row.locator("form").first).not_to_have_attribute("aria-busy", "true")
    assert "boom" not in page.content()  # the error page never replaces the row
    page.context.close()
