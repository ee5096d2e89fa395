"""The moderation pages: who may use them, and the queue of held and reported comments."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.blog.models import Post
from apps.comments.models import Comment
from tests.dashboard.conftest import _act, _name, _queries, _status, _toggle
from tests.factories.comments import CommentFactory, CommentReportFactory
from tests.utils import inline_code

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
QUEUE = reverse("dashboard:moderation")
BULK = reverse("dashboard:moderation_bulk")
SETTINGS = reverse("dashboard:moderation_settings")
POSTS = reverse("dashboard:moderation_posts")
S = Comment.Status


# --------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------


@pytest.mark.parametrize("url", [QUEUE, SETTINGS, POSTS])
@pytest.mark.parametrize(
    ("role", "status"), [(None, 403), (Role.AUTHOR, 403), (Role.EDITOR, 200), (Role.ADMIN, 200)]
)
def test_moderation_pages_are_for_editors_and_admins(client, login_as, url, role, status):
    login_as(role)
    assert client.get(url).status_code == status


@pytest.mark.parametrize("url", [QUEUE, SETTINGS, POSTS])
def test_moderation_pages_send_anonymous_visitors_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response["Location"] or "login" in response["Location"]


@pytest.mark.parametrize("role", [None, Role.AUTHOR])
def test_moderation_writes_are_refused_to_readers_and_authors(client, login_as, role):
    login_as(role)
    comment = CommentFactory.create(status=S.HELD)
    post = comment.post
    assert client.post(_act(comment.pk, "approve")).status_code == 403
    assert client.post(BULK, {"action": "approve", "comments": [comment.pk]}).status_code == 403
    assert client.post(SETTINGS, {"hold": "none", "max_links": 2}).status_code == 403
    assert client.post(_toggle(post.pk), {"open": "0"}).status_code == 403
    assert _status(comment) == S.HELD
    assert Post.objects.get(pk=post.pk).comments_open


def test_navigation_shows_moderation_with_the_held_count_to_editors_only(client, login_as):
    CommentFactory.create_batch(3, status=S.HELD)
    CommentFactory.create(status=S.PUBLISHED)
    login_as(Role.EDITOR)
    html = client.get(reverse("dashboard:home")).content.decode()
    assert f'href="{QUEUE}"' in html
    assert '3<span class="sr-only"> waiting</span>' in html


def test_navigation_has_no_moderation_for_authors(client, login_as):
    login_as(Role.AUTHOR)
    html = client.get(reverse("dashboard:home")).content.decode()
    assert f'href="{QUEUE}"' not in html


# --------------------------------------------------------------------------
# The queue
# --------------------------------------------------------------------------


def test_queue_full_page_lists_held_comments_with_reason_and_actions(client, login_as):
    login_as(Role.EDITOR)
    comment = CommentFactory.create(
        status=S.HELD, held_reason="3 links", body="Look at **this** & that"
    )
    CommentFactory.create(status=S.PUBLISHED, body="Already public")
    response = client.get(QUEUE)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Moderation" in html
    assert "Look at this &amp; that" in html  # the body as text, escaped once
    assert "<strong>this</strong>" not in html
    assert "3 links" in html
    assert "Already public" not in html
    assert _name(comment) in html
    assert comment.post.title in html
    for action in ("approve", "reject", "spam", "delete"):
        assert _act(comment.pk, action) in html
    assert _act(comment.pk, "dismiss") not in html
    assert inline_code(html) == []


def test_queue_partial_is_the_results_region(client, login_as):
    login_as(Role.EDITOR)
    CommentFactory.create(status=S.SPAM, body="Buy now")
    response = client.get(f"{QUEUE}?view=spam", headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="moderation-results"')
    assert "Buy now" in html
    assert '<nav aria-label="Dashboard"' not in html


def test_reported_view_shows_reasons_and_offers_dismiss(client, login_as):
    login_as(Role.EDITOR)
    comment = CommentFactory.create(report_count=2, body="Rude words")
    CommentReportFactory.create(comment=comment, reason="Insulting")
    CommentReportFactory.create(comment=comment, reason="Off topic")
    html = client.get(f"{QUEUE}?view=reported").content.decode()
    assert "Rude words" in html
    assert "“Insulting”" in html
    assert "2 reports" in html
    assert _act(comment.pk, "dismiss") in html
    assert _act(comment.pk, "approve") not in html  # it is already published


def test_queue_filters_by_post_and_search(client, login_as):
    login_as(Role.EDITOR)
    one = CommentFactory.create(status=S.HELD, body="About apples")
    two = CommentFactory.create(status=S.HELD, body="About pears")
    html = client.get(f"{QUEUE}?post={one.post_id}", headers=HTMX).content.decode()
    assert "About apples" in html
    assert "About pears" not in html
    assert "Close comments" in html  # the post's comments control
    html = client.get(f"{QUEUE}?q=pears", headers=HTMX).content.decode()
    assert "About pears" in html
    assert "About apples" not in html
    assert two.post.title in html


def test_held_reasons_are_shown_in_the_editors_language(client, login_as):
    login_as(Role.EDITOR, language="de")
    CommentFactory.create(status=S.HELD, held_reason="3 links")
    CommentFactory.create(status=S.HELD, held_reason="Blocked word: casino")
    CommentFactory.create(status=S.HELD, held_reason="First-time commenter")
    html = client.get(QUEUE).content.decode()
    assert "3 Links" in html
    assert "Gesperrtes Wort: casino" in html
    assert "Erstkommentar" in html
    assert "First-time commenter" not in html


@pytest.mark.parametrize("view", ["held", "reported"])
def test_queue_query_count_does_not_grow_with_comments(client, login_as, view):
    login_as(Role.EDITOR)

    def add(count):
        for _ in range(count):
            if view == "held":
                CommentFactory.create(status=S.HELD, held_reason="First-time commenter")
            else:
                comment = CommentFactory.create(report_count=1)
                CommentReportFactory.create(comment=comment)

    url = f"{QUEUE}?view={view}"
    add(2)
    few = _queries(client, url)
    add(38)
    many = _queries(client, url)
    assert few == many
