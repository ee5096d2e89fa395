from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.blog.models import Post
from apps.comments import services
from apps.comments.models import Comment
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory
from tests.utils import clear_cache, count_queries, inline_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_quiet_side_effects")]


# --------------------------------------------------------------------------
# The post page
# --------------------------------------------------------------------------


def test_post_page_shows_the_thread_and_the_form(client, commenter, published_post):
    top = CommentFactory.create(post=published_post, body="Top *level*")
    reply = CommentFactory.create(parent=top, body="A reply")
    client.force_login(commenter)
    html = client.get(published_post.get_absolute_url()).content.decode()
    assert '<section id="comments"' in html
    assert '<ol id="comment-list"' in html
    assert f'<li id="comment-item-{top.pk}"' in html
    assert f'id="comment-{top.pk}" data-comment-id="{top.pk}"' in html
    assert f'<ol id="replies-{top.pk}"' in html
    assert f'hx-get="/comments/{reply.pk}/actions/"' in html
    assert "<em>level</em>" in html
    assert 'id="comment-form"' in html
    assert f'hx-post="/comments/posts/{published_post.pk}/"' in html
    assert "Comments <span" in html
    assert "(2)" in html
    assert inline_code(html) == []


def test_post_page_explains_who_cannot_comment(client, user, published_post):
    html = client.get(published_post.get_absolute_url()).content.decode()
    assert "Sign in</a> to join the conversation" in html
    assert 'id="comment-form"' not in html
    client.force_login(user)
    html = client.get(published_post.get_absolute_url()).content.decode()
    assert "Verify your email address to comment" in html
    assert 'href="/accounts/email/"' in html


def test_post_page_says_comments_are_closed(client, commenter):
    post = PostFactory.create(comments_open=False)
    CommentFactory.create(post=post, body="Earlier words")
    client.force_login(commenter)
    html = client.get(post.get_absolute_url()).content.decode()
    assert "Comments are closed." in html
    assert "Earlier words" in html
    assert 'id="comment-form"' not in html


def test_post_page_marks_edited_removed_and_deep_replies(client, published_post):
    top = CommentFactory.create(post=published_post, edited_at=timezone.now())
    one = CommentFactory.create(parent=top)
    two = CommentFactory.create(parent=one)
    CommentFactory.create(parent=two, body="deep")
    CommentFactory.create(post=published_post, deleted_at=timezone.now(), body="secret words")
    html = client.get(published_post.get_absolute_url()).content.decode()
    assert "· edited" in html
    assert two.author is not None
    assert f"in reply to @{two.author.username}" in html
    assert "Comment removed" in html
    assert "secret words" not in html


def test_post_page_writes_comment_dates_not_how_long_ago(client, published_post):
    # A stored page is served for hours: "3 minutes ago" would be wrong by then. The page
    # carries the date; the reader's browser says how long ago it was (static/js/app.js).
    written = timezone.now() - timedelta(minutes=3)
    comment = CommentFactory.create(post=published_post, body="Dated")
    Comment.objects.filter(pk=comment.pk).update(created_at=written)
    html = client.get(published_post.get_absolute_url()).content.decode()
    local = timezone.localtime(written)
    assert f'<time datetime="{local.isoformat()}"' in html
    assert "data-relative>" in html
    assert "ago" not in html.split('id="comment-list"', 1)[1]


def test_post_page_cached_thread_shows_every_change_at_once(
    client, published_post, commenter, moderator, no_hold
):
    # The rendered thread is cached; every change a reader could see must show on the
    # very next request, well inside the cache's lifetime.
    url = published_post.get_absolute_url()
    first = services.create_comment(actor=commenter, post=published_post, body="Before edit")
    assert "Before edit" in client.get(url).content.decode()

    services.edit_comment(actor=commenter, comment=first, body="After edit")
    html = client.get(url).content.decode()
    assert "After edit" in html
    assert "· edited" in html

    reply = services.create_comment(
        actor=moderator, post=published_post, body="A reply", parent=first
    )
    assert f'id="comment-{reply.pk}"' in client.get(url).content.decode()

    commenter.display_name = "Renamed Reader"
    commenter.save()
    assert "Renamed Reader" in client.get(url).content.decode()

    services.delete_comment(actor=commenter, comment=first, second_factor=True)
    html = client.get(url).content.decode()
    assert "After edit" not in html
    assert "Comment removed" in html


def test_post_page_cached_thread_is_not_shared_with_who_may_not_see_held(
    client, published_post, commenter
):
    held = CommentFactory.create(post=published_post, status=Comment.Status.HELD, author=commenter)
    author_client = Client()
    author_client.force_login(commenter)
    url = published_post.get_absolute_url()
    assert "Awaiting approval" in author_client.get(url).content.decode()
    assert f'id="comment-{held.pk}"' not in client.get(url).content.decode()


def _queries(client: Client, url: str) -> int:
    client.get(url)  # the first request after sign-in updates the session: not our budget
    clear_cache()
    with count_queries() as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def _bulk_thread(post: Post, count: int, authors: list[User]) -> None:
    rng = random.Random(5)  # noqa: S311  # a repeatable thread shape, not a secret
    made: list[Comment] = []
    for i in range(count):
        parent = rng.choice(made) if made and i % 3 else None
        comment = CommentFactory.create(
            post=post,
            parent=parent,
            author=authors[i % len(authors)],
            status=Comment.Status.HELD if i % 11 == 0 and i else Comment.Status.PUBLISHED,
            deleted_at=timezone.now() if i % 13 == 5 else None,
        )
        # Held comments take no replies: keep them out of the pool of parents.
        if comment.is_public:
            made.append(comment)


@pytest.mark.parametrize("viewer", ["anonymous", "commenter", "moderator"])
def test_post_page_query_count_does_not_grow_with_comments(
    client, published_post, commenter, moderator, viewer
):
    if viewer != "anonymous":
        client.force_login(commenter if viewer == "commenter" else moderator)
    authors = [commenter, *UserFactory.create_batch(4)]
    url = published_post.get_absolute_url()
    _bulk_thread(published_post, 2, authors)
    few = _queries(client, url)
    _bulk_thread(published_post, 198, authors)
    assert Comment.objects.filter(post=published_post, depth=2).count() > 10
    many = _queries(client, url)
    assert few == many
