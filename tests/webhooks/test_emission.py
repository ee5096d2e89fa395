from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from apps.accounts.roles import Role
from apps.blog import services as blog
from apps.blog.models import Post
from apps.blog.services import PostContent
from apps.comments.models import Comment
from apps.comments.services import approve_comment, create_comment, delete_comment
from apps.newsletter import subscribers
from apps.newsletter.models import Source
from apps.newsletter.tokens import confirm_token
from apps.webhooks.models import Delivery, Endpoint
from tests.comments.conftest import make_verified
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory
from tests.factories.newsletter import NewsletterFactory
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(make_user):
    return make_user(Role.EDITOR)


@pytest.fixture
def hook(receiver, make_endpoint):
    return make_endpoint(receiver.url("/ok"))


def _draft(**fields):
    return PostFactory.create(status=Post.Status.DRAFT, published_at=None, **fields)


def _only(event_type):
    [delivery] = Delivery.objects.filter(event_type=event_type)
    return delivery


def test_publishing_a_post_sends_post_published(
    hook, receiver, editor, django_capture_on_commit_callbacks, settings
):
    post = _draft(title="Spring notes", excerpt="On seeds")
    with django_capture_on_commit_callbacks(execute=True):
        blog.publish_post(actor=editor, post=post)
    delivery = _only("post.published")
    assert delivery.endpoint == hook
    assert delivery.status == Delivery.Status.SUCCEEDED
    body = delivery.payload
    assert body["type"] == "post.published"
    data = body["data"]
    assert data["id"] == post.pk
    assert data["title"] == "Spring notes"
    assert data["excerpt"] == "On seeds"
    assert data["url"] == settings.SITE_URL + post.get_absolute_url()
    assert data["status"] == "published"
    assert data["published_at"]
    assert data["author"]["username"] == post.author.username
    assert "email" not in str(body)
    [got] = receiver.requests
    assert Webhook(hook.secret).verify(got.body, got.headers) == body


