from __future__ import annotations

import pytest

from apps.accounts.models import AuditEvent, User
from apps.blog.models import Category, Post, Tag
from apps.comments.models import Comment
from apps.transfer.models import ImportRun, LegacyRedirect, SourceRecord

pytestmark = pytest.mark.django_db

P = Post.Status


def _counts(run: ImportRun) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = run.report["counts"]
    return counts


def _messages(run: ImportRun) -> list[str]:
    return [w["message"] for w in run.report["warnings"]]


def test_import_wxr_creates_posts_pages_and_terms(run_wxr, blog_wxr, admin):
    run = run_wxr(blog_wxr)
    assert run.status == ImportRun.Status.DONE, run.report
    hello = Post.objects.get(slug="hello-world")
    assert hello.status == P.PUBLISHED
    assert hello.published_at is not None
    assert hello.published_at.isoformat() == "2024-01-01T09:00:00+00:00"
    assert hello.featured is True  # sticky
    assert hello.excerpt == "The first post"
    assert "Welcome to **my** blog.\n\nSecond paragraph." in hello.body
    assert "<strong>my</strong>" in hello.body_html
    assert hello.category == Category.objects.get(slug="news")
    assert set(hello.tags.values_list("slug", flat=True)) == {"intro", "life"}
    assert hello.author == admin  # matched by email
    assert hello.revisions.count() == 1
    assert Post.objects.get(slug="about").status == P.PUBLISHED  # the page
    scheduled = Post.objects.get(slug="coming-soon")
    assert scheduled.status == P.SCHEDULED
    assert scheduled.published_at is not None
    assert scheduled.published_at.year == 2035
    assert Post.objects.get(slug="wip").status == P.DRAFT
    assert Post.objects.get(slug="secret").status == P.DRAFT  # private
    counts = _counts(run)
    assert counts["posts"] == {"created": 4}
    assert counts["pages"] == {"created": 1}
    assert counts["authors"] == {"matched": 1, "created": 1}
    assert Tag.objects.filter(slug="life").exists()  # used by an item, not in the header


def test_import_wxr_creates_new_authors_inactive_without_password(run_wxr, blog_wxr):
    run_wxr(blog_wxr)
    jane = User.objects.get(email="jane@old.example.com")
    assert jane.is_active is False
    assert not jane.has_usable_password()
    assert jane.groups.filter(name="author").exists()
    assert jane.display_name == "Jane Writer"
    assert Post.objects.get(slug="secret").author == jane


def test_import_wxr_reports_decisions(run_wxr, blog_wxr):
    run = run_wxr(blog_wxr)
    messages = _messages(run)
    assert "private on the old site: imported as a draft" in messages
    assert "a page: imported as a post (Inkwell has no separate pages)" in messages
    assert any("unknown author “nobody-here”" in m for m in messages)
    assert any("was in the trash: skipped" in m for m in messages)
    assert any(m.startswith("pingback") for m in messages)


def test_import_wxr_threads_comments_and_keeps_guests(run_wxr, blog_wxr, admin):
    run_wxr(blog_wxr)
    post = Post.objects.get(slug="hello-world")
    comments = {c.body: c for c in Comment.objects.filter(post=post)}
    assert len(comments) == 6  # trash and pingback skipped
    first = comments["Nice *post*!"]
    assert first.author is None
    assert first.guest_name == "Ann Guest"
    assert first.guest_email == "ann@guest.example"
    assert first.status == Comment.Status.PUBLISHED
    assert first.depth == 0
    reply = comments["Thanks Ann"]
    assert reply.author == admin
    assert reply.parent == first
    assert reply.depth == 1
    third = comments["You are welcome"]
    assert third.depth == 2
    assert third.root == first
    assert third.thread_parent == reply
    deepest = comments["Deeper still"]
    assert deepest.depth == 2
    assert deepest.parent == third
    assert deepest.thread_parent == reply
    assert comments["Wait for me"].status == Comment.Status.HELD
    assert comments["Buy now"].status == Comment.Status.SPAM
    assert first.created_at.isoformat() == "2024-01-02T10:00:00+00:00"


def test_import_wxr_old_permalinks_redirect(run_wxr, blog_wxr, client):
    run_wxr(blog_wxr)
    assert LegacyRedirect.objects.filter(old_path="/2024/01/hello-world").exists()
    response = client.get("/2024/01/hello-world/")
    assert response.status_code == 301
    assert response["Location"] == "/posts/hello-world/"
    response = client.get("/?p=10")
    assert response.status_code == 301
    assert response["Location"] == "/posts/hello-world/"
    assert client.get("/?page_id=11")["Location"] == "/posts/about/"
    # A draft's old address stays a 404: it would reveal an unpublished post.
    assert client.get("/2024/01/wip/").status_code == 404
    assert client.get("/?p=999").status_code == 200  # just the home page


