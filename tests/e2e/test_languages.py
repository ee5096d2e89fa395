"""Posts in several languages in a real browser: a reader switches a post to its German
translation (or to a language it lacks), an Arabic post reads right to left on a phone without
sideways scrolling, and an editor brings an outdated translation up to date.

Posts and translations are made through the blog's services (create_post, create_translation,
update_post, publish_post) in `manage.py shell`, before the server first shows them. Later
changes go through the server (the editor): it caches query results per process
(django-cachalot on the embedded local-memory cache), so a write from another process would
not reach the pages it already served.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# A source post in English and its published translations, made by the session's editor.
# `{spec}` is a JSON object: slug, title, body, tags, and translations {language: {title, body}}.
# Prints {"source": {"pk", "url"}, "<language>": {"pk", "url"}, ...} as JSON.
POST_WITH_TRANSLATIONS = """
import json
from apps.accounts.models import User
from apps.blog import services
from apps.blog.models import Post
spec = json.loads({spec!r})
editor = User.objects.get(username="bars-editor")
source = services.create_post(
    author=editor, title=spec["title"], body=spec["body"], slug=spec["slug"],
    tags=services.get_or_create_tags(names=spec.get("tags", [])),
    status=Post.Status.PUBLISHED,
)
source.comments_open = True
source.save(update_fields=["comments_open"])
made = {{"source": {{"pk": source.pk, "url": source.get_absolute_url()}}}}
for language, text in spec.get("translations", {{}}).items():
    post = services.create_translation(actor=editor, source=source, language=language)
    content = services.current_content(post)
    content.title, content.body = text["title"], text["body"]
    post = services.update_post(
        actor=editor, post=post, content=content, based_on_version=post.version
    )
    if text.get("publish", True):
        post = services.publish_post(actor=editor, post=post)
        post.comments_open = True
        post.save(update_fields=["comments_open"])
    made[language] = {{"pk": post.pk, "url": post.get_absolute_url()}}
print(json.dumps(made))
"""


def _make_post(run_in_django: Callable[[str], str], **spec: Any) -> dict[str, dict[str, Any]]:
    output = run_in_django(POST_WITH_TRANSLATIONS.format(spec=json.dumps(spec)))
    made: dict[str, dict[str, Any]] = json.loads(output.strip().splitlines()[-1])
    return made


def _page(browser: Browser, state: str | None, **options: Any) -> Page:
    context = browser.new_context(storage_state=state, **options)
    return context.new_page()


# --------------------------------------------------------------------------
# 1. The switcher takes a reader to the post's translation, or to the language's home
# --------------------------------------------------------------------------


def test_reader_switches_a_post_to_its_german_translation(
    browser: Browser, base_url: str, people: dict[str, str], run_in_django: Callable[[str], str]
) -> None:
    made = _make_post(
        run_in_django,
        slug="the-lantern-maker",
        title="The lantern maker",
        body="A workshop lit by a hundred small flames.\n",
        translations={
            "de": {
                "title": "Der Laternenmacher",
                "body": "Eine Werkstatt, erhellt von hundert kleinen Flammen.\n",
            },
        },
    )
    page = _page(browser, None, viewport=DESKTOP)
    page.goto(base_url + made["source"]["url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("The lantern maker")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    switcher = page.locator("[data-language-switcher]")
    switcher.locator("summary").click()
    expect(switcher).to_have_attribute("open", "")
    english = switcher.get_by_role("link", name="English")
    german = switcher.get_by_role("link", name="Deutsch")
    arabic = switcher.locator("a[hreflang=ar]")  # named "العربيّة"
    expect(english).to_have_attribute("aria-current", "true")
    expect(german).not_to_have_attribute("aria-current", "true")
    expect(german).not_to_contain_text("not translated")
    expect(arabic).to_contain_text("not translated")  # this post has no Arabic version

    german.click()
    expect(page).to_have_url(f"{base_url}/de/posts/the-lantern-maker/")
    assert made["de"]["url"] == "/de/posts/the-lantern-maker/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Der Laternenmacher")
    expect(page.locator("article")).to_contain_text("Eine Werkstatt, erhellt von hundert")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")

    # Now the switcher names German as the current language (and the English original too).
    switcher = page.locator("[data-language-switcher]")
    expect(switcher.locator("summary")).to_contain_text(re.compile("de", re.I))
    switcher.locator("summary").click()
    expect(switcher.get_by_role("link", name="Deutsch")).to_have_attribute("aria-current", "true")
    expect(switcher.locator("a[aria-current]")).to_have_count(1)
    english = switcher.get_by_role("link", name="English")
    expect(english).to_have_attribute("href", re.compile(r"next=%2Fposts%2Fthe-lantern-maker%2F"))
    page.context.close()


def test_reader_picking_a_language_the_post_lacks_lands_on_its_home(
    browser: Browser, base_url: str, people: dict[str, str], run_in_django: Callable[[str], str]
) -> None:
    made = _make_post(
        run_in_django,
        slug="only-in-two-languages",
        title="Only in two languages",
        body="English and German, nothing else.\n",
        translations={"de": {"title": "Nur in zwei Sprachen", "body": "Nichts sonst.\n"}},
    )
    page = _page(browser, None, viewport=DESKTOP)
    page.goto(base_url + made["source"]["url"])
    switcher = page.locator("[data-language-switcher]")
    switcher.locator("summary").click()
    arabic = switcher.locator("a[hreflang=ar]")  # named "العربيّة"
    expect(arabic).to_contain_text("not translated")
    arabic.click()
    expect(page).to_have_url(f"{base_url}/ar/")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("[data-language-switcher]").locator("a[aria-current]")).to_have_attribute(
        "hreflang", "ar"
    )
    page.context.close()


# --------------------------------------------------------------------------
# 2. An Arabic post on a phone: mirrored, nothing wider than the screen
# --------------------------------------------------------------------------

ARABIC_TITLE = (
    "دليل شامل ومفصل لصناعة الفوانيس التقليدية في الأسواق القديمة: "
    "الأدوات والمواد والتقنيات المتوارثة عبر الأجيال"
)
ARABIC_BODY = """## الأدوات

