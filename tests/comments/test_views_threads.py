"""Long threads: the post page shows a page of threads; the rest loads on demand.

"Load more comments" (comments:threads) and "Show N more replies" (comments:replies) are
htmx swaps whose links also work without JavaScript. Their query budgets and the page
cache are in test_threads_budget.py.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from apps.blog.models import Post
from apps.comments.models import Comment
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory
from tests.utils import inline_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_quiet_side_effects")]


def _threads(post: Post, count: int) -> list[Comment]:
    return [CommentFactory.create(post=post, body=f"Thread {i}") for i in range(count)]


def _shown_threads(html: str) -> list[int]:
    """The top-level comments a page of #comment-list shows, in order."""
    start = html.index('id="comment-list"') if 'id="comment-list"' in html else 0
    return [int(pk) for pk in re.findall(r'<li id="comment-item-(\d+)"', html[start:]) if pk]


def _load_more(html: str) -> tuple[str, str]:
    """The "Load more comments" link: (href for a plain click, hx-get for htmx)."""
    match = re.search(r'<li id="comment-more".*?<a href="([^"]+)" hx-get="([^"]+)"', html, re.S)
    assert match, "no Load more comments link"
    return match.group(1).replace("&amp;", "&"), match.group(2).replace("&amp;", "&")


# --------------------------------------------------------------------------
# The post page: the first page of threads
# --------------------------------------------------------------------------


def test_post_page_shows_the_first_threads_and_a_load_more_link(
    client, published_post, small_pages
):
    threads = _threads(published_post, 5)
    html = client.get(published_post.get_absolute_url()).content.decode()
    tops = [pk for pk in _shown_threads(html) if pk in {t.pk for t in threads}]
    assert tops == [t.pk for t in threads[:3]]
    href, hx_get = _load_more(html)
    assert href == f"{published_post.get_absolute_url()}?comments_cursor={threads[2].pk}#comments"
    assert hx_get == (
        reverse("comments:threads", args=[published_post.pk]) + f"?comments_cursor={threads[2].pk}"
    )
    assert "Load more comments" in html
    assert "(5)" in html  # the count stays the post's total
    assert inline_code(html) == []


def test_post_page_without_more_threads_has_no_load_more(client, published_post, small_pages):
    _threads(published_post, 3)
    html = client.get(published_post.get_absolute_url()).content.decode()
    assert 'id="comment-more"' not in html


def test_no_js_load_more_link_opens_the_next_threads(client, published_post, small_pages):
    _threads(published_post, 5)
    first = client.get(published_post.get_absolute_url()).content.decode()
    href, _ = _load_more(first)
    response = client.get(href)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert "Thread 3" in html
    assert "Thread 4" in html
    assert "Thread 0" not in html
    assert 'id="comment-more"' not in html
    assert "Back to the first comments" in html
    assert "(5)" in html


def test_post_page_newest_first_on_request(client, published_post, small_pages):
    threads = _threads(published_post, 5)
    url = published_post.get_absolute_url()
    html = client.get(f"{url}?comments=newest").content.decode()
    assert _shown_threads(html)[:3] == [t.pk for t in reversed(threads[2:])]
    assert 'aria-current="true" data-comment-order="newest"' in html
    href, hx_get = _load_more(html)
    assert f"comments=newest&comments_cursor={threads[2].pk}" in href
    assert f"comments=newest&comments_cursor={threads[2].pk}" in hx_get
    older = client.get(href).content.decode()
    assert "Thread 1" in older
    assert older.index("Thread 1") < older.index("Thread 0")
    assert "Thread 4" not in older


def test_post_page_links_both_orders(client, published_post):
    _threads(published_post, 1)
    html = client.get(published_post.get_absolute_url()).content.decode()
    assert f'href="{published_post.get_absolute_url()}?comments=newest#comments"' in html
    assert 'aria-current="true" data-comment-order="oldest"' in html


