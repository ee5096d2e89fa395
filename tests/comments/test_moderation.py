from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import grant_role_as_system
from apps.blog.models import Post
from apps.comments.models import Comment, CommentReport, ModerationSettings
from apps.comments.selectors import moderation_counts, moderation_queue, moderation_settings
from apps.comments.services import (
    approve_comment,
    bulk_moderate,
    create_comment,
    dismiss_reports,
    initial_status,
    mark_spam,
    reject_comment,
    rules,
    set_comments_open,
    update_moderation_settings,
)
from apps.comments.services import moderation as mod
from tests.comments.conftest import make_verified
from tests.factories.accounts import UserFactory
from tests.factories.comments import CommentFactory, CommentReportFactory

S = Comment.Status
Hold = ModerationSettings.Hold


def _rules(hold: str = Hold.NONE, max_links: int = 2, blocklist: str = "") -> None:
    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hold": hold, "max_links": max_links, "blocklist": blocklist}
    )


def _author_role_user() -> User:
    return grant_role_as_system(user=UserFactory.create(), role=Role.AUTHOR, reason="test")


@pytest.fixture
def events(monkeypatch):
    """Every live event (after commit) and notification (in the transaction) moderation makes."""
    from apps.comments.models import StreamEvent

    calls: list[tuple[str, int, dict[str, object]]] = []
    labels = {"comment.created": "published", "comment.deleted": "removed"}

    def record(event_id: int) -> None:
        event = StreamEvent.objects.get(pk=event_id)
        extra: dict[str, object] = (
            {"public_only": not event.private} if event.kind == "comment.deleted" else {}
        )
        calls.append((labels[event.kind], event.comment_id, extra))

    monkeypatch.setattr("apps.comments.broadcasts.stream_event", record)
    monkeypatch.setattr(
        mod, "notify_for_comment", lambda *, comment_id: calls.append(("notify", comment_id, {}))
    )
    return calls


# --------------------------------------------------------------------------
# initial_status: the hold rule and the spam signals
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hold", "max_links", "blocklist", "body", "has_history", "expected"),
    [
        (Hold.NONE, 2, "", "Nice post.", False, (S.PUBLISHED, "")),
        (Hold.ALL, 2, "", "Nice post.", True, (S.HELD, "All comments are held")),
        (Hold.FIRST_TIME, 2, "", "Nice post.", False, (S.HELD, "First-time commenter")),
        (Hold.FIRST_TIME, 2, "", "Nice post.", True, (S.PUBLISHED, "")),
        (Hold.NONE, 2, "", "See https://a.example and https://b.example", False, (S.PUBLISHED, "")),
        (Hold.NONE, 2, "", "[a](https://a.example) [b](https://b.example) www.c.example", False, (S.HELD, "3 links")),
        (Hold.NONE, 0, "", "One <https://a.example>", False, (S.HELD, "1 links")),
        (Hold.NONE, 2, "casino\ncheap pills", "Try the CASINO tonight", False, (S.HELD, "Blocked word: casino")),
        (Hold.NONE, 2, "cheap pills", "Buy cheap\n  pills here", False, (S.HELD, "Blocked word: cheap pills")),
        (Hold.NONE, 2, "ass", "A classic class act.", False, (S.PUBLISHED, "")),
        (Hold.NONE, 2, "$$$", "Earn $$$ fast", False, (S.HELD, "Blocked word: $$$")),
        # The links signal names the reason even when every comment is held anyway.
        (Hold.ALL, 1, "", "https://a.example https://b.example", True, (S.HELD, "2 links")),
    ],
)  # fmt: skip
def test_initial_status_rules(
    db, published_post, hold, max_links, blocklist, body, has_history, expected
):
    _rules(hold, max_links, blocklist)
    author = make_verified(UserFactory.create())
    if has_history:
        CommentFactory.create(author=author, status=S.PUBLISHED)
    assert initial_status(author=author, post=published_post, body=body) == expected


