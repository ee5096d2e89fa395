"""The posts table's rows: what each shows, and the one-click workflow moves."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import Role
from apps.blog.models import Post
from tests.dashboard.conftest import _post, _row
from tests.factories.blog import CategoryFactory, TagFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
POSTS = reverse("dashboard:posts")
S = Post.Status


def _move_url(post, move):
    return reverse("dashboard:post_row_move", args=[post.pk, move])


# --------------------------------------------------------------------------
# Rows: what each shows, and the one-click workflow moves
# --------------------------------------------------------------------------


def test_row_shows_status_author_category_dates_and_tags(client, login_as, make_user):
    login_as(Role.EDITOR)
    author = make_user(Role.AUTHOR, display_name="Mara Lind")
    when = timezone.now() + timedelta(days=2)
    post = _post(
        author,
        S.SCHEDULED,
        published_at=when,
        category=CategoryFactory.create(name="Field notes"),
        tags=[TagFactory.create(name="birds")],
    )
    row = _row(client.get(POSTS).content.decode(), post)
    assert "Scheduled" in row
    assert "Scheduled for" in row
    assert "Mara Lind" in row
    assert "Field notes" in row
    assert "#birds" in row
    assert f'datetime="{timezone.localtime(when).isoformat()}"' in row
    assert timezone.localtime(when).strftime("%H:%M") in row


def test_row_is_one_line_with_its_actions_in_a_menu(client, login_as):
    author = login_as(Role.AUTHOR)
    draft = _post(author, S.DRAFT)
    row = _row(client.get(POSTS).content.decode(), draft)
    menu = row[row.index("<details") : row.index("</details>")]
    assert "<summary" in menu
    assert f'Actions<span class="sr-only"> for “{draft.title}”</span>' in menu
    # Every action is inside the menu: the moves, editing and the history.
    assert _move_url(draft, "submit") in menu
    assert reverse("dashboard:post_edit", args=[draft.pk]) in menu
    assert reverse("dashboard:post_revisions", args=[draft.pk]) in menu
    assert row.count("<form") == menu.count("<form")
    # One line: the title is truncated, not wrapped, and cells do not wrap either.
    assert 'class="truncate font-semibold' in row


def test_every_page_loads_the_htmx_feedback_script(client, login_as):
    login_as(Role.AUTHOR)
    for url in (POSTS, reverse("blog:home")):
        html = client.get(url).content.decode()
        assert '<script src="/static/js/feedback.js" defer></script>' in html


def test_row_offers_only_the_moves_the_user_may_make(client, login_as, make_user):
    author = login_as(Role.AUTHOR)
    draft = _post(author, S.DRAFT)
    review = _post(author, S.IN_REVIEW)
    html = client.get(POSTS).content.decode()
    assert _move_url(draft, "submit") in _row(html, draft)
    for move in ["send_back", "schedule", "unschedule", "publish", "archive"]:
        assert _move_url(draft, move) not in _row(html, draft)
        assert _move_url(review, move) not in _row(html, review)
    assert "Publish now" not in html
    assert "Send back" not in _row(html, review)
    assert "Schedule" not in _row(html, review)
    # Bulk actions: only changing the category (the service checks each post again).
    assert '<option value="category">' in html
    assert '<option value="publish">' not in html
    assert '<option value="delete">' not in html


def test_editor_row_links_send_back_and_schedule_to_the_editor(client, login_as, make_user):
    login_as(Role.EDITOR)
    post = _post(make_user(Role.AUTHOR), S.IN_REVIEW)
    row = _row(client.get(POSTS).content.decode(), post)
    edit_url = reverse("dashboard:post_edit", kwargs={"pk": post.pk})
    assert f'<a href="{edit_url}"' in row
    assert 'Send back…<span class="sr-only"> to draft' in row
    assert "Schedule…" in row
    assert _move_url(post, "publish") in row
    assert _move_url(post, "send_back") not in row
    assert reverse("dashboard:post_revisions", args=[post.pk]) in row


def test_author_submits_a_draft_from_the_row_over_htmx(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _post(author, S.DRAFT)
    response = client.post(_move_url(post, "submit"), {"next": POSTS}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="post-{post.pk}"')
    assert "Submitted for review." in html
    assert "In review" in html
    post.refresh_from_db()
    assert post.status == S.IN_REVIEW


def test_a_refused_move_shows_the_reason_in_the_row(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _post(author, S.DRAFT)
    response = client.post(_move_url(post, "publish"), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html
    assert "You may not publish now this post." in html
    post.refresh_from_db()
    assert post.status == S.DRAFT


@pytest.mark.parametrize(
    ("start", "move", "end"),
    [
        (S.IN_REVIEW, "publish", S.PUBLISHED),
        (S.SCHEDULED, "unschedule", S.DRAFT),
        (S.PUBLISHED, "archive", S.ARCHIVED),
        (S.ARCHIVED, "publish", S.PUBLISHED),
    ],
)
def test_editor_moves_from_the_row(client, login_as, make_user, start, move, end):
    login_as(Role.EDITOR)
    post = _post(make_user(Role.AUTHOR), start)
    html = client.post(_move_url(post, move), headers=HTMX).content.decode()
    assert 'role="status"' in html
    post.refresh_from_db()
    assert post.status == end


def test_row_move_without_htmx_redirects_back_to_the_filtered_table(client, login_as, make_user):
    login_as(Role.EDITOR)
    post = _post(make_user(Role.AUTHOR), S.IN_REVIEW, title="Ready")
    back = f"{POSTS}?status=in_review&sort=title"
    response = client.post(_move_url(post, "publish"), {"next": back}, follow=True)
    assert response.redirect_chain == [(back, 302)]
    assert "“Ready”: Published." in response.content.decode()


def test_row_move_ignores_a_next_that_leaves_the_table(client, login_as, make_user):
    login_as(Role.EDITOR)
    post = _post(make_user(Role.AUTHOR), S.IN_REVIEW)
    for target in ["https://evil.example/dashboard/posts/", "/dashboard/users/", "//evil.example"]:
        response = client.post(_move_url(post, "unschedule"), {"next": target})
        assert response["Location"] == POSTS


def test_row_move_on_another_authors_post_is_404_for_an_author(client, login_as, make_user):
    login_as(Role.AUTHOR)
    post = _post(make_user(Role.AUTHOR), S.DRAFT)
    assert client.post(_move_url(post, "submit"), headers=HTMX).status_code == 404
    post.refresh_from_db()
    assert post.status == S.DRAFT


def test_row_move_rejects_unknown_moves_gets_and_missing_csrf(
    client, login_as, make_user, verified_login
):
    login_as(Role.EDITOR)
    post = _post(make_user(Role.AUTHOR), S.IN_REVIEW)
    assert client.post(_move_url(post, "send_back"), headers=HTMX).status_code == 404
    assert client.post(_move_url(post, "explode"), headers=HTMX).status_code == 404
    assert client.get(_move_url(post, "publish")).status_code == 405
    strict = verified_login(Client(enforce_csrf_checks=True), make_user(Role.EDITOR))
    assert strict.post(_move_url(post, "publish")).status_code == 403
    post.refresh_from_db()
    assert post.status == S.IN_REVIEW
