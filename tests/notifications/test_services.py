from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from apps.accounts.roles import Role
from apps.blog.models import Post
from apps.blog.services import publish_if_due, publish_post, send_back_post
from apps.comments.models import Comment
from apps.notifications import services
from apps.notifications.models import Delivery, Kind, Notification, NotificationPreference
from tests.accounts.conftest import make_user_with_role
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.notifications.conftest import comment_on

pytestmark = pytest.mark.django_db


def _kinds(notifications):
    return {(n.recipient.username, n.kind) for n in notifications}


def _stored():
    return {
        (n.recipient.username, n.kind) for n in Notification.objects.select_related("recipient")
    }


# --------------------------------------------------------------------------
# notify_for_comment
# --------------------------------------------------------------------------


def test_notify_for_comment_tells_the_post_author(post, commenter):
    comment = comment_on(post, commenter)
    created = services.notify_for_comment(comment_id=comment.pk)
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
    created = services.notify_for_comment(comment_id=comment_on(post, commenter).pk)
    assert _kinds(created) == {("writer", Kind.POST_COMMENT), ("coauthor", Kind.POST_COMMENT)}


def test_notify_for_comment_tells_the_replied_to_author(post, commenter, other_reader):
    parent = comment_on(post, other_reader)
    reply = comment_on(post, commenter, parent=parent)
    created = services.notify_for_comment(comment_id=reply.pk)
    assert _kinds(created) == {("another", Kind.COMMENT_REPLY), ("writer", Kind.POST_COMMENT)}


def test_notify_for_comment_reply_at_the_deepest_level_reaches_the_replied_to_author(
    post, commenter, other_reader
):
    top = comment_on(post, UserFactory.create())
    second = comment_on(post, UserFactory.create(), parent=top)
    deepest = comment_on(post, other_reader, parent=second)
    answer = comment_on(post, commenter, parent=deepest)
    created = services.notify_for_comment(comment_id=answer.pk)
    assert ("another", Kind.COMMENT_REPLY) in _kinds(created)


def test_notify_for_comment_tells_mentioned_users(post, commenter, other_reader):
    comment = comment_on(post, commenter, body="I agree with @another here.")
    created = services.notify_for_comment(comment_id=comment.pk)
    assert _kinds(created) == {("another", Kind.MENTION), ("writer", Kind.POST_COMMENT)}
    assert "mentioned you" in next(n for n in created if n.kind == Kind.MENTION).text


def test_notify_for_comment_reply_wins_over_mention_and_post_comment(post, commenter):
    # The post author wrote the parent and is mentioned: one notification, the reply.
    parent = comment_on(post, post.author)
    reply = comment_on(post, commenter, body="@writer thanks!", parent=parent)
    created = services.notify_for_comment(comment_id=reply.pk)
    assert _kinds(created) == {("writer", Kind.COMMENT_REPLY)}


def test_notify_for_comment_mention_wins_over_post_comment(post, commenter):
    created = services.notify_for_comment(
        comment_id=comment_on(post, commenter, body="Hey @writer, a question.").pk
    )
    assert _kinds(created) == {("writer", Kind.MENTION)}


def test_notify_for_comment_never_notifies_the_commenter(post):
    # The author comments on their own post, replies to themself and mentions themself.
    parent = comment_on(post, post.author)
    reply = comment_on(post, post.author, body="Also @writer, note to self.", parent=parent)
    assert services.notify_for_comment(comment_id=reply.pk) == []
    assert not Notification.objects.exists()


def test_notify_for_comment_skips_held_rejected_spam_and_deleted_comments(post, commenter):
    for status in [Comment.Status.HELD, Comment.Status.REJECTED, Comment.Status.SPAM]:
        comment = comment_on(post, commenter)
        Comment.objects.filter(pk=comment.pk).update(status=status)
        assert services.notify_for_comment(comment_id=comment.pk) == []
    deleted = comment_on(post, commenter)
    Comment.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    assert services.notify_for_comment(comment_id=deleted.pk) == []
    assert services.notify_for_comment(comment_id=999_999) == []
    assert not Notification.objects.exists()


def test_notify_for_comment_runs_once_per_comment(post, commenter, other_reader):
    comment = comment_on(post, commenter, body="cc @another")
    assert len(services.notify_for_comment(comment_id=comment.pk)) == 2
    # Approved again after a rejection, say: nobody hears about it twice.
    assert services.notify_for_comment(comment_id=comment.pk) == []
    assert Notification.objects.count() == 2


def test_notify_for_comment_from_an_anonymised_author_still_notifies(post, other_reader):
    comment = comment_on(post, None, body="Hello @another")
    created = services.notify_for_comment(comment_id=comment.pk)
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
    created = services.notify_for_comment(
        comment_id=comment_on(post, commenter, body="@another").pk
    )
    assert _kinds(created) == {("another", Kind.MENTION)}
    assert created[0].email_due


