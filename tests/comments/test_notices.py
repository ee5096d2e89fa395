"""Who hears about a comment (apps.comments.services.notices), stored through notifications."""

import pytest
from django.utils import timezone

from apps.comments.models import Comment
from apps.comments.services.notices import mentioned_usernames, notify_for_comment
from apps.notifications.models import Delivery, Kind, Notification, NotificationPreference
from tests.factories.accounts import UserFactory
from tests.notifications.conftest import comment_on

pytestmark = pytest.mark.django_db


def _kinds(notifications):
    return {(n.recipient.username, n.kind) for n in notifications}


# --------------------------------------------------------------------------
# notify_for_comment
# --------------------------------------------------------------------------


def test_notify_for_comment_tells_the_post_author(post, commenter):
    comment = comment_on(post, commenter)
    created = notify_for_comment(comment_id=comment.pk)
    assert _kinds(created) == {("writer", Kind.POST_COMMENT)}
    notification = created[0]
    assert notification.actor == commenter
    assert notification.post == post
    assert notification.comment == comment
    assert notification.url == f"{post.get_absolute_url()}#comment-{comment.pk}"
    assert commenter.name in notification.text
    assert "Field notes" in notification.text
    assert not notification.email_due


def test_notify_for_comment_tells_coauthors_too(post, commenter):
    coauthor = UserFactory.create(username="coauthor")
    post.coauthors.add(coauthor)
    created = notify_for_comment(comment_id=comment_on(post, commenter).pk)
    assert _kinds(created) == {("writer", Kind.POST_COMMENT), ("coauthor", Kind.POST_COMMENT)}


def test_notify_for_comment_tells_the_replied_to_author(post, commenter, other_reader):
    parent = comment_on(post, other_reader)
    reply = comment_on(post, commenter, parent=parent)
    created = notify_for_comment(comment_id=reply.pk)
    assert _kinds(created) == {("another", Kind.COMMENT_REPLY), ("writer", Kind.POST_COMMENT)}


def test_notify_for_comment_reply_at_the_deepest_level_reaches_the_replied_to_author(
    post, commenter, other_reader
):
    top = comment_on(post, UserFactory.create())
    second = comment_on(post, UserFactory.create(), parent=top)
    deepest = comment_on(post, other_reader, parent=second)
    answer = comment_on(post, commenter, parent=deepest)
    created = notify_for_comment(comment_id=answer.pk)
    assert ("another", Kind.COMMENT_REPLY) in _kinds(created)


def test_notify_for_comment_tells_mentioned_users(post, commenter, other_reader):
    comment = comment_on(post, commenter, body="I agree with @another here.")
    created = notify_for_comment(comment_id=comment.pk)
    assert _kinds(created) == {("another", Kind.MENTION), ("writer", Kind.POST_COMMENT)}
    assert "mentioned you" in next(n for n in created if n.kind == Kind.MENTION).text


def test_notify_for_comment_reply_wins_over_mention_and_post_comment(post, commenter):
    # The post author wrote the parent and is mentioned: one notification, the reply.
    parent = comment_on(post, post.author)
    reply = comment_on(post, commenter, body="@writer thanks!", parent=parent)
    created = notify_for_comment(comment_id=reply.pk)
    assert _kinds(created) == {("writer", Kind.COMMENT_REPLY)}


def test_notify_for_comment_mention_wins_over_post_comment(post, commenter):
    created = notify_for_comment(
        comment_id=comment_on(post, commenter, body="Hey @writer, a question.").pk
    )
    assert _kinds(created) == {("writer", Kind.MENTION)}


def test_notify_for_comment_never_notifies_the_commenter(post):
    # The author comments on their own post, replies to themself and mentions themself.
    parent = comment_on(post, post.author)
    reply = comment_on(post, post.author, body="Also @writer, note to self.", parent=parent)
    assert notify_for_comment(comment_id=reply.pk) == []
    assert not Notification.objects.exists()


