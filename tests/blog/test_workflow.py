"""The editorial workflow: every move for every role, scheduling and the publish_due safety net."""

import time
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from apps.accounts.models import User
from apps.blog import services
from apps.blog.models import Post
from tests.blog.helpers import user_in_role
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory

pytestmark = pytest.mark.django_db

S = Post.Status


def _post(status: str, author: User | None = None) -> Post:
    when = timezone.now() - timedelta(hours=1) if status == S.PUBLISHED else None
    if status == S.SCHEDULED:
        when = timezone.now() + timedelta(days=1)
    return PostFactory.create(
        status=status, published_at=when, author=author or UserFactory.create()
    )


FUTURE = timedelta(days=2)


def _do(move: str, actor: User, post: Post) -> Post:
    if move == "submit":
        return services.submit_post(actor=actor, post=post)
    if move == "send_back":
        return services.send_back_post(actor=actor, post=post, note="Tighten the intro.")
    if move == "schedule":
        return services.schedule_post(actor=actor, post=post, publish_at=timezone.now() + FUTURE)
    if move == "unschedule":
        return services.unschedule_post(actor=actor, post=post)
    if move == "publish":
        return services.publish_post(actor=actor, post=post)
    if move == "archive":
        return services.archive_post(actor=actor, post=post)
    raise AssertionError(move)


# (move, starting status, role, own post?) → resulting status, or the exception raised.
ROLES = ["reader", "author", "editor", "admin"]
EXPECTED_TARGET = {
    "submit": S.IN_REVIEW,
    "send_back": S.DRAFT,
    "schedule": S.SCHEDULED,
    "unschedule": S.DRAFT,
    "publish": S.PUBLISHED,
    "archive": S.ARCHIVED,
}
LEGAL_SOURCES = {name: move.sources for name, move in services.MOVES.items()}


def _allowed_role(move: str, role: str, own: bool) -> bool:
    if role in {"editor", "admin"}:
        return True
    return move == "submit" and role == "author" and own


@pytest.mark.parametrize("move", list(EXPECTED_TARGET))
@pytest.mark.parametrize("status", [S.DRAFT, S.IN_REVIEW, S.SCHEDULED, S.PUBLISHED, S.ARCHIVED])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("own", [True, False])
def test_every_move_for_every_role_and_status(move, status, role, own):
    actor = user_in_role(role)
    post = _post(status, author=actor if own else None)
    if not _allowed_role(move, role, own):
        with pytest.raises(PermissionDenied):
            _do(move, actor, post)
        post.refresh_from_db()
        assert post.status == status
    elif status not in LEGAL_SOURCES[move]:
        with pytest.raises(ValidationError, match="cannot be moved that way"):
            _do(move, actor, post)
        post.refresh_from_db()
        assert post.status == status
    else:
        assert _do(move, actor, post).status == EXPECTED_TARGET[move]
        post.refresh_from_db()
        assert post.status == EXPECTED_TARGET[move]


def test_send_back_requires_a_note_and_shows_it_to_the_author():
    editor = user_in_role("editor")
    post = _post(S.IN_REVIEW)
    with pytest.raises(ValidationError, match="what to change"):
        services.send_back_post(actor=editor, post=post, note="  ")
    services.send_back_post(actor=editor, post=post, note="Cite the benchmark.")
    post.refresh_from_db()
    assert post.status == S.DRAFT
    assert post.review_note == "Cite the benchmark."


def test_schedule_refuses_times_in_the_past_or_naive():
    editor = user_in_role("editor")
    post = _post(S.IN_REVIEW)
    with pytest.raises(ValidationError, match="future"):
        services.schedule_post(
            actor=editor, post=post, publish_at=timezone.now() - timedelta(minutes=1)
        )
    with pytest.raises(ValidationError, match="time zone"):
        services.schedule_post(
            actor=editor, post=post, publish_at=timezone.now().replace(tzinfo=None)
        )
    post.refresh_from_db()
    assert post.status == S.IN_REVIEW


def test_publish_due_publishes_overdue_posts_and_archives_expired_ones():
    overdue = _post(S.SCHEDULED)
    Post.objects.filter(pk=overdue.pk).update(published_at=timezone.now() - timedelta(seconds=5))
    later = _post(S.SCHEDULED)
    expired = _post(S.PUBLISHED)
    Post.objects.filter(pk=expired.pk).update(unpublish_at=timezone.now() - timedelta(seconds=1))
    call_command("publish_due")
    overdue.refresh_from_db()
    later.refresh_from_db()
    expired.refresh_from_db()
    assert overdue.status == S.PUBLISHED
    assert later.status == S.SCHEDULED
    assert expired.status == S.ARCHIVED


def test_publish_if_due_ignores_a_stale_schedule():
    editor = user_in_role("editor")
    post = _post(S.DRAFT)
    first = timezone.now() + timedelta(hours=1)
    services.schedule_post(actor=editor, post=post, publish_at=first)
    services.schedule_post(actor=editor, post=post, publish_at=first + timedelta(hours=1))
    Post.objects.filter(pk=post.pk).update(published_at=first - timedelta(hours=2))
    # The task for the first schedule finds a different time and does nothing.
    assert not services.publish_if_due(post_id=post.pk, expected_publish_at=first)
    post.refresh_from_db()
    assert post.status == S.SCHEDULED


def test_published_posts_keep_their_date_when_restored_from_the_archive():
    editor = user_in_role("editor")
    post = _post(S.PUBLISHED)
    original = post.published_at
    services.archive_post(actor=editor, post=post)
    restored = services.publish_post(actor=editor, post=post)
    assert restored.published_at == original


def test_bulk_apply_reports_successes_and_reasons_for_failures():
    author = user_in_role("author")
    own = _post(S.DRAFT, author=author)
    other = _post(S.DRAFT)
    published = _post(S.PUBLISHED, author=author)
    result = services.bulk_apply(
        posts=[own, other, published], action=lambda p: services.submit_post(actor=author, post=p)
    )
    assert result.succeeded == 1
    reasons = {post.pk: reason for post, reason in result.failed}
    assert "may not" in reasons[other.pk]
    assert "cannot be moved" in reasons[published.pk]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.slow
def test_a_worker_publishes_a_scheduled_post_at_its_time_and_never_at_a_stale_one(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    editor = user_in_role("editor")
    post = _post(S.IN_REVIEW)
    stale = _post(S.IN_REVIEW)
    services.schedule_post(
        actor=editor, post=post, publish_at=timezone.now() + timedelta(seconds=2)
    )
    services.schedule_post(
        actor=editor, post=stale, publish_at=timezone.now() + timedelta(seconds=2)
    )
    services.schedule_post(actor=editor, post=stale, publish_at=timezone.now() + timedelta(hours=1))
    call_command("db_worker", "--batch", verbosity=0)
    post.refresh_from_db()
    assert post.status == S.SCHEDULED  # not before its time
    time.sleep(2.5)
    call_command("db_worker", "--batch", verbosity=0)
    post.refresh_from_db()
    stale.refresh_from_db()
    assert post.status == S.PUBLISHED
    assert stale.status == S.SCHEDULED  # the rescheduled post ignored its old task