@pytest.mark.parametrize("cursor", ["abc", "-1", "1.5", "9" * 40, "١٢"])
def test_post_page_with_a_mangled_cursor_shows_the_first_threads(
    client, published_post, small_pages, cursor
):
    threads = _threads(published_post, 4)
    response = client.get(f"{published_post.get_absolute_url()}?comments_cursor={cursor}")
    assert response.status_code == 200
    assert "Thread 0" in response.content.decode()
    assert threads


def test_post_page_caps_the_replies_of_a_long_thread(client, published_post, small_pages):
    top = CommentFactory.create(post=published_post, body="The big one")
    replies = [CommentFactory.create(parent=top, body=f"Reply {i}") for i in range(5)]
    html = client.get(published_post.get_absolute_url()).content.decode()
    assert "Reply 0" in html
    assert "Reply 1" in html
    assert "Reply 2" not in html
    url = reverse("comments:replies", args=[top.pk]) + f"?after={replies[1].pk}"
    assert f'<p id="more-replies-{top.pk}"' in html
    assert f'href="{url}"' in html
    assert "Show 3 more replies" in html


def test_post_page_tells_the_live_route_where_the_page_ends(client, published_post, small_pages):
    threads = _threads(published_post, 5)
    html = client.get(published_post.get_absolute_url()).content.decode()
    # The newest comment is not on the first page, but the catch-up must start after it.
    assert f'data-live-after="{threads[-1].pk}"' in html


# --------------------------------------------------------------------------
# comments:threads — "Load more comments"
# --------------------------------------------------------------------------


def _threads_url(post: Post, query: str = "") -> str:
    return reverse("comments:threads", args=[post.pk]) + (f"?{query}" if query else "")