نبدأ بالأدوات الأساسية التي يحتاجها كل صانع فوانيس في ورشته الصغيرة.

```python
def measure_the_lantern_frame(width_in_centimetres, height_in_centimetres, thickness_of_the_brass_sheet):
    return {"area": width_in_centimetres * height_in_centimetres, "thickness": thickness_of_the_brass_sheet}
```

راجع المصدر الكامل على https://example.com/a/very/long/address/that/never/breaks/by/itself/lanterns-and-brass-work-in-the-old-markets قبل البدء.
"""

COMMENTS = """
from apps.accounts.models import User
from apps.blog.models import Post
from apps.comments.models import Comment
post = Post.objects.get(pk={pk})
author = User.objects.get(username="bars-reader")
for body in [
    "مقال رائع، شكراً على هذا الشرح المفصل!",
    "هل يمكن استخدام النحاس الأصفر بدلاً من ذلك؟ https://example.com/questions/about-brass-and-copper-sheets-for-lanterns",
]:
    Comment.objects.create(post=post, author=author, body=body, body_html=f"<p>{{body}}</p>")
"""


def test_an_arabic_post_is_mirrored_and_never_scrolls_sideways_on_a_phone(
    browser: Browser, base_url: str, people: dict[str, str], run_in_django: Callable[[str], str]
) -> None:
    made = _make_post(
        run_in_django,
        slug="lantern-making-guide",
        title="A complete guide to making traditional lanterns",
        body="## Tools\n\nWe start with the tools.\n",
        tags=["lanterns", "brass-work", "traditional-crafts", "old-markets"],
        translations={"ar": {"title": ARABIC_TITLE, "body": ARABIC_BODY}},
    )
    run_in_django(COMMENTS.format(pk=made["ar"]["pk"]))
    page = _page(browser, None, viewport=PHONE)
    page.goto(base_url + made["ar"]["url"])
    assert made["ar"]["url"].startswith("/ar/")

    # What tends to overflow is all there: the long title, the code block, tags, comments.
    expect(page.get_by_role("heading", level=1)).to_have_text(ARABIC_TITLE)
    expect(page.locator("article pre code")).to_contain_text("measure_the_lantern_frame")
    expect(page.locator("article").get_by_role("link", name="#brass-work")).to_be_visible()
    comments = page.locator("#comment-list")
    expect(comments).to_contain_text("مقال رائع")
    expect(comments).to_contain_text("about-brass-and-copper-sheets")

    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "ar"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"

    # Mirrored: the site's name sits at the right edge of the header, the menus to its left
    # in reverse order (the first, "Menu", rightmost), and the title starts at the right.
    width = PHONE["width"]
    header = page.locator("body > header")
    brand = header.get_by_role("link", name="Inkwell", exact=True).bounding_box()
    menu = header.locator("details[data-menu]:not([data-language-switcher])").bounding_box()
    switcher = header.locator("[data-language-switcher]").bounding_box()
    assert brand is not None
    assert menu is not None
    assert switcher is not None
    assert width - (brand["x"] + brand["width"]) <= 32, f"the name is not on the right: {brand}"
    assert brand["x"] >= width / 2, f"the name starts in the left half: {brand}"
    assert switcher["x"] + switcher["width"] <= menu["x"], "the menus are not in RTL order"
    title_line_end = page.evaluate(
        """() => {
            const range = document.createRange();
            range.selectNodeContents(document.getElementById('post-title'));
            return range.getClientRects()[0].right;
        }"""
    )
    assert width - title_line_end <= 32, f"the title's first line ends at {title_line_end}"

    # Nothing is wider than the screen: not at the top, not down at the comments.
    def assert_no_sideways_scroll(where: str) -> None:
        widths = page.evaluate(
            "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
        )
        assert widths["scroll"] <= widths["inner"], f"{where}: the page scrolls sideways {widths}"

    assert_no_sideways_scroll("top of the post")
    page.locator("#comments").scroll_into_view_if_needed()
    assert_no_sideways_scroll("at the comments")

    # The language menu a reader opens on a phone stays on the screen too.
    page.evaluate("window.scrollTo(0, 0)")
    header.locator("[data-language-switcher] summary").click()
    languages = header.locator("[data-language-switcher] ul")
    expect(languages).to_be_visible()
    box = languages.bounding_box()
    assert box is not None
    assert box["x"] >= 0, f"the language menu leaves the screen on the left: {box}"
    assert box["x"] + box["width"] <= width, f"the language menu leaves the screen: {box}"
    assert_no_sideways_scroll("with the language menu open")
    page.context.close()


# --------------------------------------------------------------------------
# 3. An editor sees an outdated translation, what changed, and brings it up to date
# --------------------------------------------------------------------------


def _save_in_editor(page: Page, base_url: str, pk: int, body: str) -> None:
    """Open the post in the editor, replace its body and press Save (not an autosave)."""
    edit_url = f"{base_url}/dashboard/posts/{pk}/edit/"
    if page.url != edit_url:
        page.goto(edit_url)
    page.locator("#id_body").fill(body)
    with page.expect_response(
        lambda response: response.request.method == "POST" and response.url == edit_url
    ) as saved:
        page.locator("[data-save-button]").click()
    assert saved.value.status == 200
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    expect(page.locator("#id_body")).to_have_value(body.rstrip())  # the form trims the end


def test_editor_brings_an_outdated_translation_up_to_date(
    browser: Browser,
    base_url: str,
    signed_in_states: Callable[[str], str | None],
    run_in_django: Callable[[str], str],
) -> None:
    made = _make_post(
        run_in_django,
        slug="the-glass-harbour",
        title="The glass harbour",
        body="Boats of glass.\n\nThe harbour opens at dawn.\n\nGulls everywhere.\n",
        translations={
            "de": {
                "title": "Der gläserne Hafen",
                "body": "Boote aus Glas.\n\nDer Hafen öffnet im Morgengrauen.\n\nÜberall Möwen.\n",
            }
        },
    )
    source_pk, german_pk = made["source"]["pk"], made["de"]["pk"]
    translations_url = f"{base_url}/dashboard/posts/{source_pk}/translations/"
    page = _page(browser, signed_in_states("editor"), viewport=DESKTOP)

    # Up to date at first: the German row is published and not outdated.
    page.goto(translations_url)
    german_row = page.locator("tr[data-language=de]")
    expect(german_row).to_have_attribute("data-state", "published")
    expect(german_row.locator("a[data-outdated]")).to_have_count(0)

    # The original changes in the editor: the translation is now outdated.
    _save_in_editor(
        page,
        base_url,
        source_pk,
        "Boats of glass.\n\nThe harbour opens at noon.\n\nGulls everywhere.\n",
    )
    page.goto(translations_url)
    expect(german_row).to_have_attribute("data-state", "published outdated")
    expect(page.locator("tr[data-language=en]")).to_have_attribute("data-state", "published")
    outdated = german_row.locator("a[data-outdated]")
    expect(outdated).to_have_text("Outdated: see what changed")

    # What changed: the diff of the original since the translation was last saved.
    outdated.click()
    expect(page).to_have_url(f"{base_url}/dashboard/posts/{german_pk}/translation-changes/")
    body_diff = page.get_by_role("region", name="Changes to the body, line by line")
    expect(body_diff.locator("del")).to_have_text(["The harbour opens at dawn."])
    expect(body_diff.locator("ins")).to_have_text(["The harbour opens at noon."])

    # The translator carries the change over in the editor and saves.
    page.get_by_role("link", name="Open the translation").click()
    expect(page).to_have_url(f"{base_url}/dashboard/posts/{german_pk}/edit/")
    expect(page.locator("#id_body")).to_have_value(re.compile("Der Hafen öffnet im Morgengrauen"))
    _save_in_editor(
        page,
        base_url,
        german_pk,
        "Boote aus Glas.\n\nDer Hafen öffnet am Mittag.\n\nÜberall Möwen.\n",
    )

    # Back on the translations page, the mark is gone.
    page.goto(translations_url)
    expect(german_row).to_have_attribute("data-state", "published")
    expect(german_row.locator("a[data-outdated]")).to_have_count(0)
    expect(german_row.get_by_role("link", name="Edit")).to_have_attribute(
        "href", f"/dashboard/posts/{german_pk}/edit/"
    )
    page.goto(f"{base_url}/dashboard/posts/{german_pk}/translation-changes/")
    expect(page.locator("#changes-panel")).to_contain_text("up to date with the original")
    page.context.close()


# --------------------------------------------------------------------------
# 4. The dashboard in Arabic on a phone: mirrored, translated, never scrolling sideways
# --------------------------------------------------------------------------


def test_the_dashboard_in_arabic_is_mirrored_and_fits_a_phone(
    browser: Browser,
    base_url: str,
    signed_in_states: Callable[[str], str | None],
    run_in_django: Callable[[str], str],
) -> None:
    made = _make_post(
        run_in_django,
        slug="the-copper-kettle",
        title="The copper kettle",
        body="A kettle older than the house.\n",
        translations={"ar": {"title": "الإبريق النحاسي", "body": "إبريق أقدم من البيت.\n"}},
    )
    page = _page(browser, signed_in_states("editor"), viewport=PHONE)
    # The switcher's choice (a cookie) is what a reader who chose Arabic carries.
    page.context.add_cookies([{"name": "language", "value": "ar", "url": base_url}])
    pages = {
        "/dashboard/": "لوحة التحكم",
        "/dashboard/posts/": "",
        f"/dashboard/posts/{made['source']['pk']}/translations/": "الإبريق النحاسي",
        f"/dashboard/posts/{made['ar']['pk']}/edit/": "",
    }
    for path, text in pages.items():
        page.goto(base_url + path)
        assert page.evaluate("document.documentElement.dir") == "rtl", path
        assert page.evaluate("document.documentElement.lang") == "ar", path
        if text:
            expect(page.locator("body")).to_contain_text(text)
        widths = page.evaluate(
            "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
        )
        assert widths["scroll"] <= widths["inner"], f"{path} scrolls sideways: {widths}"
    # The translations page names the states in Arabic, and the Arabic row is published.
    page.goto(base_url + f"/dashboard/posts/{made['source']['pk']}/translations/")
    expect(page.locator("tr[data-language=ar]")).to_have_attribute("data-state", "published")
    page.context.close()
