from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.accounts.profile.services import delete_account
from apps.comments import broadcasts, services
from apps.comments.models import Comment, CommentReport
from tests.comments.conftest import _listen, _received, make_verified
from tests.factories.accounts import UserFactory
from tests.factories.comments import CommentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_fresh_rate_limit", "notified")]


# --------------------------------------------------------------------------
# edit_comment
# --------------------------------------------------------------------------


def test_edit_comment_within_the_window_marks_it_edited(
    commenter, published_post, django_capture_on_commit_callbacks
):
    comment = CommentFactory.create(post=published_post, author=commenter)
    channel = _listen(broadcasts.post_group(published_post.pk))
    with django_capture_on_commit_callbacks(execute=True):
        services.edit_comment(actor=commenter, comment=comment, body="Now **bold**")
    comment.refresh_from_db()
    assert comment.edited_at is not None
    assert "<strong>bold</strong>" in comment.body_html
    [event] = _received(channel)
    assert event["type"] == "comment.updated"
    assert f'id="comment-{comment.pk}"' in event["html"]
    assert 'hx-swap-oob="true"' in event["html"]
    assert "edited" in event["html"]


def test_edit_comment_refuses_after_the_window(commenter, published_post):
    comment = CommentFactory.create(
        post=published_post, author=commenter, created_at=timezone.now() - timedelta(minutes=16)
    )
    with pytest.raises(ValidationError, match="15 minutes"):
        services.edit_comment(actor=commenter, comment=comment, body="Changed")
    comment.refresh_from_db()
    assert comment.edited_at is None
    assert comment.body != "Changed"


def test_edit_comment_refuses_someone_elses(commenter, other_commenter, published_post):
    comment = CommentFactory.create(post=published_post, author=other_commenter)
    with pytest.raises(PermissionDenied):
        services.edit_comment(actor=commenter, comment=comment, body="Mine now")


def test_edit_comment_refuses_deleted_and_empty(commenter, published_post):
    comment = CommentFactory.create(post=published_post, author=commenter)
    with pytest.raises(ValidationError, match="Write something"):
        services.edit_comment(actor=commenter, comment=comment, body="  ")
    comment.deleted_at = timezone.now()
    comment.save()
    with pytest.raises(ValidationError, match="removed"):
        services.edit_comment(actor=commenter, comment=comment, body="Back")


def test_edit_that_adds_spam_links_sends_the_comment_to_the_queue(
    commenter, published_post, django_capture_on_commit_callbacks
):
    comment = CommentFactory.create(post=published_post, author=commenter)
    public = _listen(broadcasts.post_group(published_post.pk))
    links = " ".join(f"https://spam{i}.example" for i in range(5))
    with django_capture_on_commit_callbacks(execute=True):
        services.edit_comment(actor=commenter, comment=comment, body=links)
    comment.refresh_from_db()
    assert comment.status == Comment.Status.HELD
    removed, held = _received(public)
    assert removed["type"] == "comment.deleted"
    assert "spam0" not in removed["html"]
    # Back in the queue: only its author and moderators are shown it (see consumers).
    assert (held["type"], held["private"], held["seq"]) == (
        "comment.held",
        True,
        removed["seq"] + 1,
    )


# --------------------------------------------------------------------------
# delete_comment
# --------------------------------------------------------------------------


def test_delete_own_comment_leaves_a_placeholder(
    commenter, published_post, django_capture_on_commit_callbacks
):
    comment = CommentFactory.create(post=published_post, author=commenter, body="Regret")
    channel = _listen(broadcasts.post_group(published_post.pk))
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_comment(actor=commenter, comment=comment, second_factor=True)
    comment.refresh_from_db()
    assert comment.is_deleted
    assert comment.body == ""
    [event] = _received(channel)
    assert event["type"] == "comment.deleted"
    assert "Comment removed" in event["html"]
    assert event["data"]["comment"]["deleted"] is True
    assert event["data"]["comment"]["author"] is None


def test_moderator_deletes_any_comment_and_keeps_the_text(moderator, published_post):
    comment = CommentFactory.create(post=published_post, body="Abuse")
    services.delete_comment(actor=moderator, comment=comment, second_factor=True)
    comment.refresh_from_db()
    assert comment.is_deleted
    assert comment.body == "Abuse"


def test_delete_comment_refuses_others_and_twice(commenter, other_commenter, published_post):
    comment = CommentFactory.create(post=published_post, author=other_commenter)
    with pytest.raises(PermissionDenied):
        services.delete_comment(actor=commenter, comment=comment, second_factor=True)
    services.delete_comment(actor=other_commenter, comment=comment, second_factor=True)
    with pytest.raises(ValidationError, match="already removed"):
        services.delete_comment(actor=other_commenter, comment=comment, second_factor=True)


# --------------------------------------------------------------------------
# report_comment
# --------------------------------------------------------------------------


def test_report_comment_once_per_reader(commenter, published_post):
    comment = CommentFactory.create(post=published_post)
    report = services.report_comment(actor=commenter, comment=comment, reason="Rude")
    assert report.reason == "Rude"
    comment.refresh_from_db()
    assert comment.report_count == 1
    with pytest.raises(ValidationError, match="already reported"):
        services.report_comment(actor=commenter, comment=comment)
    assert CommentReport.objects.count() == 1


def test_report_comment_refuses_own_and_removed(commenter, published_post):
    own = CommentFactory.create(post=published_post, author=commenter)
    with pytest.raises(ValidationError, match="your own"):
        services.report_comment(actor=commenter, comment=own)
    gone = CommentFactory.create(post=published_post, deleted_at=timezone.now())
    with pytest.raises(ValidationError, match="no longer shown"):
        services.report_comment(actor=commenter, comment=gone)


# --------------------------------------------------------------------------
# account deletion
# --------------------------------------------------------------------------


def test_deleting_an_account_anonymises_its_comments(published_post):
    user = make_verified(UserFactory.create())
    comment = CommentFactory.create(post=published_post, author=user)
    delete_account(actor=user, password="correct-horse-battery")
    comment.refresh_from_db()
    assert comment.author_id is None
    assert comment.body