def test_notify_for_comment_skips_held_rejected_spam_and_deleted_comments(post, commenter):
    for status in [Comment.Status.HELD, Comment.Status.REJECTED, Comment.Status.SPAM]:
        comment = comment_on(post, commenter)
        Comment.objects.filter(pk=comment.pk).update(status=status)
        assert notify_for_comment(comment_id=comment.pk) == []
    deleted = comment_on(post, commenter)
    Comment.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    assert notify_for_comment(comment_id=deleted.pk) == []
    assert notify_for_comment(comment_id=999_999) == []
    assert not Notification.objects.exists()


def test_notify_for_comment_runs_once_per_comment(post, commenter, other_reader):
    comment = comment_on(post, commenter, body="cc @another")
    assert len(notify_for_comment(comment_id=comment.pk)) == 2
    # Approved again after a rejection, say: nobody hears about it twice.
    assert notify_for_comment(comment_id=comment.pk) == []
    assert Notification.objects.count() == 2


def test_notify_for_comment_from_an_anonymised_author_still_notifies(post, other_reader):
    comment = comment_on(post, None, body="Hello @another")
    created = notify_for_comment(comment_id=comment.pk)
    assert _kinds(created) == {("another", Kind.MENTION), ("writer", Kind.POST_COMMENT)}
    assert all(n.actor is None for n in created)
    assert created[0].text.startswith("Someone")


def test_notify_for_comment_honours_preferences(post, commenter, other_reader):
    NotificationPreference.objects.create(
        user=post.author, kind=Kind.POST_COMMENT, delivery=Delivery.OFF
    )
    NotificationPreference.objects.create(
        user=other_reader, kind=Kind.MENTION, delivery=Delivery.EMAIL
    )
    created = notify_for_comment(comment_id=comment_on(post, commenter, body="@another").pk)
    assert _kinds(created) == {("another", Kind.MENTION)}
    assert created[0].email_due


def test_notify_for_comment_off_for_the_winning_kind_means_nothing(post, commenter):
    # Precedence picks one reason per person; switching that kind off is respected
    # rather than falling back to a weaker reason.
    NotificationPreference.objects.create(user=post.author, kind=Kind.MENTION, delivery="off")
    comment = comment_on(post, commenter, body="@writer")
    assert notify_for_comment(comment_id=comment.pk) == []


# --------------------------------------------------------------------------
# Mentions
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("@alice hi", ["alice"]),
        ("Hi @Alice, and @bob.", ["alice", "bob"]),
        ("(@alice) @alice @ALICE", ["alice"]),
        ("mail me at bob@alice.com", []),
        ("see https://example.com/@alice", []),
        ("@alice-bob and @alice_b", ["alice-bob", "alice_b"]),
        ("`@alice` in code", []),
        ("```\n@alice\n```\n@bob", ["bob"]),
        ("@ alone, @-x, @_y", []),
        ("@" + "a" * 41, []),
        ("Thanks @carol!", ["carol"]),
    ],
)
def test_mentioned_usernames_finds_usernames_on_word_boundaries(body, expected):
    assert mentioned_usernames(body) == expected


def test_mentioned_usernames_keeps_the_first_ten():
    body = " ".join(f"@user{i}" for i in range(15))
    assert mentioned_usernames(body) == [f"user{i}" for i in range(10)]


def test_notify_for_comment_mentions_only_existing_active_users_at_most_ten(post, commenter):
    users = [UserFactory.create(username=f"fan{i}") for i in range(12)]
    UserFactory.create(username="gone", is_active=False)
    body = "@gone @nobody " + " ".join(f"@{u.username}" for u in users)
    created = notify_for_comment(comment_id=comment_on(post, commenter, body=body).pk)
    mentioned = {n.recipient.username for n in created if n.kind == Kind.MENTION}
    # "@gone" and "@nobody" use two of the ten places.
    assert mentioned == {f"fan{i}" for i in range(8)}
