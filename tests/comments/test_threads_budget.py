"""Long threads cost the same whatever the post holds, and are cached for anonymous readers.

The post page, "Load more comments" and "Show N more replies" make a fixed number of
queries for anonymous readers, commenters and moderators; the endpoints are stored in the
page cache and dropped when what they show changes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.blog.models import Post
from apps.comments import services
from apps.comments.models import Comment
from tests.comments.conftest import make_verified
from tests.comments.test_views_threads import _threads, _threads_url
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory, TagFactory
from tests.factories.comments import CommentFactory
from tests.utils import clear_cache, count_queries

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_quiet_side_effects")]


def _budget(reader: Client, url: str) -> int:
    reader.get(url)  # the first request after sign-in updates the session: not our budget
    clear_cache()
    with count_queries() as ctx:
        response = reader.get(url)
    assert response.status_code in {200, 302}
    return len(ctx)


@pytest.mark.parametrize("viewer", ["anonymous", "commenter", "moderator"])
def test_load_more_query_count_does_not_grow_with_comments(
    published_post, commenter, moderator, viewer
):
    reader = Client(headers={"HX-Request": "true"})
    if viewer != "anonymous":
        reader.force_login(commenter if viewer == "commenter" else moderator)
    first = CommentFactory.create(post=published_post)
    url = _threads_url(published_post, f"comments_cursor={first.pk}")
    CommentFactory.create(parent=CommentFactory.create(post=published_post))
    few = _budget(reader, url)
    big_thread(published_post, replies=120)
    many_threads(published_post, threads=60)
    many = _budget(reader, url)
    assert few == many


@pytest.mark.parametrize("viewer", ["anonymous", "commenter", "moderator"])
def test_more_replies_query_count_does_not_grow_with_the_thread(
    published_post, commenter, moderator, viewer
):
    reader = Client(headers={"HX-Request": "true"})
    if viewer != "anonymous":
        reader.force_login(commenter if viewer == "commenter" else moderator)
    top = CommentFactory.create(post=published_post)
    CommentFactory.create(parent=top)
    url = reverse("comments:replies", args=[top.pk]) + f"?after={top.pk}"
    few = _budget(reader, url)
    big_thread(published_post, replies=150, top=top)
    many = _budget(reader, url)
    assert few == many


# --------------------------------------------------------------------------
# Query budget of the post page: a page of threads, whatever the post holds
# --------------------------------------------------------------------------


def big_thread(post: Post, *, replies: int, top: Comment | None = None) -> Comment:
    """One thread with hundreds of replies, three levels deep and deeper."""
    top = top or CommentFactory.create(post=post)
    authors = UserFactory.create_batch(3)
    pool = [top]
    for i in range(replies):
        parent = pool[(i * 7) % len(pool)]
        pool.append(CommentFactory.create(parent=parent, author=authors[i % 3]))
    return top


def many_threads(post: Post, *, threads: int) -> None:
    """Many threads, some with replies; some held, removed or rejected."""
    authors = UserFactory.create_batch(4)
    for i in range(threads):
        status = Comment.Status.HELD if i % 7 == 3 else Comment.Status.PUBLISHED
        if i % 11 == 5:
            status = Comment.Status.REJECTED
        top = CommentFactory.create(post=post, author=authors[i % 4], status=status)
        if i % 3 == 0 and status == Comment.Status.PUBLISHED:
            reply = CommentFactory.create(parent=top, author=authors[(i + 1) % 4])
            CommentFactory.create(
                parent=reply,
                author=authors[(i + 2) % 4],
                deleted_at=timezone.now() if i % 2 else None,
            )


def _page_budget(reader: Client, url: str) -> tuple[int, str]:
    reader.get(url)
    clear_cache()
    with count_queries() as ctx:
        response = reader.get(url)
    assert response.status_code == 200
    return len(ctx), response.content.decode()


@pytest.mark.parametrize("viewer", ["anonymous", "commenter", "moderator"])
def test_post_page_query_count_is_the_same_for_2_threads_and_300_comments(
    published_post, commenter, moderator, viewer
):
    reader = Client()
    if viewer != "anonymous":
        reader.force_login(commenter if viewer == "commenter" else moderator)
    url = published_post.get_absolute_url()
    CommentFactory.create(parent=CommentFactory.create(post=published_post))
    CommentFactory.create(post=published_post)
    few, _ = _page_budget(reader, url)
    big_thread(published_post, replies=120)
    many_threads(published_post, threads=120)
    assert Comment.objects.filter(post=published_post).count() >= 300
    many, html = _page_budget(reader, url)
    assert few == many
    assert 'id="comment-more"' in html


def test_cold_anonymous_post_page_with_many_comments_stays_in_budget(client):
    # The worst case: tags, related posts, neighbours on both sides, and 300 comments.
    tags = [TagFactory.create(), TagFactory.create()]
    now = timezone.now()
    post = PostFactory.create(tags=tags, comments_open=True, published_at=now - timedelta(days=2))
    PostFactory.create(tags=tags, published_at=now - timedelta(days=3))
    PostFactory.create(tags=tags, published_at=now - timedelta(days=1))
    big_thread(post, replies=120)
    many_threads(post, threads=90)
    count, html = _page_budget(client, post.get_absolute_url())
    assert count <= 8
    # A page of threads, not the whole post: at most 20 threads of at most 1 + 10 comments.
    assert html.count("<article") <= 20 * 11


# --------------------------------------------------------------------------
# The anonymous page cache
# --------------------------------------------------------------------------


@pytest.mark.usefixtures("page_cache", "small_pages")
def test_load_more_is_cached_for_readers_and_dropped_by_a_new_comment(
    published_post, commenter, no_hold, django_capture_on_commit_callbacks
):
    threads = _threads(published_post, 4)
    reader = Client(headers={"HX-Request": "true"})
    url = _threads_url(published_post, f"comments_cursor={threads[2].pk}")
    assert reader.get(url)["X-Page-Cache"] == "miss"
    assert reader.get(url)["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        services.create_comment(actor=commenter, post=published_post, body="Brand new thread")
    fresh = reader.get(url)
    assert fresh["X-Page-Cache"] == "miss"
    assert "Brand new thread" in fresh.content.decode()


@pytest.mark.usefixtures("page_cache", "small_pages")
def test_more_replies_is_cached_and_dropped_when_an_author_renames(
    published_post, django_capture_on_commit_callbacks
):
    from apps.accounts.profile.services import ProfileChanges, update_profile

    top = CommentFactory.create(post=published_post)
    author: User = make_verified(UserFactory.create(display_name="Old Name"))
    replies = [CommentFactory.create(parent=top, author=author) for _ in range(4)]
    reader = Client(headers={"HX-Request": "true"})
    url = reverse("comments:replies", args=[top.pk]) + f"?after={replies[1].pk}"
    assert reader.get(url)["X-Page-Cache"] == "miss"
    assert reader.get(url)["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        update_profile(
            actor=author,
            user=author,
            changes=ProfileChanges(display_name="New Name", username=author.username, bio=""),
        )
    fresh = reader.get(url)
    assert fresh["X-Page-Cache"] == "miss"
    assert "New Name" in fresh.content.decode()
