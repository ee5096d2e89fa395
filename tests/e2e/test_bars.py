"""The page-wide bars of issue 15, measured on every page each kind of visitor can reach.

At 390 by 844 (a phone), for an anonymous reader, a reader, an author, an editor and an admin:
no page scrolls sideways (the document is never wider than the viewport). And axe-core,
from npm and injected by the test only, finds no serious or critical violation on any of
those pages, in the light and in the dark colour scheme. One browser, one server: each role
loops over its pages in one test, so the suite stays quick.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize

from tests.servers import ROOT

pytestmark = pytest.mark.e2e

AXE = ROOT / "apps/theme/static_src/node_modules/axe-core/axe.min.js"
PHONE: ViewportSize = {"width": 390, "height": 844}
SERIOUS = {"serious", "critical"}

# What the demo content and the people fixture hold, found once: the pages with ids in them.
FIXTURES_CODE = """
import json
from apps.accounts.models import User
from apps.blog.models import Post
from apps.newsletter.models import Campaign
post = Post.objects.filter(status="published").order_by("-published_at").first()
commented = max(Post.objects.filter(status="published"), key=lambda p: p.comments.count())
draft = Post.objects.filter(author__username="bars-author").first()
sent = Campaign.objects.filter(status="sent").first()
print(json.dumps({
    "post": post.get_absolute_url(),
    "post_pk": post.pk,
    "commented": commented.get_absolute_url(),
    "commented_pk": commented.pk,
    "category": post.category.get_absolute_url() if post.category else "",
    "tag": post.tags.first().get_absolute_url() if post.tags.exists() else "",
    "author": f"/authors/{post.author.username}/",
    "archive_month": post.published_at.strftime("/archive/%Y/%m/"),
    "draft_pk": draft.pk,
    "campaign_pk": sent.pk if sent else None,
}))
"""


@pytest.fixture(scope="module")
def site(run_in_django: Callable[[str], str], people: dict[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(run_in_django(FIXTURES_CODE).strip().splitlines()[-1])
    return found


def pages_for(role: str, site: dict[str, Any]) -> list[str]:
    """Every page this role can open (the dashboard's own navigation adds the rest)."""
    public = [
        "/",
        site["post"],
        site["commented"],
        site["category"],
        site["tag"],
        site["author"],
        "/search/?q=the",
        "/archive/",
        site["archive_month"],
        "/newsletter/",
        "/no-such-page/",
    ]
    pages = [p for p in public if p]
    if role == "anonymous":
        return [*pages, "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
    pages += [
        "/accounts/profile/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/security/",
        "/accounts/sessions/",
        "/accounts/data/",
        "/accounts/delete/",
        "/notifications/",
        "/notifications/settings/",
    ]
    if role == "author":
        pages += [
            "/dashboard/posts/new/",
            f"/dashboard/posts/{site['draft_pk']}/edit/",
            f"/dashboard/posts/{site['draft_pk']}/revisions/",
        ]
    if role in ("editor", "admin"):
        pages += [
            "/dashboard/posts/new/",
            f"/dashboard/posts/{site['post_pk']}/edit/",
            f"/dashboard/posts/{site['post_pk']}/revisions/",
            "/dashboard/moderation/settings/",
            "/dashboard/newsletter/campaigns/new/",
            "/dashboard/newsletter/subscribers/import/",
        ]
        if site["campaign_pk"]:
            pk = site["campaign_pk"]
            pages += [
                f"/dashboard/newsletter/campaigns/{pk}/",
                f"/dashboard/newsletter/campaigns/{pk}/results/",
            ]
    return pages


def dashboard_links(page: Page) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all(
        "nav[aria-label=Dashboard] a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    return hrefs


OVERFLOW_JS = """() => {
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  // The widest culprits: elements reaching past the right edge, outermost first.
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0) {
      const parent = el.parentElement && el.parentElement.getBoundingClientRect();
      if (!parent || parent.right <= width + 1) {
        wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
          (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').slice(0, 4).join('.') : '') +
          ' → ' + Math.round(box.right) + 'px');
      }
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, culprits: wide.slice(0, 5)};
}"""

AXE_JS = """async () => {
  const result = await axe.run(document, {
    resultTypes: ['violations'],
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
  });
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').split('\\n').slice(0, 2).join(' '))}));
}"""


@pytest.fixture
def phone(
    browser: Browser, signed_in_states: Callable[[str], str | None]
) -> Iterator[Callable[[str], Page]]:
    contexts = []

    def open_as(role: str) -> Page:
        context = browser.new_context(viewport=PHONE, storage_state=signed_in_states(role))
        contexts.append(context)
        return context.new_page()

    yield open_as
    for context in contexts:
        context.close()


# Pages axe has already checked (a page looks the same to every role that opens it, apart
# from the header, so each address is checked once, by the first role that reaches it).
_AXED: set[str] = set()


@pytest.mark.parametrize("role", ["anonymous", "reader", "author", "editor", "admin"])
def test_no_sideways_scrolling_and_no_serious_axe_violations(
    role: str, phone: Callable[[str], Page], base_url: str, site: dict[str, Any]
) -> None:
    page = phone(role)
    axe_source = AXE.read_text()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    pages = pages_for(role, site)
    if role != "anonymous" and role != "reader":
        page.goto(base_url + "/dashboard/")
        pages += [link for link in dashboard_links(page) if link not in pages]
    overflowing: dict[str, Any] = {}
    violations: dict[str, Any] = {}
    for path in pages:
        page.emulate_media(color_scheme="light")
        response = page.goto(base_url + path)
        assert response is not None
        expected = 404 if path == "/no-such-page/" else 200
        assert response.status == expected, f"{role} {path}: {response.status}"
        assert not page.url.startswith(base_url + "/accounts/login/") or path.startswith(
            "/accounts/"
        ), f"{role} was sent to sign in from {path}"
        too_wide = page.evaluate(OVERFLOW_JS)
        if too_wide:
            overflowing[path] = too_wide
        if path in _AXED:
            continue
        _AXED.add(path)
        page.evaluate(axe_source + "\n;0")  # DevTools evaluation: the page's CSP stays on
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.wait_for_timeout(400 if scheme == "dark" else 0)  # colour transitions settle
            found = page.evaluate(AXE_JS)
            if found:
                violations[f"{path} ({scheme})"] = found
    assert not errors, errors
    assert not overflowing, f"Wider than 390 px for {role}:\n" + json.dumps(overflowing, indent=1)
    assert not violations, f"axe, {role}:\n" + json.dumps(violations, indent=1)


def test_the_axe_check_can_fail(phone: Callable[[str], Page], base_url: str) -> None:
    """The check above is real: a low-contrast, unlabelled control is reported."""
    page = phone("anonymous")
    page.goto(base_url + "/")
    page.evaluate(AXE.read_text() + "\n;0")
    page.evaluate(
        """() => {
          const p = document.createElement('p');
          p.textContent = 'faint';
          p.style.color = '#eee';
          p.style.background = '#fff';
          document.querySelector('main').append(p, document.createElement('select'));
        }"""
    )
    ids = {v["id"] for v in page.evaluate(AXE_JS)}
    assert {"color-contrast", "select-name"} <= ids
    page.evaluate("() => { document.body.style.minWidth = '500px'; }")
    assert page.evaluate(OVERFLOW_JS)["scrollWidth"] >= 500
