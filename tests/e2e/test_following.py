"""Following an author from a post page, hearing when they publish, and sharing a post.

The follow button sits in a personal region of a page-cached post: the reader must see
their own state after signing in and after reloading, and the click must work with the
CSRF token the cached page is given for them.
"""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-enough-passphrase"

SETUP = f"""
from django.contrib.auth.models import Group
from apps.accounts.models import User
from apps.accounts.services import mark_email_verified
from apps.blog.selectors import published_posts
for email, username, role in [("fiona@example.com", "fiona", "reader"), ("eddie@example.com", "eddie", "editor")]:
    user = User.objects.create_user(email, "{PASSWORD}", username=username, display_name=username.title())
    user.groups.add(Group.objects.get(name=role))
    mark_email_verified(user=user)
post = published_posts("en").exclude(author__username="fiona").first()
print("|".join([post.author.username, post.author.name, post.get_absolute_url()]))
"""

PUBLISH = """
from apps.accounts.models import User
from apps.blog.models import Post
from apps.blog.services.workflow import publish_post
author = User.objects.get(username="{author}")
post = Post.objects.create(
    title="Fresh words for followers", slug="fresh-words-for-followers", author=author,
    body="New.", body_html="<p>New.</p>", status=Post.Status.DRAFT,
)
publish_post(actor=User.objects.get(username="eddie"), post=post)
print(post.get_absolute_url())
"""


def _sign_in(page: Page, base_url: str, next_url: str) -> None:
    page.goto(f"{base_url}/accounts/login/?next={next_url}")
    page.locator("#id_login").fill("fiona@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(page).to_have_url(re.compile(re.escape(next_url)))


def test_reader_follows_an_author_and_hears_when_they_publish(
    page: Page, base_url: str, run_in_django
):
    author, name, post_url = run_in_django(SETUP).strip().splitlines()[-1].split("|")
    # An anonymous reader is offered sign-in, on the cached page.
    page.goto(base_url + post_url)
    box = page.locator(f"#follow-{author}")
    expect(box.get_by_role("link", name=re.compile("^Follow"))).to_have_attribute(
        "href", re.compile(r"/accounts/login/\?next=")
    )

    _sign_in(page, base_url, post_url)
    follow = box.get_by_role("button", name=re.compile("^Follow"))
    expect(follow).to_have_attribute("aria-pressed", "false")
    follow.click()
    expect(box.get_by_role("button", name=re.compile("^Following"))).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(box.get_by_role("status")).to_have_text(f"You’ll hear when {name} publishes.")

    # The state is the reader's own on every later visit, never the cached page's.
    page.reload()
    expect(box.get_by_role("button", name=re.compile("^Following"))).to_be_visible()

    fresh_url = run_in_django(PUBLISH.replace("{author}", author)).strip().splitlines()[-1]
    page.goto(base_url + "/notifications/")
    notice = page.get_by_role("link", name=re.compile("Fresh words for followers"))
    expect(notice.first).to_be_visible()
    notice.first.click()
    expect(page).to_have_url(re.compile(re.escape(fresh_url)))

    # Unfollowing works the same way.
    page.goto(base_url + post_url)
    box.get_by_role("button", name=re.compile("^Following")).click()
    expect(box.get_by_role("status")).to_have_text(f"You no longer follow {name}.")
    expect(box.get_by_role("button", name=re.compile("^Follow"))).to_have_attribute(
        "aria-pressed", "false"
    )


def test_reader_copies_a_posts_link_and_shares_without_third_party_scripts(
    page: Page, base_url: str
):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page.goto(base_url + "/")
    page.locator("#post-list article h2 a").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    url = page.url

    copy = page.get_by_role("button", name="Copy link")
    expect(copy).to_be_visible()
    copy.click()
    expect(page.get_by_role("button", name="Link copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == url
    expect(page.locator("[data-copy-status]")).to_have_text("Link copied to the clipboard.")

    share = page.locator("section[aria-labelledby='share-heading']")
    bluesky = share.get_by_role("link", name=re.compile("^Bluesky"))
    expect(bluesky).to_have_attribute("href", re.compile(r"^https://bsky\.app/intent/compose\?"))
    # Every script on the page is our own.
    sources = page.eval_on_selector_all("script[src]", "els => els.map(e => e.src)")
    assert sources
    own = (base_url + "/static/", base_url + "/jsi18n/")  # files, and the interface's strings
    assert all(src.startswith(own) for src in sources), sources