def test_the_scheduler_publishing_a_post_sends_post_published(
    hook, django_capture_on_commit_callbacks
):
    post = PostFactory.create(
        status=Post.Status.SCHEDULED, published_at=timezone.now() - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert blog.publish_if_due(post_id=post.pk)
    assert _only("post.published").payload["data"]["id"] == post.pk


def test_archiving_sends_post_unpublished_and_editing_sends_post_updated(
    hook, editor, django_capture_on_commit_callbacks
):
    post = PostFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        content = blog.current_content(post)
        content = PostContent(**{**content.__dict__, "title": "A better title"})
        blog.update_post(actor=editor, post=post, content=content, based_on_version=post.version)
    assert _only("post.updated").payload["data"]["title"] == "A better title"
    post.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        blog.archive_post(actor=editor, post=post)
    assert _only("post.unpublished").payload["data"]["status"] == "archived"


def test_an_autosave_sends_nothing(hook, editor, django_capture_on_commit_callbacks):
    post = PostFactory.create()
    content = PostContent(**{**blog.current_content(post).__dict__, "body": "typing…"})
    with django_capture_on_commit_callbacks(execute=True):
        blog.update_post(
            actor=editor, post=post, content=content, based_on_version=post.version, autosave=True
        )
    assert not Delivery.objects.exists()


def test_deleting_a_published_post_describes_it_before_it_goes(
    hook, editor, django_capture_on_commit_callbacks
):
    post = PostFactory.create(title="Gone soon")
    pk = post.pk
    with django_capture_on_commit_callbacks(execute=True):
        blog.delete_post(actor=editor, post=post)
    data = _only("post.deleted").payload["data"]
    assert (data["id"], data["title"]) == (pk, "Gone soon")


def test_a_new_comment_sends_comment_created_without_private_data(
    hook, django_capture_on_commit_callbacks
):
    post = PostFactory.create(comments_open=True)
    reader = make_verified(UserFactory.create(email="secret-reader@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        comment = create_comment(actor=reader, post=post, body="Lovely *post*")
    delivery = _only("comment.created")
    data = delivery.payload["data"]
    assert data["id"] == comment.pk
    assert data["post"]["id"] == post.pk
    assert data["author"]["username"] == reader.username
    assert data["status"] == comment.status
    assert "secret-reader@example.com" not in str(delivery.payload)


def test_a_held_comment_is_announced_without_its_text(hook, django_capture_on_commit_callbacks):
    comment = CommentFactory.create(status=Comment.Status.HELD, body="spammy words")
    from apps.webhooks.emitters import comment_event

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        comment_event("comment.created", comment)
    data = _only("comment.created").payload["data"]
    assert data["status"] == "held"
    assert data["body"] is None


def test_approving_and_deleting_a_comment(hook, make_user, django_capture_on_commit_callbacks):
    moderator = make_user(Role.EDITOR)
    comment = CommentFactory.create(status=Comment.Status.HELD, body="Fine words")
    with django_capture_on_commit_callbacks(execute=True):
        approve_comment(actor=moderator, comment=comment)
    data = _only("comment.approved").payload["data"]
    assert (data["id"], data["status"], data["body"]) == (comment.pk, "published", "Fine words")
    comment.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        delete_comment(actor=moderator, comment=comment, second_factor=True)
    assert _only("comment.deleted").payload["data"]["id"] == comment.pk


def test_a_confirmed_sign_up_sends_subscriber_created_without_the_address(
    hook, django_capture_on_commit_callbacks
):
    letter = NewsletterFactory.create(slug="hooked", name="Hooked")
    with django_capture_on_commit_callbacks(execute=True):
        signup = subscribers.subscribe(
            email="fan@example.com", newsletters=[letter], source=Source.PAGE
        )
    assert not Delivery.objects.exists()  # pending: not a subscriber until confirmed
    assert signup.subscriber is not None
    with django_capture_on_commit_callbacks(execute=True):
        subscribers.confirm(token=confirm_token(signup.subscriber))
    body = _only("subscriber.created").payload
    assert body["data"]["id"] == signup.subscriber.pk
    assert body["data"]["newsletters"] == [{"slug": "hooked", "name": "Hooked"}]
    assert "fan@example.com" not in str(body)
    with django_capture_on_commit_callbacks(execute=True):
        subscribers.unsubscribe(subscriber=signup.subscriber, source=Source.PAGE)
    assert _only("subscriber.unsubscribed").payload["data"]["newsletters"][0]["slug"] == "hooked"


def test_only_subscribed_enabled_endpoints_get_the_event(
    receiver, make_endpoint, editor, django_capture_on_commit_callbacks
):
    wants = make_endpoint(receiver.url("/ok"), events=["post.published"])
    make_endpoint(receiver.url("/ok"), events=["comment.created"])
    make_endpoint(receiver.url("/ok"), enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        blog.publish_post(actor=editor, post=_draft())
    assert [d.endpoint for d in Delivery.objects.all()] == [wants]


def test_without_endpoints_an_event_costs_one_query_and_no_callback(
    db, editor, django_capture_on_commit_callbacks
):
    from apps.webhooks.emitters import post_event

    post = PostFactory.create()
    with django_capture_on_commit_callbacks() as callbacks, count_queries() as ctx:
        post_event("post.updated", post)
    assert len(ctx) == 1
    assert callbacks == []


def test_publish_query_count_does_not_grow_with_endpoints(
    receiver, make_endpoint, editor, settings, django_capture_on_commit_callbacks
):
    # Deliveries are queued, not sent, so only the publish and the fan-out are counted.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

    def publish_with(endpoints):
        Endpoint.objects.all().delete()
        for _ in range(endpoints):
            make_endpoint(receiver.url("/ok"))
        post = _draft()
        with count_queries() as ctx, django_capture_on_commit_callbacks(execute=True):
            blog.publish_post(actor=editor, post=post)
        assert Delivery.objects.filter(payload__data__id=post.pk).count() == endpoints
        return len(ctx)

    publish_with(1)  # warms the per-user permission caches
    assert publish_with(1) == publish_with(10)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_nothing_is_sent_when_the_transaction_rolls_back(receiver, make_user):
    editor = make_user(Role.EDITOR)
    Endpoint.objects.create(
        url=receiver.url("/ok"), events=["all"], secret="whsec_MTIzNDU2Nzg5MA=="
    )
    post = _draft()

    class RolledBackError(Exception):
        pass

    def publish_then_fail():
        with transaction.atomic():
            blog.publish_post(actor=editor, post=post)
            raise RolledBackError

    with pytest.raises(RolledBackError):
        publish_then_fail()
    assert not Delivery.objects.exists()
    assert receiver.requests == []
    blog.publish_post(actor=editor, post=Post.objects.get(pk=post.pk))
    assert Delivery.objects.get().status == Delivery.Status.SUCCEEDED
    assert len(receiver.requests) == 1


def test_changing_preferences_sends_created_and_unsubscribed(
    hook, django_capture_on_commit_callbacks
):
    stays = NewsletterFactory.create(slug="stays", name="Stays")
    goes = NewsletterFactory.create(slug="goes", name="Goes")
    pending = NewsletterFactory.create(slug="pending", name="Pending")
    signup = subscribers.subscribe(email="pref@example.com", newsletters=[goes], source=Source.PAGE)
    assert signup.subscriber is not None
    subscribers.confirm(token=confirm_token(signup.subscriber))
    subscribers.subscribe(email="pref@example.com", newsletters=[pending], source=Source.PAGE)
    Delivery.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        subscribers.update_preferences(subscriber=signup.subscriber, newsletters=[stays])
    created = _only("subscriber.created").payload["data"]["newsletters"]
    left = _only("subscriber.unsubscribed").payload["data"]["newsletters"]
    assert [n["slug"] for n in created] == ["stays"]
    assert [n["slug"] for n in left] == ["goes"]  # not the never-confirmed "pending"