def test_notify_for_comment_off_for_the_winning_kind_means_nothing(post, commenter):
    # Precedence picks one reason per person; switching that kind off is respected
    # rather than falling back to a weaker reason.
    NotificationPreference.objects.create(user=post.author, kind=Kind.MENTION, delivery="off")
    comment = comment_on(post, commenter, body="@writer")
    assert services.notify_for_comment(comment_id=comment.pk) == []


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
    assert services.mentioned_usernames(body) == expected


def test_mentioned_usernames_keeps_the_first_ten():
    body = " ".join(f"@user{i}" for i in range(15))
    assert services.mentioned_usernames(body) == [f"user{i}" for i in range(10)]


def test_notify_for_comment_mentions_only_existing_active_users_at_most_ten(post, commenter):
    users = [UserFactory.create(username=f"fan{i}") for i in range(12)]
    UserFactory.create(username="gone", is_active=False)
    body = "@gone @nobody " + " ".join(f"@{u.username}" for u in users)
    created = services.notify_for_comment(comment_id=comment_on(post, commenter, body=body).pk)
    mentioned = {n.recipient.username for n in created if n.kind == Kind.MENTION}
    # "@gone" and "@nobody" use two of the ten places.
    assert mentioned == {f"fan{i}" for i in range(8)}


# --------------------------------------------------------------------------
# Post workflow
# --------------------------------------------------------------------------


def test_notify_post_published_tells_author_and_coauthors_not_the_actor(post):
    coauthor = UserFactory.create(username="coauthor")
    post.coauthors.add(coauthor)
    created = services.notify_post_published(post_id=post.pk, actor_id=coauthor.pk)
    assert _kinds(created) == {("writer", Kind.POST_PUBLISHED)}
    assert created[0].url == post.get_absolute_url()
    assert "Field notes" in created[0].text


def test_notify_post_published_ignores_posts_that_are_not_published(post_author):
    draft = PostFactory.create(author=post_author, status=Post.Status.DRAFT, published_at=None)
    assert services.notify_post_published(post_id=draft.pk) == []
    assert services.notify_post_published(post_id=999_999) == []


def test_notify_post_sent_back_tells_the_author_with_the_note(post_author):
    editor = make_user_with_role(Role.EDITOR)
    draft = PostFactory.create(
        author=post_author,
        status=Post.Status.DRAFT,
        published_at=None,
        review_note="Cut the intro.",
    )
    created = services.notify_post_sent_back(post_id=draft.pk, actor_id=editor.pk)
    assert _kinds(created) == {("writer", Kind.POST_SENT_BACK)}
    assert "Cut the intro." in created[0].text
    assert created[0].url == f"/dashboard/posts/{draft.pk}/edit/"
    assert created[0].actor == editor
    assert services.notify_post_sent_back(post_id=draft.pk, actor_id=post_author.pk) == []


