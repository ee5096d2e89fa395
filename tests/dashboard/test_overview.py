import re

import pytest
from django.urls import reverse

from apps.accounts.audit import record_event
from apps.accounts.models import AuditEvent
from apps.accounts.roles import Role
from apps.blog.models import Post
from apps.blog.selectors import post_counts_by_status
from tests.factories.blog import PostFactory
from tests.utils import count_queries

pytestmark = pytest.mark.django_db

DRAFT = {"status": Post.Status.DRAFT, "published_at": None}


def test_post_counts_by_status_lists_every_status_for_one_author_or_the_site(make_user):
    ana, ben = make_user(Role.AUTHOR), make_user(Role.AUTHOR)
    PostFactory.create_batch(2, author=ana, **DRAFT)
    PostFactory.create(author=ana)
    PostFactory.create(author=ben, status=Post.Status.IN_REVIEW, published_at=None)
    assert post_counts_by_status(author=ana) == {
        Post.Status.DRAFT: 2,
        Post.Status.IN_REVIEW: 0,
        Post.Status.SCHEDULED: 0,
        Post.Status.PUBLISHED: 1,
        Post.Status.ARCHIVED: 0,
    }
    site = post_counts_by_status()
    assert list(site) == list(Post.Status)
    assert site[Post.Status.IN_REVIEW] == 1
    assert sum(site.values()) == 4


def test_post_counts_by_status_is_one_query(make_user, django_assert_num_queries):
    author = make_user(Role.AUTHOR)
    PostFactory.create_batch(3, author=author)
    with django_assert_num_queries(1):
        post_counts_by_status(author=author)


def _counts(html: str) -> dict[str, int]:
    pairs = re.findall(r"</span>\s*([A-Za-z ]+?)\s*</dt>\s*<dd[^>]*>(\d+)</dd>", html)
    return {label: int(total) for label, total in pairs}


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_author_overview_counts_only_their_own_posts(client, login_as, make_user):
    author = login_as(Role.AUTHOR)
    PostFactory.create_batch(2, author=author, **DRAFT)
    PostFactory.create_batch(5, author=make_user(Role.AUTHOR))
    response = client.get(reverse("dashboard:home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert _counts(_section(html, "own-posts")) == {
        "Draft": 2,
        "In review": 0,
        "Scheduled": 0,
        "Published": 0,
        "Archived": 0,
    }
    assert "Across the site" not in html
    assert "Recent security events" not in html


def test_editor_overview_adds_site_wide_counts(client, login_as, make_user):
    login_as(Role.EDITOR)
    PostFactory.create_batch(
        3, author=make_user(Role.AUTHOR), status=Post.Status.IN_REVIEW, published_at=None
    )
    html = client.get(reverse("dashboard:home")).content.decode()
    assert _counts(_section(html, "site-posts"))["In review"] == 3
    assert "Recent security events" not in html


def test_admin_overview_lists_recent_security_events_but_not_routine_sign_ins(client, login_as):
    admin = login_as(Role.ADMIN)
    record_event(kind=AuditEvent.Kind.LOCKOUT, data={"login": "mallory@example.com"})
    record_event(kind=AuditEvent.Kind.LOGIN, actor=admin, target=admin)
    html = client.get(reverse("dashboard:home")).content.decode()
    events = _section(html, "security-events")
    assert "Locked out" in events
    assert "mallory@example.com" in events
    assert "Signed in" not in events
    assert reverse("dashboard:audit_log") in events


def test_overview_query_count_does_not_grow_with_posts(client, login_as):
    author = login_as(Role.ADMIN)
    client.get(reverse("dashboard:home"))  # the first request of a session also writes to it
    counts = []
    for batch in (1, 20):
        PostFactory.create_batch(batch, author=author)
        with count_queries() as ctx:
            assert client.get(reverse("dashboard:home")).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]