def test_initial_status_first_time_ignores_held_and_rejected_history(db, published_post, commenter):
    _rules(Hold.FIRST_TIME)
    CommentFactory.create(author=commenter, status=S.HELD)
    CommentFactory.create(author=commenter, status=S.REJECTED)
    assert initial_status(author=commenter, post=published_post, body="Hi")[0] == S.HELD


def test_initial_status_never_holds_moderators(db, published_post, moderator):
    _rules(Hold.ALL, 0, "casino")
    body = "casino https://a.example"
    assert initial_status(author=moderator, post=published_post, body=body) == (S.PUBLISHED, "")


def test_create_comment_uses_the_rule(db, published_post, commenter):
    _rules(Hold.NONE, 2, "casino")
    comment = create_comment(actor=commenter, post=published_post, body="Casino!")
    assert (comment.status, comment.held_reason) == (S.HELD, "Blocked word: casino")


@pytest.mark.parametrize(
    ("body", "links"),
    [
        ("no links", 0),
        ("[a](https://a.example)", 1),
        ('[a](https://a.example "title") and https://b.example', 2),
        ("<https://a.example> www.b.example http://c.example/x?y=1", 3),
        ("[relative](/about)", 1),
    ],
)
def test_count_links(body, links):
    assert rules.count_links(body) == links


# --------------------------------------------------------------------------
# approve, reject, spam: every action for every status
# --------------------------------------------------------------------------


ACTIONS = {"approve": approve_comment, "reject": reject_comment, "spam": mark_spam}
TARGET = {"approve": S.PUBLISHED, "reject": S.REJECTED, "spam": S.SPAM}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("status", list(S))
def test_moderation_action_for_every_status(
    db, moderator, events, django_capture_on_commit_callbacks, action, status
):
    comment = CommentFactory.create(status=status)
    if status == TARGET[action]:
        with pytest.raises(ValidationError, match="already"):
            ACTIONS[action](actor=moderator, comment=comment)
        comment.refresh_from_db()
        assert comment.status == status
        assert comment.moderated_by is None
        return
    with django_capture_on_commit_callbacks(execute=True):
        result = ACTIONS[action](actor=moderator, comment=comment)
    assert result is comment
    comment.refresh_from_db()
    assert comment.status == TARGET[action]
    assert comment.moderated_by == moderator
    assert comment.moderated_at is not None
    if action == "approve":
        # Notified inside the transaction, broadcast after it commits.
        assert events == [("notify", comment.pk, {}), ("published", comment.pk, {})]
    else:
        was_public = status == S.PUBLISHED
        assert events == [("removed", comment.pk, {"public_only": was_public})]


@pytest.mark.parametrize("action", list(ACTIONS))
def test_moderation_actions_refuse_deleted_comments(db, moderator, action):
    comment = CommentFactory.create(status=S.HELD, deleted_at=timezone.now())
    with pytest.raises(ValidationError, match="deleted"):
        ACTIONS[action](actor=moderator, comment=comment)


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("who", ["reader", "author", "anonymous"])
def test_moderation_actions_need_the_moderator_role(db, action, who):
    from django.contrib.auth.models import AnonymousUser

    user: Any = {
        "reader": lambda: UserFactory.create(),
        "author": _author_role_user,
        "anonymous": AnonymousUser,
    }[who]()
    comment = CommentFactory.create(status=S.HELD)
    with pytest.raises(PermissionDenied):
        ACTIONS[action](actor=user, comment=comment)
    comment.refresh_from_db()
    assert comment.status == S.HELD


def test_nothing_is_broadcast_when_the_transaction_rolls_back(
    db, moderator, events, django_capture_on_commit_callbacks
):
    comment = CommentFactory.create(status=S.HELD)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        approve_comment(actor=moderator, comment=comment)
    assert len(callbacks) == 2  # the page-cache invalidation and the broadcast
    # The notifications are written in the approval's transaction, so they roll back with it.
    assert events == [("notify", comment.pk, {})]


