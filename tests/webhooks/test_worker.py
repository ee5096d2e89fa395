"""The worker path on the real stack: PostgreSQL, the database task backend, db_worker."""

import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from apps.accounts.roles import Role
from apps.blog import services as blog
from apps.blog.models import Post
from apps.webhooks import services
from apps.webhooks.models import Delivery
from tests.factories.blog import PostFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_the_worker_sends_a_published_post_and_schedules_retries(
    database_tasks, receiver, make_endpoint, make_user, settings
):
    settings.WEBHOOKS_RETRY_SCHEDULE = [1, 300]
    ok = make_endpoint(receiver.url("/ok"))
    failing = make_endpoint(receiver.url("/fail"))
    editor = make_user(Role.EDITOR)
    post = PostFactory.create(status=Post.Status.DRAFT, published_at=None)
    blog.publish_post(actor=editor, post=post)  # commits: the deliveries are queued
    assert Delivery.objects.filter(status=Delivery.Status.PENDING).count() == 2
    assert receiver.requests == []
    call_command("db_worker", "--batch", verbosity=0)
    good = Delivery.objects.get(endpoint=ok)
    bad = Delivery.objects.get(endpoint=failing)
    assert good.status == Delivery.Status.SUCCEEDED
    assert bad.status == Delivery.Status.FAILED
    signed = next(r for r in receiver.requests if r.path == "/ok")
    assert Webhook(ok.secret).verify(signed.body, signed.headers)["data"]["id"] == post.pk
    # The retry is a task for later: not run before its time, run after it.
    call_command("db_worker", "--batch", verbosity=0)
    bad.refresh_from_db()
    assert bad.attempt_count == 1
    time.sleep(1.2)
    call_command("db_worker", "--batch", verbosity=0)
    bad.refresh_from_db()
    assert bad.attempt_count == 2
    assert bad.status == Delivery.Status.FAILED
    assert bad.next_attempt_at is not None
    assert bad.next_attempt_at > timezone.now() + timedelta(seconds=200)


def test_two_senders_at_once_make_one_attempt(receiver, make_endpoint, settings):
    settings.WEBHOOKS_READ_TIMEOUT = 3.0
    endpoint = make_endpoint(receiver.url("/hang"))
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event_type="post.published",
        message_id="msg_race",
        payload={"type": "post.published", "data": {}},
        next_attempt_at=timezone.now(),
    )
    results = []

    def send():
        try:
            results.append(services.attempt_delivery(delivery.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(results, key=str) == [None, "succeeded"]
    assert len(receiver.requests) == 1
