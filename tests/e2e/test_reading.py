import re

import pytest
from playwright.sync_api import Browser, Page, expect

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


# A post with 25 threads, the first with 12 replies: more than a page of each.
LONG_POST = """
from datetime import timedelta
from django.utils import timezone
from apps.accounts.models import User
from apps.blog.models import Post
from apps.comments.models import Comment
author = User.objects.filter(is_active=True).order_by("pk").first()
post = Post.objects.create(
    title="A long conversation", slug="{slug}", author=author, body="Talk.",
    body_html="<p>Talk.</p>", status=Post.Status.PUBLISHED, comments_open=True,
    published_at=timezone.now() - timedelta(days=3650),  # the oldest: other journeys pick newer posts
)
tops = [
    Comment.objects.create(post=post, author=author, body=f"Thread {i:02d}", body_html=f"<p>Thread {i:02d}</p>")
    for i in range(1, 26)
]
for i in range(1, 13):
    Comment.objects.create(
        post=post, author=author, parent=tops[0], root=tops[0], thread_parent=tops[0], depth=1,
        body=f"Reply {i:02d}", body_html=f"<p>Reply {i:02d}</p>",
    )
print(post.get_absolute_url())
"""


def test_reader_loads_more_comments_and_replies_in_place(page: Page, base_url: str, run_in_django):
    post_url = run_in_django(LONG_POST.replace("{slug}", "a-long-conversation"))
    post_url = post_url.strip().splitlines()[-1]
    page.goto(base_url + post_url)
    expect(page.locator("#live-status")).to_have_attribute("data-live", "connected", timeout=10_000)
    threads = page.locator("#comment-list > li[id^='comment-item-']")
    comments = page.locator("#comment-list")
    expect(page.locator("#comments-heading")).to_contain_text("(37)")
    expect(threads).to_have_count(20)
    expect(comments).not_to_contain_text("Thread 21")

    page.get_by_role("link", name="Load more comments").click()
    expect(threads).to_have_count(25)
    expect(threads.last).to_contain_text("Thread 25")
    expect(page.get_by_role("link", name="Load more comments")).to_have_count(0)
    # Swapped in place: the address is still the post's, and nothing came twice.
    expect(page).to_have_url(base_url + post_url)
    expect(comments.locator("article", has_text="Thread 01")).to_have_count(1)

    # The long thread shows its first replies; the rest come on demand, in order.
    expect(comments).to_contain_text("Reply 10")
    expect(comments).not_to_contain_text("Reply 11")
    page.get_by_role("link", name="Show 2 more replies").click()
    expect(comments).to_contain_text("Reply 12")
    expect(page.get_by_role("link", name=re.compile("more repl"))).to_have_count(0)
    replies = threads.first.locator("ol article")
    expect(replies).to_have_count(12)
    expect(replies.last).to_contain_text("Reply 12")

    # Newest first is the reader's other choice.
    page.get_by_role("link", name="Newest first").click()
    expect(page).to_have_url(re.compile(r"\?comments=newest#comments$"))
    expect(threads.first).to_contain_text("Thread 25")
    page.get_by_role("link", name="Load more comments").click()
    expect(threads).to_have_count(25)
    expect(threads.last).to_contain_text("Thread 01")


EDITOR = """
from django.contrib.auth.models import Group
from apps.accounts.models import User
from apps.accounts.services import mark_email_verified
user = User.objects.create_user("{email}", "a-long-enough-passphrase", username="{username}")
user.groups.add(Group.objects.get(name="editor"))  # publishes at once, whatever the hold rule
mark_email_verified(user=user)
"""


def test_a_new_thread_waits_behind_load_more_for_an_oldest_first_reader(
    page: Page, browser: Browser, base_url: str, run_in_django
):
    post_url = run_in_django(LONG_POST.replace("{slug}", "a-busy-conversation"))
    post_url = post_url.strip().splitlines()[-1]
    run_in_django(EDITOR.replace("{email}", "eve@example.com").replace("{username}", "eve"))
    page.goto(base_url + post_url)
    expect(page.locator("#live-status")).to_have_attribute("data-live", "connected", timeout=10_000)
    threads = page.locator("#comment-list > li[id^='comment-item-']")
    expect(threads).to_have_count(20)

    poster_context = browser.new_context()
    poster = poster_context.new_page()
    poster.goto(f"{base_url}/accounts/login/?next={post_url}")
    poster.locator("#id_login").fill("eve@example.com")
    poster.locator("#id_password").fill("a-long-enough-passphrase")
    poster.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(poster).to_have_url(re.compile(re.escape(post_url)))
    poster.locator("#comment-body").fill("A late thought about thread one.")
    poster.get_by_role("button", name="Post comment").click()
    # The poster sees their comment at once, at the end of what they have loaded.
    expect(poster.locator("#comment-list > li").last).to_contain_text("A late thought")

    # The reader has 5 threads to load before it: the button counts it instead.
    load_more = page.get_by_role("link", name=re.compile("Load more comments"))
    expect(load_more).to_contain_text("(1 new)", timeout=10_000)
    expect(page.locator("#comment-list")).not_to_contain_text("A late thought")
    load_more.click()
    expect(threads).to_have_count(26)
    expect(threads.last).to_contain_text("A late thought")

    # The poster loads the rest: their comment comes once, in its place at the end.
    poster.get_by_role("link", name=re.compile("Load more comments")).click()
    expect(poster.locator("#comment-list > li[id^='comment-item-']")).to_have_count(26)
    expect(poster.locator("#comment-list article", has_text="A late thought")).to_have_count(1)
    expect(poster.locator("#comment-list > li").last).to_contain_text("A late thought")
    poster_context.close()  # its socket would count as a reader of this post in later tests