def test_publish_post_notifies_the_author_after_commit(
    post_author, django_capture_on_commit_callbacks
):
    editor = make_user_with_role(Role.EDITOR)
    draft = PostFactory.create(author=post_author, status=Post.Status.IN_REVIEW, published_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        publish_post(actor=editor, post=draft)
    assert _stored() == {("writer", Kind.POST_PUBLISHED)}


def test_publish_if_due_notifies_the_author(post_author, django_capture_on_commit_callbacks):
    scheduled = PostFactory.create(
        author=post_author,
        status=Post.Status.SCHEDULED,
        published_at=timezone.now() - timedelta(minutes=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert publish_if_due(post_id=scheduled.pk)
    assert _stored() == {("writer", Kind.POST_PUBLISHED)}


def test_send_back_post_notifies_the_author(post_author, django_capture_on_commit_callbacks):
    editor = make_user_with_role(Role.EDITOR)
    draft = PostFactory.create(author=post_author, status=Post.Status.IN_REVIEW, published_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        send_back_post(actor=editor, post=draft, note="Needs sources.")
    notification = Notification.objects.get()
    assert notification.kind == Kind.POST_SENT_BACK
    assert notification.text.endswith("Needs sources.")


def test_workflow_move_survives_a_failing_notification(
    post_author, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "notify_post_published", broken)
    editor = make_user_with_role(Role.EDITOR)
    draft = PostFactory.create(author=post_author, status=Post.Status.IN_REVIEW, published_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        publish_post(actor=editor, post=draft)
    draft.refresh_from_db()
    assert draft.status == Post.Status.PUBLISHED


# --------------------------------------------------------------------------
# notify (generic), broadcasting
# --------------------------------------------------------------------------


def test_notify_respects_off_email_and_in_app(post_author, commenter):
    def send():
        return services.notify(
            recipient=post_author, kind=Kind.MENTION, actor=commenter, text="Hello", url="/x/"
        )

    in_app = send()
    assert in_app is not None
    assert not in_app.email_due
    services.set_preferences(actor=post_author, choices={Kind.MENTION: Delivery.EMAIL})
    email = send()
    assert email is not None
    assert email.email_due
    services.set_preferences(actor=post_author, choices={Kind.MENTION: Delivery.OFF})
    assert send() is None
    assert Notification.objects.count() == 2


def test_notify_skips_the_actor_inactive_users_and_unknown_kinds(post_author):
    assert (
        services.notify(
            recipient=post_author, kind=Kind.MENTION, actor=post_author, text="x", url=""
        )
        is None
    )
    inactive = UserFactory.create(is_active=False)
    assert (
        services.notify(recipient=inactive, kind=Kind.MENTION, actor=None, text="x", url="") is None
    )
    with pytest.raises(ValueError, match="Unknown"):
        services.notify(recipient=post_author, kind="nope", actor=None, text="x", url="")


def test_notify_shortens_long_text(post_author):
    notification = services.notify(
        recipient=post_author, kind=Kind.MENTION, actor=None, text="word " * 200, url="/"
    )
    assert notification is not None
    assert len(notification.text) <= 300


def test_notify_pushes_after_commit_and_survives_a_dead_channel_layer(
    post_author, django_capture_on_commit_callbacks, monkeypatch
):
    from channels.layers import InMemoryChannelLayer

    async def refuse(self, group, message):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(InMemoryChannelLayer, "group_send", refuse)
    monkeypatch.setattr(
        "apps.notifications.broadcasts.get_channel_layer", lambda: InMemoryChannelLayer()
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = services.notify(
            recipient=post_author, kind=Kind.MENTION, actor=None, text="Hi", url="/"
        )
    assert callbacks
    assert notification is not None
    assert Notification.objects.filter(pk=notification.pk).exists()


def test_notify_broadcasts_created_event_to_the_recipient_group(
    post_author, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        "apps.notifications.broadcasts._send", lambda group, event: sent.append((group, event))
    )
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.notify(
            recipient=post_author, kind=Kind.MENTION, actor=None, text="Hi <b>there</b>", url="/"
        )
    assert notification is not None
    ((group, event),) = sent
    assert group == f"notifications.user.{post_author.pk}"
    assert event["type"] == "notification.created"
    assert event["data"]["notification"]["id"] == notification.pk
    assert event["data"]["unread"] == 1
    assert 'id="notification-count" hx-swap-oob="true"' in event["html"]
    assert 'hx-swap-oob="afterbegin:#notification-menu-list"' in event["html"]
    assert "Hi &lt;b&gt;there&lt;/b&gt;" in event["html"]
    assert "<b>" not in event["html"]


# --------------------------------------------------------------------------
# mark_read, set_preferences
# --------------------------------------------------------------------------


def _make(recipient, count=1, **fields):
    return [
        Notification.objects.create(recipient=recipient, kind=Kind.MENTION, text=f"n{i}", **fields)
        for i in range(count)
    ]


def test_mark_read_marks_only_the_actors_own(post_author, commenter, monkeypatch):
    pushed: list[int] = []
    monkeypatch.setattr("apps.notifications.broadcasts.unread_changed", pushed.append)
    mine = _make(post_author, 3)
    theirs = _make(commenter, 1)
    count = services.mark_read(actor=post_author, notification_ids=[mine[0].pk, theirs[0].pk])
    assert count == 1
    assert Notification.objects.filter(read_at__isnull=False).get() == mine[0]
    assert services.mark_read(actor=post_author, all=True) == 2
    assert services.mark_read(actor=post_author, all=True) == 0
    assert not Notification.objects.filter(recipient=commenter, read_at__isnull=False).exists()
    with pytest.raises(ValueError, match="notification_ids"):
        services.mark_read(actor=post_author)


def test_mark_read_pushes_the_new_count_after_commit(
    post_author, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        "apps.notifications.broadcasts._send", lambda group, event: sent.append((group, event))
    )
    _make(post_author, 2)
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_read(actor=post_author, all=True)
    ((_group, event),) = sent
    assert event["data"] == {"type": "notification.unread", "unread": 0}


def test_set_preferences_stores_and_validates(post_author):
    result = services.set_preferences(
        actor=post_author, choices={Kind.MENTION: Delivery.EMAIL, Kind.POST_COMMENT: Delivery.OFF}
    )
    assert result[Kind.MENTION] == Delivery.EMAIL
    assert result[Kind.POST_COMMENT] == Delivery.OFF
    assert result[Kind.COMMENT_REPLY] == Delivery.IN_APP
    services.set_preferences(actor=post_author, choices={Kind.MENTION: Delivery.IN_APP})
    assert (
        NotificationPreference.objects.get(user=post_author, kind=Kind.MENTION).delivery == "in_app"
    )
    with pytest.raises(ValidationError):
        services.set_preferences(actor=post_author, choices={Kind.MENTION: "carrier-pigeon"})
    with pytest.raises(ValidationError):
        services.set_preferences(actor=post_author, choices={"bogus": Delivery.OFF})


def test_set_preferences_away_from_email_cancels_pending_mail(post_author):
    (pending,) = _make(post_author, email_due=True)
    services.set_preferences(actor=post_author, choices={Kind.MENTION: Delivery.IN_APP})
    pending.refresh_from_db()
    assert not pending.email_due