def test_reject_settles_open_reports(db, moderator):
    comment = CommentFactory.create(report_count=2)
    old = CommentReportFactory.create(comment=comment, resolved_at=timezone.now())
    reports = CommentReportFactory.create_batch(2, comment=comment)
    reject_comment(actor=moderator, comment=comment)
    comment.refresh_from_db()
    assert comment.report_count == 0
    assert all(CommentReport.objects.get(pk=r.pk).resolved_at is not None for r in [*reports, old])
    assert list(moderation_queue(view="reported")) == []


def test_approving_a_spam_comment_back_is_allowed(db, moderator):
    comment = CommentFactory.create(status=S.SPAM)
    approve_comment(actor=moderator, comment=comment)
    assert Comment.objects.get(pk=comment.pk).status == S.PUBLISHED


# --------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------


def test_dismiss_reports_keeps_the_comment_and_is_safe_to_repeat(db, moderator):
    comment = CommentFactory.create(report_count=2)
    CommentReportFactory.create_batch(2, comment=comment)
    assert dismiss_reports(actor=moderator, comment=comment) == 2
    comment.refresh_from_db()
    assert (comment.status, comment.report_count) == (S.PUBLISHED, 0)
    assert comment.moderated_by == moderator
    assert not CommentReport.objects.filter(comment=comment, resolved_at__isnull=True).exists()
    assert dismiss_reports(actor=moderator, comment=comment) == 0


def test_dismiss_reports_needs_the_moderator_role(db, commenter):
    comment = CommentFactory.create(report_count=1)
    CommentReportFactory.create(comment=comment)
    with pytest.raises(PermissionDenied):
        dismiss_reports(actor=commenter, comment=comment)


# --------------------------------------------------------------------------
# Bulk
# --------------------------------------------------------------------------


def test_bulk_moderate_reports_each_failure_with_its_reason(db, moderator):
    held = CommentFactory.create(status=S.HELD)
    spam = CommentFactory.create(status=S.SPAM)
    live = CommentFactory.create(status=S.PUBLISHED)
    gone = CommentFactory.create(status=S.HELD, deleted_at=timezone.now())
    result = bulk_moderate(
        actor=moderator,
        comment_ids=[held.pk, live.pk, 999_999, spam.pk, gone.pk, held.pk],
        action="approve",
    )
    assert result.done == [held.pk, spam.pk]
    assert result.failed == {
        live.pk: "This comment is already published.",
        999_999: "This comment no longer exists.",
        gone.pk: "This comment was deleted, so it cannot be moderated.",
    }
    assert Comment.objects.get(pk=held.pk).status == S.PUBLISHED
    assert Comment.objects.get(pk=spam.pk).status == S.PUBLISHED


def test_bulk_delete_keeps_placeholders_and_settles_reports(db, moderator):
    reported = CommentFactory.create(report_count=1)
    CommentReportFactory.create(comment=reported)
    held = CommentFactory.create(status=S.HELD)
    result = bulk_moderate(actor=moderator, comment_ids=[reported.pk, held.pk], action="delete")
    assert result.done == [reported.pk, held.pk]
    reported.refresh_from_db()
    assert reported.is_deleted
    assert reported.report_count == 0
    again = bulk_moderate(actor=moderator, comment_ids=[held.pk], action="delete")
    assert again.failed == {held.pk: "This comment was already removed."}


def test_bulk_dismiss_fails_for_comments_without_reports(db, moderator):
    reported = CommentFactory.create(report_count=1)
    CommentReportFactory.create(comment=reported)
    quiet = CommentFactory.create()
    result = bulk_moderate(actor=moderator, comment_ids=[reported.pk, quiet.pk], action="dismiss")
    assert result.done == [reported.pk]
    assert result.failed == {quiet.pk: "This comment has no open reports."}


def test_bulk_moderate_refuses_unknown_actions_and_non_moderators(db, moderator, commenter):
    comment = CommentFactory.create(status=S.HELD)
    with pytest.raises(ValidationError, match="Unknown moderation action"):
        bulk_moderate(actor=moderator, comment_ids=[comment.pk], action="publish")
    with pytest.raises(PermissionDenied):
        bulk_moderate(actor=commenter, comment_ids=[comment.pk], action="approve")
    assert Comment.objects.get(pk=comment.pk).status == S.HELD


