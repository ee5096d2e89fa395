"""The moderation queue's row and bulk actions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.comments.models import Comment
from tests.dashboard.conftest import _act, _name, _status
from tests.factories.comments import CommentFactory, CommentReportFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
QUEUE = reverse("dashboard:moderation")
BULK = reverse("dashboard:moderation_bulk")
S = Comment.Status


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
