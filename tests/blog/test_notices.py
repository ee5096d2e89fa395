"""Who hears about a post's workflow moves (apps.blog.services.notices)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.roles import Role
from apps.blog.models import Post
from apps.blog.services import publish_if_due, publish_post, send_back_post, workflow
from apps.blog.services.notices import notify_post_published, notify_post_sent_back
from apps.notifications.models import Kind, Notification
from tests.accounts.conftest import make_user_with_role
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer(db):
    return UserFactory.create(username="writer")


def _kinds(notifications):
    return {(n.recipient.username, n.kind) for n in notifications}


def _stored():
    return {
        (n.recipient.username, n.kind) for n in Notification.objects.select_related("recipient")
    }


# --------------------------------------------------------------------------
# Post workflow
# --------------------------------------------------------------------------


def test_notify_post_published_tells_author_and_coauthors_not_the_actor(writer):
    post = PostFactory.create(author=writer, title="Field notes")
    coauthor = UserFactory.create(username="coauthor")
    post.coauthors.add(coauthor)
    created = notify_post_published(post_id=post.pk, actor_id=coauthor.pk)
    assert _kinds(created) == {("writer", Kind.POST_PUBLISHED)}
    assert created[0].url == post.get_absolute_url()
    assert "Field notes" in created[0].text


def test_notify_post_published_ignores_posts_that_are_not_published(writer):
    draft = PostFactory.create(author=writer, status=Post.Status.DRAFT, published_at=None)
    assert notify_post_published(post_id=draft.pk) == []
    assert notify_post_published(post_id=999_999) == []


def test_notify_post_sent_back_tells_the_author_with_the_note(writer):
    editor = make_user_with_role(Role.EDITOR)
    draft = PostFactory.create(
        author=writer,
        status=Post.Status.DRAFT,
        published_at=None,
        review_note="Cut the intro.",
    )
    created = notify_post_sent_back(post_id=draft.pk, actor_id=editor.pk)
    assert _kinds(created) == {("writer", Kind.POST_SENT_BACK)}
    assert "Cut the intro." in created[0].text
    assert created[0].url == f"/dashboard/posts/{draft.pk}/edit/"
    assert created[0].actor == editor
    assert notify_post_sent_back(post_id=draft.pk, actor_id=writer.pk) == []


def test_publish_post_notifies_the_author_after_commit(writer, django_capture_on_commit_callbacks):
    editor = make_user_with_role(Role.EDITOR)
    draft = PostFactory.create(author=writer, status=Post.Status.IN_REVIEW, published_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        publish_post(actor=editor, post=draft)
    assert _stored() == {("writer", Kind.POST_PUBLISHED)}


def test_publish_if_due_notifies_the_author(writer, django_capture_on_commit_callbacks):
    scheduled = PostFactory.create(
        author=writer,
        status=Post.Status.SCHEDULED,
        published_at=timezone.now() - timedelta(minutes=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert publish_if_due(post_id=scheduled.pk)
    assert _stored() == {("writer", Kind.POST_PUBLISHED)}


def test_send_back_post_notifies_the_author(writer, django_capture_on_commit_callbacks):
    editor = make_user_with_role(Role.EDITOR)
    draft = PostFactory.create(author=writer, status=Post.Status.IN_REVIEW, published_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        send_back_post(actor=editor, post=draft, note="Needs sources.")
    notification = Notification.objects.get()
    assert notification.kind == Kind.POST_SENT_BACK
    assert notification.text.endswith("Needs sources.")


def _dead_channel_layer(monkeypatch):
    from channels.layers import InMemoryChannelLayer
    from redis.exceptions import ConnectionError as RedisConnectionError

    async def refuse(self, group, message):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(InMemoryChannelLayer, "group_send", refuse)
    monkeypatch.setattr("apps.core.live.get_channel_layer", lambda: InMemoryChannelLayer())


def test_publish_stores_the_notification_with_the_move_when_the_push_fails(
    writer, django_capture_on_commit_callbacks, monkeypatch
):
    _dead_channel_layer(monkeypatch)
    editor = make_user_with_role(Role.EDITOR)
    draft = PostFactory.create(author=writer, status=Post.Status.IN_REVIEW, published_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        publish_post(actor=editor, post=draft)
    draft.refresh_from_db()
    assert draft.status == Post.Status.PUBLISHED
    assert _stored() == {("writer", Kind.POST_PUBLISHED)}


def test_a_failing_notification_undoes_the_move_with_it(writer, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(workflow, "notify_post_published", broken)
    editor = make_user_with_role(Role.EDITOR)
    draft = PostFactory.create(author=writer, status=Post.Status.IN_REVIEW, published_at=None)
    with pytest.raises(RuntimeError):
        publish_post(actor=editor, post=draft)
    draft.refresh_from_db()
    assert draft.status == Post.Status.IN_REVIEW


def test_publish_if_due_run_twice_publishes_and_notifies_once(writer):
    due = timezone.now() - timedelta(minutes=1)
    scheduled = PostFactory.create(author=writer, status=Post.Status.SCHEDULED, published_at=due)
    assert publish_if_due(post_id=scheduled.pk, expected_publish_at=due)
    assert not publish_if_due(post_id=scheduled.pk, expected_publish_at=due)
    scheduled.refresh_from_db()
    assert scheduled.published_at == due
    assert _stored() == {("writer", Kind.POST_PUBLISHED)}
    assert Notification.objects.count() == 1