def test_normal_pages_cost_no_redirect_query(
    run_wxr, blog_wxr, client, django_assert_max_num_queries
):
    run_wxr(blog_wxr)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/posts/hello-world/").status_code == 200
    assert not [q for q in ctx.captured_queries if "transfer_legacyredirect" in q["sql"]]
    with CaptureQueriesContext(connection) as ctx:
        client.get("/no-such-page/")
    assert len([q for q in ctx.captured_queries if "transfer_legacyredirect" in q["sql"]]) == 1


def test_import_wxr_twice_updates_instead_of_duplicating(run_wxr, blog_wxr):
    run_wxr(blog_wxr)
    before = (
        Post.objects.count(),
        Comment.objects.count(),
        User.objects.count(),
        Tag.objects.count(),
    )
    Post.objects.filter(slug="hello-world").update(title="Edited here")
    second = run_wxr(blog_wxr)
    assert second.status == ImportRun.Status.DONE
    after = (
        Post.objects.count(),
        Comment.objects.count(),
        User.objects.count(),
        Tag.objects.count(),
    )
    assert after == before
    hello = Post.objects.get(slug="hello-world")
    assert hello.title == "Hello world"
    assert hello.version == 2  # an editor's copy of version 1 cannot overwrite the update
    assert hello.revisions.count() == 2
    assert _counts(second)["posts"] == {"updated": 4}
    assert _counts(second)["comments"]["unchanged"] == 6
    assert "created" not in _counts(second)["comments"]


def test_import_wxr_dry_run_changes_nothing(run_wxr, blog_wxr):
    users = User.objects.count()
    run = run_wxr(blog_wxr, dry_run=True)
    assert run.status == ImportRun.Status.DONE
    assert _counts(run)["posts"] == {"created": 4}
    assert _counts(run)["comments"]["created"] == 6
    assert Post.objects.count() == 0
    assert Comment.objects.count() == 0
    assert User.objects.count() == users
    assert SourceRecord.objects.count() == 0
    assert LegacyRedirect.objects.count() == 0


def test_import_wxr_duplicate_slug_gets_suffix_and_warning(run_wxr, blog_wxr, admin):
    from tests.factories.blog import PostFactory

    PostFactory.create(slug="hello-world", author=admin)
    run = run_wxr(blog_wxr)
    assert Post.objects.filter(slug="hello-world-2", title="Hello world").exists()
    assert "the address “hello-world” is taken: imported as “hello-world-2”" in _messages(run)


def test_import_wxr_is_audited(run_wxr, blog_wxr, admin):
    run = run_wxr(blog_wxr)
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SITE_IMPORT_STARTED)
    assert event.actor == admin
    assert event.data["run"] == run.pk


def test_terms_with_the_same_name_but_different_slugs_become_one(run_wxr):
    from apps.transfer.samples import WxrItem
    from tests.transfer.conftest import wxr_bytes

    items = [
        WxrItem(id=1, title="A", slug="a", content="x", tags=[("news", "News")]),
        WxrItem(id=2, title="B", slug="b", content="x", tags=[("news-2", "News")]),
    ]
    run = run_wxr(wxr_bytes(items, tags=[("news", "News"), ("news-2", "News")]))
    assert run.status == ImportRun.Status.DONE, run.report
    assert Tag.objects.filter(name="News").count() == 1
    assert Post.objects.get(slug="b").tags.get().name == "News"


def test_replies_in_a_loop_are_imported_at_the_top_level(run_wxr):
    from apps.transfer.samples import WxrComment, WxrItem
    from tests.transfer.conftest import wxr_bytes

    item = WxrItem(
        id=1,
        title="A",
        slug="a",
        content="x",
        comments=[
            WxrComment(1, "A", "a@x.example", "one", parent=2),
            WxrComment(2, "B", "b@x.example", "two", parent=1),
        ],
    )
    run = run_wxr(wxr_bytes([item]))
    assert run.status == ImportRun.Status.DONE
    assert Comment.objects.filter(parent__isnull=True).count() == 2


def test_old_permalinks_redirect_with_the_page_cache_on(run_wxr, blog_wxr, client, page_cache):
    run_wxr(blog_wxr)
    for _ in range(2):
        assert client.get("/2024/01/hello-world/")["Location"] == "/posts/hello-world/"
        assert client.get("/?p=10")["Location"] == "/posts/hello-world/"
    assert client.get("/").status_code == 200
