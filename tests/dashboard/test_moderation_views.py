"""The moderation pages: the queue, row and bulk actions, settings, comments open per post."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.blog.models import Post
from apps.comments.models import Comment, ModerationSettings
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory, CommentReportFactory
from tests.utils import clear_cache, count_queries, inline_code

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
QUEUE = reverse("dashboard:moderation")
BULK = reverse("dashboard:moderation_bulk")
SETTINGS = reverse("dashboard:moderation_settings")
POSTS = reverse("dashboard:moderation_posts")
S = Comment.Status


def _act(pk, action):
    return reverse("dashboard:moderation_act", args=[pk, action])


def _toggle(pk):
    return reverse("dashboard:moderation_post_comments", args=[pk])


def _name(comment):
    assert comment.author is not None
    return comment.author.name


def _status(comment):
    return Comment.objects.get(pk=comment.pk).status


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


def _queries(client, url):
    client.get(url)  # the first request of a session also writes to it
    clear_cache()
    with count_queries() as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


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


# --------------------------------------------------------------------------
# Row and bulk actions
# --------------------------------------------------------------------------


def test_row_approve_over_htmx_answers_with_the_queue_and_report(client, login_as):
    editor = login_as(Role.EDITOR)
    comment = CommentFactory.create(status=S.HELD, body="Welcome me")
    response = client.post(_act(comment.pk, "approve") + "?view=held", headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="moderation-results"')
    assert "Approved:</span> 1 succeeded." in html
    assert "Welcome me" not in html  # it left the held tab
    comment.refresh_from_db()
    assert (comment.status, comment.moderated_by) == (S.PUBLISHED, editor)


def test_row_action_failure_is_reported_with_its_reason(client, login_as):
    login_as(Role.EDITOR)
    comment = CommentFactory.create(status=S.REJECTED)
    html = client.post(_act(comment.pk, "reject"), headers=HTMX).content.decode()
    assert "Rejected:</span> 0 succeeded, 1 failed." in html
    assert f"Comment {comment.pk} by {_name(comment)}: This comment is already rejected." in html


def test_row_action_without_htmx_redirects_with_messages(client, login_as):
    login_as(Role.EDITOR)
    comment = CommentFactory.create(status=S.HELD)
    response = client.post(_act(comment.pk, "spam") + "?view=held", follow=True)
    assert response.redirect_chain == [(f"{QUEUE}?view=held", 302)]
    assert "Marked as spam: 1 comment(s)." in response.content.decode()
    assert _status(comment) == S.SPAM


def test_unknown_row_action_is_404(client, login_as):
    login_as(Role.EDITOR)
    comment = CommentFactory.create(status=S.HELD)
    assert client.post(_act(comment.pk, "publish")).status_code == 404
    assert client.get(_act(comment.pk, "approve")).status_code == 405


def test_dismiss_from_the_reported_view(client, login_as):
    login_as(Role.EDITOR)
    comment = CommentFactory.create(report_count=1, body="Borderline")
    CommentReportFactory.create(comment=comment)
    html = client.post(_act(comment.pk, "dismiss") + "?view=reported", headers=HTMX)
    html = html.content.decode()
    assert "Reports dismissed:</span> 1 succeeded." in html
    assert "Borderline" not in html
    comment.refresh_from_db()
    assert (comment.status, comment.report_count) == (S.PUBLISHED, 0)


def test_bulk_action_reports_each_failure_and_keeps_it_ticked(client, login_as):
    login_as(Role.EDITOR)
    held = CommentFactory.create(status=S.HELD)
    live = CommentFactory.create(status=S.PUBLISHED)
    spam = CommentFactory.create(status=S.SPAM)
    response = client.post(
        f"{BULK}?view=spam",
        {"action": "approve", "comments": [held.pk, live.pk, spam.pk]},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Approved:</span> 2 succeeded, 1 failed." in html
    assert f"Comment {live.pk} by {_name(live)}: This comment is already published." in html
    assert [_status(held), _status(live), _status(spam)] == [S.PUBLISHED] * 3


def test_bulk_failure_stays_selected(client, login_as):
    login_as(Role.EDITOR)
    ok = CommentFactory.create(report_count=1)
    CommentReportFactory.create(comment=ok)
    # Reported, then rejected by another moderator before its reports were settled.
    stale = CommentFactory.create(report_count=1, status=S.REJECTED)
    html = client.post(
        f"{BULK}?view=reported",
        {"action": "reject", "comments": [ok.pk, stale.pk, 424242]},
        headers=HTMX,
    ).content.decode()
    assert "Rejected:</span> 1 succeeded, 2 failed." in html
    assert f"Comment {stale.pk} by {_name(stale)}: This comment is already rejected." in html
    assert "Comment 424242: This comment no longer exists." in html
    start = html.index(f'<tr id="comment-row-{stale.pk}"')
    assert " checked" in html[start : html.index("</tr>", start)]
    assert f'<tr id="comment-row-{ok.pk}"' not in html


def test_dismiss_clears_a_report_count_left_without_open_reports(client, login_as):
    login_as(Role.EDITOR)
    stale = CommentFactory.create(report_count=1)
    html = client.post(_act(stale.pk, "dismiss") + "?view=reported", headers=HTMX)
    assert "Reports dismissed:</span> 1 succeeded." in html.content.decode()
    assert Comment.objects.get(pk=stale.pk).report_count == 0


def test_bulk_without_a_selection_or_action_explains(client, login_as):
    login_as(Role.EDITOR)
    comment = CommentFactory.create(status=S.HELD)
    html = client.post(BULK, {"action": "approve"}, headers=HTMX).content.decode()
    assert 'role="alert"' in html
    assert "Select at least one comment." in html
    html = client.post(BULK, {"comments": [comment.pk]}, headers=HTMX).content.decode()
    assert "Choose what to do with the selected comments." in html
    # An action the tab does not offer (dismiss on the held tab) is refused by the form.
    html = client.post(
        f"{BULK}?view=held", {"action": "dismiss", "comments": [comment.pk]}, headers=HTMX
    ).content.decode()
    assert "Select a valid choice." in html
    assert _status(comment) == S.HELD


def test_bulk_without_htmx_redirects_with_one_message_per_failure(client, login_as):
    login_as(Role.EDITOR)
    held = CommentFactory.create(status=S.HELD)
    rejected = CommentFactory.create(status=S.REJECTED)
    response = client.post(
        f"{BULK}?view=held", {"action": "reject", "comments": [held.pk, rejected.pk]}, follow=True
    )
    html = response.content.decode()
    assert response.redirect_chain == [(f"{QUEUE}?view=held", 302)]
    assert "Rejected: 1 comment(s)." in html
    assert "This comment is already rejected." in html


def test_select_page_header_ticks_every_row(client, login_as):
    login_as(Role.EDITOR)
    comments = CommentFactory.create_batch(2, status=S.HELD)
    html = client.get(QUEUE, headers={**HTMX, "X-Select-Rows": "page"}).content.decode()
    for comment in comments:
        start = html.index(f'<tr id="comment-row-{comment.pk}"')
        assert " checked" in html[start : html.index("</tr>", start)]


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------


def test_settings_page_shows_the_current_rules(client, login_as):
    login_as(Role.EDITOR)
    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hold": "all", "max_links": 4, "blocklist": "casino"}
    )
    html = client.get(SETTINGS).content.decode()
    assert 'value="all" class' in html
    assert "checked" in html
    assert 'value="4"' in html
    assert "casino</textarea>" in html
    partial = client.get(SETTINGS, headers=HTMX).content.decode()
    assert partial.lstrip().startswith('<form id="moderation-settings"')


def test_settings_save_over_htmx(client, login_as):
    editor = login_as(Role.EDITOR)
    response = client.post(
        SETTINGS,
        {"hold": "none", "max_links": "0", "blocklist": "Casino\n\ncasino\n"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Moderation settings saved." in html
    rules = ModerationSettings.objects.get(pk=1)
    assert (rules.hold, rules.max_links, rules.blocklist, rules.updated_by) == (
        "none",
        0,
        "casino",
        editor,
    )


def test_settings_save_without_htmx_redirects(client, login_as):
    login_as(Role.ADMIN)
    response = client.post(SETTINGS, {"hold": "all", "max_links": "3"}, follow=True)
    assert response.redirect_chain == [(SETTINGS, 302)]
    assert "Moderation settings saved." in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"hold": "sometimes", "max_links": "2"}, "Select a valid choice."),
        ({"hold": "none", "max_links": "-1"}, "greater than or equal to 0"),
        ({"hold": "none", "max_links": ""}, "Enter a number of links"),
        ({"hold": "none", "max_links": "2", "blocklist": "x" * 101}, "at most 100 characters"),
    ],
)
def test_settings_errors_are_shown_and_nothing_is_saved(client, login_as, data, message):
    login_as(Role.EDITOR)
    response = client.post(SETTINGS, data, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "The settings were not saved" in html
    assert message in html
    assert not ModerationSettings.objects.filter(pk=1, hold="none").exists()


# --------------------------------------------------------------------------
# Comments open or closed per post
# --------------------------------------------------------------------------


def test_posts_page_lists_published_posts_with_comment_state(client, login_as):
    login_as(Role.EDITOR)
    post = PostFactory.create(title="Open one")
    PostFactory.create(title="Closed one", comments_open=False)
    PostFactory.create(title="A draft", status=Post.Status.DRAFT, published_at=None)
    CommentFactory.create(post=post, status=S.HELD)
    CommentFactory.create(post=post)
    html = client.get(POSTS).content.decode()
    assert "Open one" in html
    assert "Closed one" in html
    assert "A draft" not in html
    assert "1 waiting" in html
    partial = client.get(f"{POSTS}?q=closed", headers=HTMX).content.decode()
    assert partial.lstrip().startswith('<div id="post-comment-results"')
    assert "Closed one" in partial
    assert "Open one" not in partial


def test_posts_page_query_count_does_not_grow(client, login_as):
    login_as(Role.EDITOR)
    PostFactory.create_batch(2)
    few = _queries(client, POSTS)
    PostFactory.create_batch(20)
    assert _queries(client, POSTS) == few


def test_close_comments_over_htmx_answers_with_the_row(client, login_as):
    login_as(Role.EDITOR)
    post = PostFactory.create(title="Hot topic")
    response = client.post(_toggle(post.pk), {"open": "0"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="post-comments-{post.pk}"')
    assert "Comments are closed on “Hot topic”" in html
    assert "Open comments" in html
    assert not Post.objects.get(pk=post.pk).comments_open


def test_close_comments_from_the_filtered_queue(client, login_as):
    login_as(Role.EDITOR)
    comment = CommentFactory.create(status=S.HELD)
    url = f"{_toggle(comment.post_id)}?view=held&post={comment.post_id}"
    html = client.post(url, {"open": "0", "from": "queue"}, headers=HTMX).content.decode()
    assert html.lstrip().startswith('<div id="moderation-results"')
    assert "Comments are closed on" in html
    assert "Open comments" in html
    response = client.post(url, {"open": "1", "from": "queue"})
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?view=held&post={comment.post_id}"
    assert Post.objects.get(pk=comment.post_id).comments_open


def test_toggle_without_htmx_redirects_and_validates(client, login_as):
    login_as(Role.EDITOR)
    post = PostFactory.create()
    response = client.post(_toggle(post.pk), {"open": "maybe"}, follow=True)
    assert response.redirect_chain == [(POSTS, 302)]
    assert Post.objects.get(pk=post.pk).comments_open
    assert client.post(_toggle(999_999), {"open": "0"}).status_code == 404
