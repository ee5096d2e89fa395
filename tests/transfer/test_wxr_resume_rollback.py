from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.accounts.models import AuditEvent, User
from apps.blog.models import Category, Post, Tag
from apps.comments.models import Comment
from apps.transfer import importer, services
from apps.transfer.models import ImportRun, LegacyRedirect, SourceRecord
from tests.factories.blog import PostFactory

pytestmark = pytest.mark.django_db


class CrashError(Exception):
    pass


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)


def _crash_on_batch(monkeypatch, number: int):
    real = importer.Importer._write_items
    calls = {"n": 0}

    def write(self, items, images):
        calls["n"] += 1
        if calls["n"] == number:
            raise CrashError("worker died")
        return real(self, items, images)

    monkeypatch.setattr(importer.Importer, "_write_items", write)
    return lambda: monkeypatch.setattr(importer.Importer, "_write_items", real)


def test_crashed_run_keeps_committed_batches_and_resumes_after_them(
    run_wxr, blog_wxr, admin, small_batches, monkeypatch
):
    heal = _crash_on_batch(monkeypatch, 2)
    run = run_wxr(blog_wxr)
    assert run.status == ImportRun.Status.FAILED
    assert "unexpected error (CrashError: worker died)" in run.report["errors"][0]
    run.refresh_from_db()
    assert run.checkpoint == 2  # the first batch (two items) is committed
    assert Post.objects.count() == 2
    heal()
    services.resume_import(actor=admin, run=run, enqueue=False)
    run = services.run_import(run.pk)
    assert run.status == ImportRun.Status.DONE
    assert run.checkpoint == 5
    assert Post.objects.count() == 5
    assert Comment.objects.count() == 6
    assert sorted(Post.objects.values_list("slug", flat=True)) == [
        "about",
        "coming-soon",
        "hello-world",
        "secret",
        "wip",
    ]
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SITE_IMPORT_RESUMED).count() == 1


def test_stalled_run_is_taken_over_only_once_stale(run_wxr, blog_wxr, admin, settings):
    run = run_wxr(blog_wxr)
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.RUNNING, heartbeat_at=timezone.now()
    )
    run.refresh_from_db()
    assert services.run_import(run.pk).status == ImportRun.Status.RUNNING  # left alone
    with pytest.raises(ValidationError):
        services.resume_import(actor=admin, run=run, enqueue=False)
    ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    run.refresh_from_db()
    assert services.is_stalled(run)
    services.resume_import(actor=admin, run=run, enqueue=False)
    assert services.run_import(run.pk).status == ImportRun.Status.DONE
    assert Post.objects.count() == 5  # nothing duplicated


def test_rollback_deletes_what_the_run_created(run_wxr, blog_wxr, admin):
    keep = PostFactory.create(author=admin, title="Mine")
    users_before = set(User.objects.values_list("pk", flat=True))
    run = run_wxr(blog_wxr)
    services.rollback_import(actor=admin, run=run)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.ROLLED_BACK
    assert list(Post.objects.all()) == [keep]
    assert Comment.objects.count() == 0
    assert set(User.objects.values_list("pk", flat=True)) == users_before  # Jane gone, admin kept
    assert not Tag.objects.exists()
    assert not Category.objects.filter(slug="news").exists()
    assert LegacyRedirect.objects.count() == 0
    assert SourceRecord.objects.count() == 0
    assert run.report["rollback"]["deleted"]["posts"] == 5
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SITE_IMPORT_ROLLED_BACK).exists()
    # And the site can be imported again afresh.
    assert run_wxr(blog_wxr).report["counts"]["posts"] == {"created": 4}


def test_rollback_keeps_terms_and_authors_still_in_use(run_wxr, blog_wxr, admin):
    run = run_wxr(blog_wxr)
    jane = User.objects.get(email="jane@old.example.com")
    PostFactory.create(author=jane, category=Category.objects.get(slug="news"))
    services.rollback_import(actor=admin, run=run)
    assert User.objects.filter(pk=jane.pk).exists()
    assert Category.objects.filter(slug="news").exists()
    run.refresh_from_db()
    assert run.report["rollback"]["kept"] == {"category": 1, "tag": 0, "authors": 1}


def test_rollback_of_a_second_run_keeps_the_updated_posts(run_wxr, blog_wxr, admin):
    run_wxr(blog_wxr)
    second = run_wxr(blog_wxr)
    services.rollback_import(actor=admin, run=second)
    assert Post.objects.count() == 5  # the second run created nothing; it updated


def test_rollback_refused_for_dry_runs_and_running_runs(run_wxr, blog_wxr, admin):
    dry = run_wxr(blog_wxr, dry_run=True)
    with pytest.raises(ValidationError):
        services.rollback_import(actor=admin, run=dry)
    running = ImportRun.objects.create(
        source="wxr",
        file_path="x",
        created_by=admin,
        status=ImportRun.Status.RUNNING,
        heartbeat_at=timezone.now(),
    )
    with pytest.raises(ValidationError):
        services.rollback_import(actor=admin, run=running)


def test_queries_per_batch_do_not_grow_with_batch_size(run_wxr, admin, monkeypatch):
    from apps.transfer.samples import WxrComment, WxrItem
    from tests.transfer.conftest import wxr_bytes

    def items(n):
        return [
            WxrItem(
                id=i,
                title=f"Post {i}",
                slug=f"post-{i}",
                content="Body",
                tags=[("t", "T")],
                categories=[("c", "C")],
                comments=[
                    WxrComment(i * 10, "G", "g@x.example", "Hi"),
                    WxrComment(i * 10 + 1, "H", "h@x.example", "Re", parent=i * 10),
                ],
            )
            for i in range(1, n + 1)
        ]

    monkeypatch.setattr(importer, "BATCH_SIZE", 1000)
    small = run_wxr(wxr_bytes(items(2)), dry_run=True).report["queries_per_batch"]
    # 30: SQLite splits one INSERT at 999 parameters, and 40 posts of 29 columns each is more.
    large = run_wxr(wxr_bytes(items(30)), dry_run=True).report["queries_per_batch"]
    assert small == large


def test_rollback_deletes_the_uploaded_file(
    run_wxr, blog_wxr, admin, settings, django_capture_on_commit_callbacks
):
    run = run_wxr(blog_wxr)
    stored = settings.TRANSFER_DIR / run.file_path
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.rollback_import(actor=admin, run=run)
    assert not stored.exists()
