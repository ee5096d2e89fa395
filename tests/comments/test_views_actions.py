from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.comments.models import Comment, CommentReport
from tests.comments.conftest import login_with_second_factor
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory
from tests.utils import html_elements

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_quiet_side_effects")]

HX = {"HX-Request": "true"}


# --------------------------------------------------------------------------
# GET /comments/<id>/actions/
# --------------------------------------------------------------------------


def test_actions_for_anonymous_offer_sign_in(client, htmx_client, published_post):
    comment = CommentFactory.create(post=published_post)
    html = htmx_client.get(f"/comments/{comment.pk}/actions/").content.decode()
    assert "Sign in</a> to reply or report" in html
    assert "<html" not in html
    response = client.get(f"/comments/{comment.pk}/actions/")
    assert response.status_code == 200
    assert "<html" in response.content.decode()


def test_actions_for_the_author_and_others(client, commenter, other_commenter, published_post):
    comment = CommentFactory.create(post=published_post, author=commenter)
    client.force_login(commenter)
    html = client.get(f"/comments/{comment.pk}/actions/", headers=HX).content.decode()
    assert f'hx-get="/comments/{comment.pk}/edit/"' in html
    assert f'hx-post="/comments/{comment.pk}/delete/"' in html
    assert "/report/" not in html
    assert f'id="reply-form-{comment.pk}"' in html
    client.force_login(other_commenter)
    html = client.get(f"/comments/{comment.pk}/actions/", headers=HX).content.decode()
    assert "/edit/" not in html
    assert "/delete/" not in html
    assert f'hx-get="/comments/{comment.pk}/report/"' in html


def test_actions_after_the_window_and_for_moderators(client, commenter, moderator, published_post):
    comment = CommentFactory.create(
        post=published_post, author=commenter, created_at=timezone.now() - timedelta(hours=1)
    )
    client.force_login(commenter)
    html = client.get(f"/comments/{comment.pk}/actions/", headers=HX).content.decode()
    assert "/edit/" not in html
    assert "/delete/" in html
    login_with_second_factor(client, moderator)
    html = client.get(f"/comments/{comment.pk}/actions/", headers=HX).content.decode()
    assert "/delete/" in html
    held = CommentFactory.create(post=published_post, status=Comment.Status.HELD)
    html = client.get(f"/comments/{held.pk}/actions/", headers=HX).content.decode()
    assert f"/dashboard/moderation/?view=held&amp;post={published_post.pk}" in html


def test_actions_hide_held_comments_from_others(client, commenter, other_commenter, published_post):
    held = CommentFactory.create(post=published_post, author=commenter, status=Comment.Status.HELD)
    client.force_login(other_commenter)
    assert client.get(f"/comments/{held.pk}/actions/", headers=HX).status_code == 404
    client.force_login(commenter)
    html = client.get(f"/comments/{held.pk}/actions/", headers=HX).content.decode()
    assert "reply-form" not in html  # no replies to a held comment


def test_actions_on_closed_post_refuse_replies(client, commenter):
    post = PostFactory.create(comments_open=False)
    comment = CommentFactory.create(post=post)
    client.force_login(commenter)
    html = client.get(f"/comments/{comment.pk}/actions/", headers=HX).content.decode()
    assert "Comments are closed." in html
    assert "reply-form" not in html


# --------------------------------------------------------------------------
# Edit
# --------------------------------------------------------------------------


def test_edit_requires_sign_in(client, htmx_client, published_post):
    comment = CommentFactory.create(post=published_post)
    assert client.get(f"/comments/{comment.pk}/edit/").status_code == 302
    assert "HX-Redirect" in htmx_client.get(f"/comments/{comment.pk}/edit/")


