"""Scheduling arms the worker: each publish or unpublish time enqueues its task to run then."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps.blog import services
from apps.blog.models import Post
from tests.blog.helpers import user_in_role
from tests.factories.blog import PostFactory

pytestmark = pytest.mark.django_db

S = Post.Status
PUBLISH_TASK = "apps.blog.services.schedule.publish_scheduled_post"
UNPUBLISH_TASK = "apps.blog.services.schedule.unpublish_scheduled_post"


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _queued(post: Post) -> dict[str, list[object]]:
    """Task path → the run times of the tasks queued for this post."""
    queued: dict[str, list[object]] = {}
    for result in DBTaskResult.objects.order_by("run_after"):
        if result.args_kwargs["args"][0] == post.pk:
            queued.setdefault(result.task_path, []).append(result.run_after)
    return queued


@pytest.mark.parametrize("unpublish_after", [timedelta(days=7), None])
def test_schedule_post_enqueues_the_publish_and_the_unpublish_task_at_their_times(
    database_tasks, django_capture_on_commit_callbacks, unpublish_after
):
    post = PostFactory.create(status=S.IN_REVIEW)
    publish_at = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    unpublish_at = publish_at + unpublish_after if unpublish_after else None
    with django_capture_on_commit_callbacks(execute=True):
        services.schedule_post(
            actor=user_in_role("editor"),
            post=post,
            publish_at=publish_at,
            unpublish_at=unpublish_at,
        )
    expected = {PUBLISH_TASK: [publish_at]}
    if unpublish_at:
        expected[UNPUBLISH_TASK] = [unpublish_at]
    assert _queued(post) == expected


def test_publish_post_enqueues_the_unpublish_task_at_its_time(
    database_tasks, django_capture_on_commit_callbacks
):
    post = PostFactory.create(status=S.IN_REVIEW)
    unpublish_at = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_post(actor=user_in_role("editor"), post=post, unpublish_at=unpublish_at)
    assert _queued(post) == {UNPUBLISH_TASK: [unpublish_at]}


def test_schedule_post_enqueues_nothing_when_the_move_is_refused(
    database_tasks, django_capture_on_commit_callbacks
):
    post = PostFactory.create(status=S.PUBLISHED, published_at=timezone.now())
    publish_at = timezone.now() + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.schedule_post(
            actor=user_in_role("editor"),
            post=post,
            publish_at=publish_at,
            unpublish_at=publish_at + timedelta(days=1),
        )
    assert _queued(post) == {}


def test_tasks_queued_under_the_old_module_path_still_resolve():
    from django.utils.module_loading import import_string

    from apps.blog.services import schedule

    assert (
        import_string("apps.blog.tasks.publish_scheduled_post") is schedule.publish_scheduled_post
    )
    assert (
        import_string("apps.blog.tasks.unpublish_scheduled_post")
        is schedule.unpublish_scheduled_post
    )
