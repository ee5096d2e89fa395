from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from apps.comments import selectors
from apps.comments.models import Comment
from tests.factories.comments import CommentFactory

pytestmark = pytest.mark.django_db


def _ids(comments: list[Comment]) -> list[int]:
    return [c.pk for c in comments]


def test_thread_page_pages_threads_by_cursor_in_either_order(published_post):
    tops = [CommentFactory.create(post=published_post) for _ in range(5)]
    anonymous = AnonymousUser()
    first = selectors.thread_page(post=published_post, viewer=anonymous, threads=2, replies=None)
    assert _ids(first.threads) == _ids(tops[:2])
    assert first.next_cursor == tops[1].pk
    second = selectors.thread_page(
        post=published_post, viewer=anonymous, cursor=first.next_cursor, threads=2, replies=None
    )
    assert _ids(second.threads) == _ids(tops[2:4])
    newest = selectors.thread_page(
        post=published_post, viewer=anonymous, order="newest", threads=3, replies=None
    )
    assert _ids(newest.threads) == _ids(tops[:1:-1])
    older = selectors.thread_page(
        post=published_post,
        viewer=anonymous,
        order="newest",
        cursor=newest.next_cursor,
        threads=3,
        replies=None,
    )
    assert _ids(older.threads) == _ids(tops[1::-1])
    assert older.next_cursor is None
    assert older.total == newest.total == 5
    assert older.last_id == tops[-1].pk


def test_thread_page_cuts_replies_by_age_keeping_what_they_hang_from(published_post):
    top = CommentFactory.create(post=published_post)
    one = CommentFactory.create(parent=top)
    two = CommentFactory.create(parent=one)
    three = CommentFactory.create(parent=top)
    CommentFactory.create(parent=two)  # shown beside `two`, in `one`'s replies
    page = selectors.thread_page(post=published_post, viewer=AnonymousUser(), threads=5, replies=3)
    (shown,) = page.threads
    assert _ids(shown.thread_replies) == [one.pk, three.pk]
    assert _ids(shown.thread_replies[0].thread_replies) == [two.pk]
    assert shown.more_replies == 1
    assert shown.replies_after == three.pk
    batch = selectors.replies_after(
        thread=shown, viewer=AnonymousUser(), after_id=shown.replies_after, limit=3
    )
    assert [c.thread_parent_id for c in batch.replies] == [one.pk]
    assert batch.remaining == 0
    assert batch.next_after is None


def test_thread_page_keeps_the_visibility_rules_of_the_whole_thread(
    published_post, commenter, moderator
):
    hidden_top = CommentFactory.create(post=published_post, status=Comment.Status.REJECTED)
    CommentFactory.create(parent=hidden_top, body="Below a rejected comment")
    CommentFactory.create(post=published_post, status=Comment.Status.SPAM)  # nothing below
    held = CommentFactory.create(post=published_post, author=commenter, status=Comment.Status.HELD)
    CommentFactory.create(post=published_post, deleted_at=timezone.now())

    def page_for(viewer):
        return selectors.thread_page(post=published_post, viewer=viewer, threads=10, replies=10)

    anonymous = page_for(AnonymousUser())
    assert [c.placeholder for c in anonymous.threads] == [True, True]
    assert anonymous.total == 1  # the reply; placeholders are not counted
    assert held.pk in _ids(page_for(commenter).threads)
    assert held.pk in _ids(page_for(moderator).threads)
    assert page_for(moderator).total == 2


def test_thread_page_of_a_post_without_comments(published_post):
    page = selectors.thread_page(post=published_post, viewer=AnonymousUser(), threads=3, replies=3)
    assert page.threads == []
    assert (page.total, page.last_id, page.next_cursor) == (0, 0, None)
    past = selectors.thread_page(
        post=published_post, viewer=AnonymousUser(), cursor=10, threads=3, replies=3
    )
    assert past.threads == []


def test_thread_page_past_the_end_still_knows_the_total(published_post):
    tops = [CommentFactory.create(post=published_post) for _ in range(2)]
    page = selectors.thread_page(
        post=published_post, viewer=AnonymousUser(), cursor=tops[-1].pk, threads=3, replies=3
    )
    assert page.threads == []
    assert (page.total, page.last_id) == (2, tops[-1].pk)


@pytest.mark.parametrize(("value", "expected"), [(None, None), ("", None), ("0", 0), ("42", 42)])
def test_parse_cursor_reads_comment_ids(value, expected):
    assert selectors.parse_cursor(value) == expected


@pytest.mark.parametrize("value", ["x", "-1", "1.0", " 1", "9" * 19, "١"])
def test_parse_cursor_refuses_anything_else(value):
    with pytest.raises(ValueError, match="cursor"):
        selectors.parse_cursor(value)