def test_edit_form_and_save(client, commenter, published_post):
    comment = CommentFactory.create(post=published_post, author=commenter, body="Old")
    client.force_login(commenter)
    partial = client.get(f"/comments/{comment.pk}/edit/", headers=HX).content.decode()
    assert f'<article id="comment-{comment.pk}"' in partial
    assert ">Old</textarea>" in partial
    assert "<html" not in partial
    full = client.get(f"/comments/{comment.pk}/edit/")
    assert full.status_code == 200
    assert "<html" in full.content.decode()
    response = client.post(f"/comments/{comment.pk}/edit/", {"body": "New *text*"}, headers=HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<em>text</em>" in html
    assert "· edited" in html
    response = client.post(f"/comments/{comment.pk}/edit/", {"body": "Newer"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "Newer"


def test_edit_refusals(client, commenter, other_commenter, published_post):
    late = CommentFactory.create(
        post=published_post, author=commenter, created_at=timezone.now() - timedelta(minutes=20)
    )
    client.force_login(commenter)
    response = client.post(f"/comments/{late.pk}/edit/", {"body": "Late"}, headers=HX)
    assert "15 minutes" in response.content.decode()
    assert client.post(f"/comments/{late.pk}/edit/", {"body": "Late"}).status_code == 400
    fresh = CommentFactory.create(post=published_post, author=commenter)
    response = client.post(f"/comments/{fresh.pk}/edit/", {"body": ""}, headers=HX)
    assert "Write something" in response.content.decode()
    others = CommentFactory.create(post=published_post, author=other_commenter)
    assert client.post(f"/comments/{others.pk}/edit/", {"body": "Mine"}).status_code == 403
    late.refresh_from_db()
    others.refresh_from_db()
    assert late.body != "Late"
    assert others.body != "Mine"


# --------------------------------------------------------------------------
# Delete
# --------------------------------------------------------------------------


def test_delete_own_comment(client, htmx_client, commenter, published_post):
    comment = CommentFactory.create(post=published_post, author=commenter)
    assert client.post(f"/comments/{comment.pk}/delete/").status_code == 302  # to login
    assert client.get(f"/comments/{comment.pk}/delete/").status_code == 405
    htmx_client.force_login(commenter)
    response = htmx_client.post(f"/comments/{comment.pk}/delete/")
    assert response.status_code == 200
    assert "Comment removed" in response.content.decode()
    comment.refresh_from_db()
    assert comment.is_deleted
    again = htmx_client.post(f"/comments/{comment.pk}/delete/")
    assert "already removed" in again.content.decode()


def test_delete_plain_post_redirects_and_others_are_refused(
    client, commenter, other_commenter, moderator, published_post
):
    comment = CommentFactory.create(post=published_post, author=other_commenter)
    client.force_login(commenter)
    assert client.post(f"/comments/{comment.pk}/delete/").status_code == 403
    login_with_second_factor(client, moderator)
    response = client.post(f"/comments/{comment.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    assert Comment.objects.get(pk=comment.pk).is_deleted


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def test_report_flow(client, commenter, published_post):
    comment = CommentFactory.create(post=published_post)
    assert client.get(f"/comments/{comment.pk}/report/").status_code == 302  # to login
    client.force_login(commenter)
    form = client.get(f"/comments/{comment.pk}/report/", headers=HX).content.decode()
    assert 'name="reason"' in form
    assert "<html" not in form
    assert "<html" in client.get(f"/comments/{comment.pk}/report/").content.decode()
    response = client.post(f"/comments/{comment.pk}/report/", {"reason": "Spam"}, headers=HX)
    assert "Thanks for the report" in response.content.decode()
    again = client.post(f"/comments/{comment.pk}/report/", {"reason": "Spam"}, headers=HX)
    assert "already reported" in again.content.decode()
    assert client.post(f"/comments/{comment.pk}/report/", {"reason": "x"}).status_code == 400
    assert CommentReport.objects.count() == 1


def test_report_plain_post_redirects(client, commenter, published_post):
    comment = CommentFactory.create(post=published_post)
    client.force_login(commenter)
    response = client.post(f"/comments/{comment.pk}/report/", {"reason": ""})
    assert response.status_code == 302
    assert CommentReport.objects.filter(comment=comment, reporter=commenter).exists()


def test_unknown_comment_is_404(client, commenter):
    client.force_login(commenter)
    for url in ["/comments/999999/actions/", "/comments/999999/edit/", "/comments/999999/report/"]:
        assert client.get(url).status_code == 404
    assert client.post("/comments/999999/delete/").status_code == 404


def test_comment_markup_has_no_inline_handlers(client, published_post):
    CommentFactory.create(
        post=published_post, body="[x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    )
    html = client.get(published_post.get_absolute_url()).content.decode()
    for _tag, attrs in html_elements(html):
        assert not any(name.startswith("on") for name, _ in attrs)
        assert not any((value or "").startswith("javascript:") for _, value in attrs)


def test_admin_lists_comments_read_only(client, published_post):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = UserFactory.create(is_staff=True, is_superuser=True)
    device = TOTPDevice.objects.create(user=admin, name="test", confirmed=True)
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    comment = CommentFactory.create(post=published_post)
    response = client.get("/admin/comments/comment/")
    assert response.status_code == 200
    assert f"/admin/comments/comment/{comment.pk}/" in response.content.decode()
    assert client.get("/admin/comments/comment/add/").status_code == 403
    assert client.get("/admin/comments/commentreport/").status_code == 200
    assert client.get("/admin/comments/moderationsettings/").status_code == 200
