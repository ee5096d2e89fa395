"""Ghost imports, from exports built here the way Ghost 5 writes them (Settings → Labs → Export)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from apps.accounts.models import User
from apps.blog.models import Post, Tag
from apps.comments.models import Comment
from apps.newsletter.models import Subscriber, Subscription
from apps.transfer import services
from apps.transfer.models import ImportRun
from tests.factories.newsletter import NewsletterFactory

pytestmark = pytest.mark.django_db


def ghost_export(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "posts": [
            {
                "id": "p1",
                "uuid": "u1",
                "title": "Hello Ghost",
                "slug": "hello-ghost",
                "html": '<p>Read <a href="__GHOST_URL__/other-post/">the other</a>.</p>'
                '<figure class="kg-card kg-image-card"><img src="__GHOST_URL__/content/images/a.png" alt="A"></figure>',
                "feature_image": None,
                "featured": 1,
                "type": "post",
                "status": "published",
                "visibility": "public",
                "created_at": "2023-03-01T10:00:00.000Z",
                "updated_at": "2023-03-02T10:00:00.000Z",
                "published_at": "2023-03-01T12:00:00.000Z",
                "custom_excerpt": "An intro",
                "mobiledoc": None,
                "lexical": "{}",
            },
            {
                "id": "p2",
                "uuid": "u2",
                "title": "Colophon",
                "slug": "colophon",
                "html": "<p>Made with care.</p>",
                "feature_image": None,
                "featured": 0,
                "type": "page",
                "status": "published",
                "published_at": "2023-01-01T00:00:00.000Z",
            },
            {
                "id": "p3",
                "uuid": "u3",
                "title": "Next week",
                "slug": "next-week",
                "html": "<p>Soon.</p>",
                "type": "post",
                "status": "scheduled",
                "published_at": "2036-01-01T00:00:00.000Z",
            },
            {
                "id": "p4",
                "uuid": "u4",
                "title": "Idea",
                "slug": "idea",
                "html": "<p>…</p>",
                "type": "post",
                "status": "draft",
                "published_at": None,
            },
        ],
        "posts_meta": [
            {
                "id": "m1",
                "post_id": "p1",
                "meta_title": "Hello, SEO",
                "meta_description": "Meta desc",
                "og_title": "OG",
                "og_description": "OG desc",
                "feature_image_alt": "Alt",
            },
        ],
        "tags": [
            {"id": "t1", "name": "Essays", "slug": "essays", "description": "Long reads"},
            {"id": "t2", "name": "#hidden", "slug": "hash-hidden"},
        ],
        "posts_tags": [
            {"id": "pt1", "post_id": "p1", "tag_id": "t1", "sort_order": 0},
            {"id": "pt2", "post_id": "p1", "tag_id": "t2", "sort_order": 1},
        ],
        "users": [
            {"id": "1", "name": "Gina Ghost", "slug": "gina", "email": "gina@ghost.example"},
            {"id": "2", "name": "Co Writer", "slug": "co", "email": "co@ghost.example"},
        ],
        "posts_authors": [
            {"id": "pa1", "post_id": "p1", "author_id": "1", "sort_order": 0},
            {"id": "pa2", "post_id": "p1", "author_id": "2", "sort_order": 1},
            {"id": "pa3", "post_id": "p2", "author_id": "1", "sort_order": 0},
            {"id": "pa4", "post_id": "p3", "author_id": "1", "sort_order": 0},
            {"id": "pa5", "post_id": "p4", "author_id": "1", "sort_order": 0},
        ],
        "members": [{"id": "mem1", "email": "reader@ghost.example", "name": "Rita Reader"}],
        "comments": [
            {
                "id": "c1",
                "post_id": "p1",
                "member_id": "mem1",
                "parent_id": None,
                "status": "published",
                "html": "<p>Lovely</p>",
                "created_at": "2023-03-03T10:00:00.000Z",
            },
            {
                "id": "c2",
                "post_id": "p1",
                "member_id": "mem1",
                "parent_id": "c1",
                "status": "hidden",
                "html": "<p>Me again</p>",
                "created_at": "2023-03-03T11:00:00.000Z",
            },
            {
                "id": "c3",
                "post_id": "p1",
                "member_id": "mem1",
                "parent_id": None,
                "status": "deleted",
                "html": "<p>Oops</p>",
                "created_at": "2023-03-03T12:00:00.000Z",
            },
        ],
        "settings": [{"id": "s1", "key": "title", "value": "Ghost blog"}],
    }
    data.update(overrides)
    return {"db": [{"meta": {"exported_on": 1700000000000, "version": "5.75.0"}, "data": data}]}


MEMBERS_CSV = (
    "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,labels,tiers\n"
    "m1,rita@ghost.example,Rita,,true,,,2022-05-01T10:00:00.000Z,,VIP,\n"
    "m2,quiet@ghost.example,Quiet,,false,,,2022-05-02T10:00:00.000Z,,,\n"
    "m3,Sam@Ghost.example,Sam,,true,,,2022-05-03T10:00:00.000Z,,,\n"
)


def _run(admin, export: Any, *, members: str | None = None, dry_run: bool = False) -> ImportRun:
    raw = export if isinstance(export, bytes) else json.dumps(export).encode()
    run = services.start_import(
        actor=admin,
        source="ghost",
        file=io.BytesIO(raw),
        file_name="ghost.json",
        dry_run=dry_run,
        members=io.BytesIO(members.encode()) if members else None,
        enqueue=False,
    )
    return services.run_import(run.pk)


def test_ghost_import_posts_pages_tags_authors_and_seo(admin):
    run = _run(admin, ghost_export())
    assert run.status == ImportRun.Status.DONE, run.report
    post = Post.objects.get(slug="hello-ghost")
    assert post.status == Post.Status.PUBLISHED
    assert post.featured
    assert post.published_at is not None
    assert post.published_at.isoformat() == "2023-03-01T12:00:00+00:00"
    assert post.excerpt == "An intro"
    assert post.seo_title == "Hello, SEO"
    assert post.seo_description == "Meta desc"
    assert "[the other](/other-post/)" in post.body  # __GHOST_URL__ → the site's root
    assert "__GHOST_URL__" not in post.body
    assert list(post.tags.values_list("slug", flat=True)) == ["essays"]  # internal tag left out
    assert not Tag.objects.filter(name="#hidden").exists()
    assert post.author.email == "gina@ghost.example"
    assert not post.author.is_active
    assert [u.email for u in post.coauthors.all()] == ["co@ghost.example"]
    assert Post.objects.get(slug="colophon").status == Post.Status.PUBLISHED
    assert Post.objects.get(slug="next-week").status == Post.Status.SCHEDULED
    assert Post.objects.get(slug="idea").status == Post.Status.DRAFT
    assert run.report["counts"]["posts"] == {"created": 3}
    assert run.report["counts"]["pages"] == {"created": 1}


def test_ghost_comments_are_threaded_guests(admin):
    _run(admin, ghost_export())
    first, reply = Comment.objects.order_by("created_at")
    assert first.guest_name == "Rita Reader"
    assert first.author is None
    assert first.status == Comment.Status.PUBLISHED
    assert reply.parent == first
    assert reply.status == Comment.Status.HELD
    assert Comment.objects.count() == 2  # the deleted one is skipped


def test_ghost_old_addresses_redirect(admin, client):
    _run(admin, ghost_export())
    response = client.get("/hello-ghost/")
    assert response.status_code == 301
    assert response["Location"] == "/posts/hello-ghost/"


def test_ghost_import_twice_updates(admin):
    _run(admin, ghost_export())
    counts = (Post.objects.count(), Comment.objects.count(), User.objects.count())
    second = _run(admin, ghost_export())
    assert (Post.objects.count(), Comment.objects.count(), User.objects.count()) == counts
    assert second.report["counts"]["posts"] == {"updated": 3}


def test_ghost_members_become_subscribers_with_consent(admin):
    NewsletterFactory.create(slug="weekly", name="Weekly", is_default=True)
    run = _run(admin, ghost_export(), members=MEMBERS_CSV)
    assert run.status == ImportRun.Status.DONE, run.report
    assert set(Subscriber.objects.values_list("email", flat=True)) == {
        "rita@ghost.example",
        "sam@ghost.example",
    }
    assert Subscription.objects.filter(status="active").count() == 2
    members = run.report["counts"]["members"]
    assert members["subscribers created"] == 2
    assert members["not subscribed to emails (left out)"] == 1


def test_ghost_dry_run_changes_nothing(admin):
    NewsletterFactory.create(slug="weekly", name="Weekly", is_default=True)
    run = _run(admin, ghost_export(), members=MEMBERS_CSV, dry_run=True)
    assert run.report["counts"]["posts"] == {"created": 3}
    assert Post.objects.count() == 0
    assert Subscriber.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"db": []}', "not a Ghost export"),
        (b"[" * 100_000 + b"]" * 100_000, "not"),
    ],
)
def test_ghost_bad_files_are_reported(admin, raw, message):
    if raw.startswith(b"["):
        raw = b'{"a":' + raw + b"}"
    run = _run(admin, raw)
    assert run.status == ImportRun.Status.FAILED
    assert message in run.report["errors"][0]
    assert Post.objects.count() == 0


def test_ghost_file_over_the_cap_is_refused(admin, settings):
    settings.TRANSFER_GHOST_MAX_BYTES = 100
    run = _run(admin, ghost_export())
    assert run.status == ImportRun.Status.FAILED
    assert "TRANSFER_GHOST_MAX_BYTES" in run.report["errors"][0]
