from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from apps.blog.models import Post
from apps.comments import selectors
from apps.comments.models import Comment, ModerationSettings
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory

pytestmark = pytest.mark.django_db

HELD = Comment.Status.HELD


def _ids(comments: list[Comment]) -> list[int]:
    return [c.pk for c in comments]


def test_comment_thread_nests_three_levels_and_flattens_deeper(
    published_post, django_assert_num_queries
):
    top = CommentFactory.create(post=published_post)
    one = CommentFactory.create(parent=top)
    two = CommentFactory.create(parent=one)
    three = CommentFactory.create(parent=two)
    second = CommentFactory.create(post=published_post)
    thread = selectors.comment_thread(post=published_post, viewer=AnonymousUser())
    assert _ids(thread) == [top.pk, second.pk]
    [level1] = thread[0].thread_replies
    assert level1.pk == one.pk
    assert _ids(level1.thread_replies) == [two.pk, three.pk]
    # "in reply to" reads the preloaded parent, not the database.
    with django_assert_num_queries(0):
        parent = level1.thread_replies[1].parent
        assert parent is not None
        assert parent.pk == two.pk
        assert parent.author is not None
    assert selectors.count_shown(thread) == 5


def test_comment_thread_visibility_rules(published_post, commenter, other_commenter, moderator):
    public = CommentFactory.create(post=published_post)
    own_held = CommentFactory.create(post=published_post, author=commenter, status=HELD)
    others_held = CommentFactory.create(post=published_post, author=other_commenter, status=HELD)
    CommentFactory.create(post=published_post, status=Comment.Status.SPAM)
    CommentFactory.create(post=published_post, status=Comment.Status.REJECTED)
    anonymous = selectors.comment_thread(post=published_post, viewer=AnonymousUser())
    assert _ids(anonymous) == [public.pk]
    mine = selectors.comment_thread(post=published_post, viewer=commenter)
    assert _ids(mine) == [public.pk, own_held.pk]
    assert mine[1].awaiting
    moderated = selectors.comment_thread(post=published_post, viewer=moderator)
    assert _ids(moderated) == [public.pk, own_held.pk, others_held.pk]


def test_comment_thread_keeps_removed_comments_as_placeholders(published_post):
    deleted = CommentFactory.create(post=published_post, deleted_at=timezone.now())
    reply = CommentFactory.create(parent=deleted)
    spam = CommentFactory.create(post=published_post)
    spam_reply = CommentFactory.create(parent=spam)
    spam.status = Comment.Status.SPAM
    spam.save()
    lonely_deleted = CommentFactory.create(post=published_post, deleted_at=timezone.now())
    thread = selectors.comment_thread(post=published_post, viewer=AnonymousUser())
    assert _ids(thread) == [deleted.pk, spam.pk, lonely_deleted.pk]
    assert [c.placeholder for c in thread] == [True, True, True]
    assert _ids(thread[0].thread_replies) == [reply.pk]
    assert _ids(thread[1].thread_replies) == [spam_reply.pk]
    assert selectors.count_shown(thread) == 2


def test_comments_after_applies_visibility(published_post, commenter, moderator):
    first = CommentFactory.create(post=published_post)
    second = CommentFactory.create(post=published_post)
    held = CommentFactory.create(post=published_post, author=commenter, status=HELD)
    CommentFactory.create(post=published_post, deleted_at=timezone.now())
    CommentFactory.create(post=PostFactory.create())
    assert _ids(
        selectors.comments_after(post=published_post, viewer=AnonymousUser(), after_id=first.pk)
    ) == [second.pk]
    assert _ids(
        selectors.comments_after(post=published_post, viewer=commenter, after_id=first.pk)
    ) == [second.pk, held.pk]
    assert _ids(selectors.comments_after(post=published_post, viewer=moderator, after_id=0)) == [
        first.pk,
        second.pk,
        held.pk,
    ]


def test_visible_comment(published_post, commenter, other_commenter, moderator):
    held = CommentFactory.create(post=published_post, author=commenter, status=HELD)
    assert selectors.visible_comment(viewer=commenter, comment_id=held.pk) is not None
    assert selectors.visible_comment(viewer=moderator, comment_id=held.pk) is not None
    assert selectors.visible_comment(viewer=other_commenter, comment_id=held.pk) is None
    draft = PostFactory.create(status=Post.Status.DRAFT, published_at=None)
    hidden = CommentFactory.create(post=draft)
    assert selectors.visible_comment(viewer=moderator, comment_id=hidden.pk) is None
    assert selectors.visible_comment(viewer=moderator, comment_id=999999) is None


def test_can_read_post_comments(published_post):
    assert selectors.can_read_post_comments(viewer=AnonymousUser(), post_id=published_post.pk)
    future = PostFactory.create(published_at=timezone.now() + timedelta(days=1))
    assert not selectors.can_read_post_comments(viewer=AnonymousUser(), post_id=future.pk)
    assert not selectors.can_read_post_comments(viewer=AnonymousUser(), post_id=999999)


def test_commenting_gate(published_post, commenter, user):
    assert selectors.commenting_gate(viewer=AnonymousUser(), post=published_post) == "anonymous"
    assert selectors.commenting_gate(viewer=user, post=published_post) == "unverified"
    assert selectors.commenting_gate(viewer=commenter, post=published_post) == ""
    published_post.comments_open = False
    assert selectors.commenting_gate(viewer=commenter, post=published_post) == "closed"


def test_moderation_settings_is_a_singleton_with_defaults():
    rules = selectors.moderation_settings()
    assert rules.pk == 1
    assert rules.hold == ModerationSettings.Hold.FIRST_TIME
    assert selectors.moderation_settings().pk == 1
    assert ModerationSettings.objects.count() == 1