# --------------------------------------------------------------------------
# Settings and closing comments
# --------------------------------------------------------------------------


def test_update_moderation_settings_saves_and_applies_at_once(db, moderator, published_post):
    moderation_settings()  # read (and cache, where a cache is on) the defaults first
    rules = update_moderation_settings(
        actor=moderator,
        hold=Hold.NONE,
        max_links=5,
        blocklist="  Casino \n\ncasino\nCheap   Pills\n",
    )
    assert rules.blocklist == "casino\ncheap pills"
    assert rules.updated_by == moderator
    fresh = moderation_settings()
    assert (fresh.hold, fresh.max_links, fresh.blocked_words) == (
        Hold.NONE,
        5,
        ["casino", "cheap pills"],
    )
    author = make_verified(UserFactory.create())
    assert initial_status(author=author, post=published_post, body="hello")[0] == S.PUBLISHED


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"hold": "sometimes"}, "hold"),
        ({"max_links": -1}, "max_links"),
        ({"max_links": 51}, "max_links"),
        ({"blocklist": "x" * 101}, "blocklist"),
        ({"blocklist": "\n".join(f"w{n}" for n in range(501))}, "blocklist"),
    ],
)
def test_update_moderation_settings_validates(db, moderator, fields, field):
    values = {"hold": Hold.ALL, "max_links": 2, "blocklist": "", **fields}
    with pytest.raises(ValidationError) as error:
        update_moderation_settings(actor=moderator, **values)
    assert field in error.value.error_dict
    assert moderation_settings().hold == Hold.FIRST_TIME  # nothing saved


def test_update_moderation_settings_needs_the_moderator_role(db):
    with pytest.raises(PermissionDenied):
        update_moderation_settings(
            actor=_author_role_user(), hold=Hold.NONE, max_links=2, blocklist=""
        )


def test_set_comments_open_closes_and_reopens(db, moderator, published_post, commenter):
    set_comments_open(actor=moderator, post=published_post, is_open=False)
    assert not Post.objects.get(pk=published_post.pk).comments_open
    with pytest.raises(ValidationError, match="closed"):
        create_comment(actor=commenter, post=published_post, body="Too late?")
    # Asking again for the state it is in changes nothing and raises nothing.
    assert not set_comments_open(actor=moderator, post=published_post, is_open=False).comments_open
    set_comments_open(actor=moderator, post=published_post, is_open=True)
    assert Post.objects.get(pk=published_post.pk).comments_open


def test_set_comments_open_needs_the_moderator_role(db, published_post, commenter):
    with pytest.raises(PermissionDenied):
        set_comments_open(actor=commenter, post=published_post, is_open=False)
    assert Post.objects.get(pk=published_post.pk).comments_open


# --------------------------------------------------------------------------
# Selectors
# --------------------------------------------------------------------------


def test_moderation_queue_views_and_counts(db, published_post):
    held = CommentFactory.create(status=S.HELD, post=published_post, body="needs a look")
    CommentFactory.create(status=S.HELD, deleted_at=timezone.now())
    spam = CommentFactory.create(status=S.SPAM)
    rejected = CommentFactory.create(status=S.REJECTED, moderated_at=timezone.now())
    reported = CommentFactory.create(report_count=3)
    assert list(moderation_queue(view="held")) == [held]
    assert list(moderation_queue(view="spam")) == [spam]
    assert list(moderation_queue(view="rejected")) == [rejected]
    assert list(moderation_queue(view="reported")) == [reported]
    assert list(moderation_queue(view="held", post_id=published_post.pk)) == [held]
    assert list(moderation_queue(view="held", post_id=spam.post_id)) == []
    assert list(moderation_queue(view="held", q="A LOOK")) == [held]
    assert list(moderation_queue(view="held", q="nothing like it")) == []
    assert moderation_counts() == {"held": 1, "reported": 1, "spam": 1, "rejected": 1}
    assert moderation_counts(post_id=published_post.pk)["held"] == 1
    with pytest.raises(ValueError, match="Unknown"):
        moderation_queue(view="all")