def test_load_more_answers_htmx_with_the_next_threads_and_button(
    htmx_client, published_post, small_pages
):
    threads = _threads(published_post, 8)
    response = htmx_client.get(_threads_url(published_post, f"comments_cursor={threads[2].pk}"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert _shown_threads(html) == [t.pk for t in threads[3:6]]
    href, hx_get = _load_more(html)
    assert f"comments_cursor={threads[5].pk}" in href
    assert f"comments_cursor={threads[5].pk}" in hx_get
    assert "HX-Request" in response["Vary"]
    last = htmx_client.get(hx_get).content.decode()
    assert _shown_threads(last) == [t.pk for t in threads[6:]]
    assert 'id="comment-more"' not in last


def test_load_more_without_htmx_sends_the_reader_to_that_page_of_the_post(
    client, published_post, small_pages
):
    threads = _threads(published_post, 5)
    response = client.get(_threads_url(published_post, f"comments_cursor={threads[2].pk}"))
    assert response.status_code == 302
    assert response["Location"] == (
        f"{published_post.get_absolute_url()}?comments_cursor={threads[2].pk}#comments"
    )
    newest = client.get(_threads_url(published_post, "comments=newest&comments_cursor=3"))
    assert newest["Location"] == (
        f"{published_post.get_absolute_url()}?comments=newest&comments_cursor=3#comments"
    )


@pytest.mark.parametrize("cursor", ["abc", "-1", "9" * 40])
def test_load_more_with_a_bad_cursor_is_a_clear_400(htmx_client, client, published_post, cursor):
    for reader in (htmx_client, client):
        response = reader.get(_threads_url(published_post, f"comments_cursor={cursor}"))
        assert response.status_code == 400
        assert "cursor" in response.content.decode()


def test_load_more_past_the_end_is_empty(htmx_client, published_post, small_pages):
    _threads(published_post, 2)
    response = htmx_client.get(_threads_url(published_post, "comments_cursor=999999"))
    assert response.status_code == 200
    assert _shown_threads(response.content.decode()) == []


def test_load_more_is_404_for_unknown_and_unpublished_posts(htmx_client, client):
    draft = PostFactory.create(status=Post.Status.DRAFT, published_at=None)
    for reader in (htmx_client, client):
        assert reader.get(reverse("comments:threads", args=[999999])).status_code == 404
        assert reader.get(_threads_url(draft)).status_code == 404


def test_load_more_shows_held_comments_only_to_who_may_see_them(
    published_post, commenter, moderator, small_pages
):
    _threads(published_post, 3)
    held = CommentFactory.create(
        post=published_post, author=commenter, status=Comment.Status.HELD, body="Held words"
    )
    url = _threads_url(published_post, f"comments_cursor={held.pk - 1}")
    seen = {}
    for name, user in (("anonymous", None), ("author", commenter), ("moderator", moderator)):
        reader = Client(headers={"HX-Request": "true"})
        if user is not None:
            reader.force_login(user)
        seen[name] = "Held words" in reader.get(url).content.decode()
    assert seen == {"anonymous": False, "author": True, "moderator": True}


# --------------------------------------------------------------------------
# comments:replies — "Show N more replies"
# --------------------------------------------------------------------------


def _appended(html: str, *, to: int) -> list[int]:
    """The comments an htmx response appends, out of band, to the replies of comment `to`."""
    pattern = rf'hx-swap-oob="beforeend:#replies-{to}">\s*<li id="comment-item-(\d+)"'
    return [int(pk) for pk in re.findall(pattern, html)]


def test_more_replies_answers_htmx_with_replies_where_they_belong(
    htmx_client, published_post, small_pages
):
    top = CommentFactory.create(post=published_post)
    first = CommentFactory.create(parent=top, body="First reply")
    second = CommentFactory.create(parent=top, body="Second reply")
    third = CommentFactory.create(parent=first, body="Reply to the first")
    fourth = CommentFactory.create(parent=top, body="Fourth reply")
    fifth = CommentFactory.create(parent=top, body="Fifth reply")
    url = reverse("comments:replies", args=[top.pk])
    response = htmx_client.get(f"{url}?after={second.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    # Each reply joins the list it hangs in, out of band; the button comes back for the rest.
    assert _appended(html, to=first.pk) == [third.pk]
    assert _appended(html, to=top.pk) == [fourth.pk]
    assert f"comment-item-{fifth.pk}" not in html
    assert f'<p id="more-replies-{top.pk}"' in html
    assert "Show 1 more reply" in html
    rest = htmx_client.get(f"{url}?after={fourth.pk}").content.decode()
    assert "Fifth reply" in rest
    assert "more-replies" not in rest


def test_more_replies_without_htmx_is_a_page_of_its_own(client, published_post, small_pages):
    top = CommentFactory.create(post=published_post, body="The top comment")
    replies = [CommentFactory.create(parent=top, body=f"Reply {i}") for i in range(5)]
    url = reverse("comments:replies", args=[top.pk]) + f"?after={replies[1].pk}"
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert "The top comment" in html
    assert "Reply 2" in html
    assert "Reply 3" in html
    assert "Reply 1" not in html
    assert f'href="{published_post.get_absolute_url()}#comment-{top.pk}"' in html
    assert inline_code(html) == []


def test_more_replies_is_404_for_what_a_reader_may_not_see(client, htmx_client, published_post):
    top = CommentFactory.create(post=published_post)
    reply = CommentFactory.create(parent=top)
    rejected = CommentFactory.create(post=published_post, status=Comment.Status.REJECTED)
    draft = PostFactory.create(status=Post.Status.DRAFT, published_at=None)
    hidden_post_top = CommentFactory.create(post=draft)
    for reader in (client, htmx_client):
        for comment_id in (999999, reply.pk, rejected.pk, hidden_post_top.pk):
            url = reverse("comments:replies", args=[comment_id])
            assert reader.get(url).status_code == 404, comment_id


@pytest.mark.parametrize("after", ["x", "-3", "9" * 40])
def test_more_replies_with_a_bad_cursor_is_a_clear_400(htmx_client, published_post, after):
    top = CommentFactory.create(post=published_post)
    response = htmx_client.get(reverse("comments:replies", args=[top.pk]) + f"?after={after}")
    assert response.status_code == 400
    assert "cursor" in response.content.decode()
