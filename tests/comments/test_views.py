from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.blog.models import Post
from apps.comments import services
from apps.comments.models import Comment, CommentReport
from apps.core import ratelimit
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory
from tests.utils import clear_cache, count_queries, html_elements, inline_code

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _quiet_side_effects(monkeypatch, commenter):
    # Notifications have their own tests; here only the comment pages are under test.
    monkeypatch.setattr(services.comments, "notify_for_comment", lambda *, comment_id: None)
    ratelimit.reset(f"comments:user:{commenter.pk}", window=60)


def _create_url(post: Post) -> str:
    return f"/comments/posts/{post.pk}/"


# --------------------------------------------------------------------------
# The post page
# --------------------------------------------------------------------------


def test_post_page_shows_the_thread_and_the_form(client, commenter, published_post):
    top = CommentFactory.create(post=published_post, body="Top *level*")
    reply = CommentFactory.create(parent=top, body="A reply")
    client.force_login(commenter)
    html = client.get(published_post.get_absolute_url()).content.decode()
    assert '<section id="comments"' in html
    assert '<ol id="comment-list"' in html
    assert f'<li id="comment-item-{top.pk}"' in html
    assert f'id="comment-{top.pk}" data-comment-id="{top.pk}"' in html
    assert f'<ol id="replies-{top.pk}"' in html
    assert f'hx-get="/comments/{reply.pk}/actions/"' in html
    assert "<em>level</em>" in html
    assert 'id="comment-form"' in html
    assert f'hx-post="/comments/posts/{published_post.pk}/"' in html
    assert "Comments <span" in html
    assert "(2)" in html
    assert inline_code(html) == []


def test_post_page_explains_who_cannot_comment(client, user, published_post):
    html = client.get(published_post.get_absolute_url()).content.decode()
    assert "Sign in</a> to join the conversation" in html
    assert 'id="comment-form"' not in html
    client.force_login(user)
    html = client.get(published_post.get_absolute_url()).content.decode()
    assert "Verify your email address to comment" in html
    assert 'href="/accounts/email/"' in html


def test_post_page_says_comments_are_closed(client, commenter):
    post = PostFactory.create(comments_open=False)
    CommentFactory.create(post=post, body="Earlier words")
    client.force_login(commenter)
    html = client.get(post.get_absolute_url()).content.decode()
    assert "Comments are closed." in html
    assert "Earlier words" in html
    assert 'id="comment-form"' not in html


def test_post_page_marks_edited_removed_and_deep_replies(client, published_post):
    top = CommentFactory.create(post=published_post, edited_at=timezone.now())
    one = CommentFactory.create(parent=top)
    two = CommentFactory.create(parent=one)
    CommentFactory.create(parent=two, body="deep")
    CommentFactory.create(post=published_post, deleted_at=timezone.now(), body="secret words")
    html = client.get(published_post.get_absolute_url()).content.decode()
    assert "· edited" in html
    assert two.author is not None
    assert f"in reply to @{two.author.username}" in html
    assert "Comment removed" in html
    assert "secret words" not in html


def test_post_page_cached_thread_shows_every_change_at_once(
    client, published_post, commenter, moderator, no_hold
):
    # The rendered thread is cached; every change a reader could see must show on the
    # very next request, well inside the cache's lifetime.
    url = published_post.get_absolute_url()
    first = services.create_comment(actor=commenter, post=published_post, body="Before edit")
    assert "Before edit" in client.get(url).content.decode()

    services.edit_comment(actor=commenter, comment=first, body="After edit")
    html = client.get(url).content.decode()
    assert "After edit" in html
    assert "· edited" in html

    reply = services.create_comment(
        actor=moderator, post=published_post, body="A reply", parent=first
    )
    assert f'id="comment-{reply.pk}"' in client.get(url).content.decode()

    commenter.display_name = "Renamed Reader"
    commenter.save()
    assert "Renamed Reader" in client.get(url).content.decode()

    services.delete_comment(actor=commenter, comment=first)
    html = client.get(url).content.decode()
    assert "After edit" not in html
    assert "Comment removed" in html


def test_post_page_cached_thread_is_not_shared_with_who_may_not_see_held(
    client, published_post, commenter
):
    held = CommentFactory.create(post=published_post, status=Comment.Status.HELD, author=commenter)
    author_client = Client()
    author_client.force_login(commenter)
    url = published_post.get_absolute_url()
    assert "Awaiting approval" in author_client.get(url).content.decode()
    assert f'id="comment-{held.pk}"' not in client.get(url).content.decode()


def _queries(client: Client, url: str) -> int:
    client.get(url)  # the first request after sign-in updates the session: not our budget
    clear_cache()
    with count_queries() as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def _bulk_thread(post: Post, count: int, authors: list[User]) -> None:
    rng = random.Random(5)  # noqa: S311  # a repeatable thread shape, not a secret
    made: list[Comment] = []
    for i in range(count):
        parent = rng.choice(made) if made and i % 3 else None
        comment = CommentFactory.create(
            post=post,
            parent=parent,
            author=authors[i % len(authors)],
            status=Comment.Status.HELD if i % 11 == 0 and i else Comment.Status.PUBLISHED,
            deleted_at=timezone.now() if i % 13 == 5 else None,
        )
        # Held comments take no replies: keep them out of the pool of parents.
        if comment.is_public:
            made.append(comment)


@pytest.mark.parametrize("viewer", ["anonymous", "commenter", "moderator"])
def test_post_page_query_count_does_not_grow_with_comments(
    client, published_post, commenter, moderator, viewer
):
    if viewer != "anonymous":
        client.force_login(commenter if viewer == "commenter" else moderator)
    authors = [commenter, *UserFactory.create_batch(4)]
    url = published_post.get_absolute_url()
    _bulk_thread(published_post, 2, authors)
    few = _queries(client, url)
    _bulk_thread(published_post, 198, authors)
    assert Comment.objects.filter(post=published_post, depth=2).count() > 10
    many = _queries(client, url)
    assert few == many


# --------------------------------------------------------------------------
# POST /comments/posts/<id>/ (create)
# --------------------------------------------------------------------------


def test_create_requires_sign_in(client, htmx_client, published_post):
    response = client.post(_create_url(published_post), {"body": "Hi"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    response = htmx_client.post(_create_url(published_post), {"body": "Hi"})
    assert response["HX-Redirect"].startswith("/accounts/login/?next=")
    assert not Comment.objects.exists()


def test_create_refuses_get_only_methods(client, published_post):
    assert client.put(_create_url(published_post)).status_code == 405


def test_create_htmx_returns_fresh_form_and_the_comment(client, commenter, published_post, no_hold):
    client.force_login(commenter)
    response = client.post(_create_url(published_post), {"body": "Hello *all*"}, headers=HX)
    assert response.status_code == 200
    comment = Comment.objects.get()
    html = response.content.decode()
    assert html.count('id="comment-form"') == 1
    assert "Comment posted." in html
    assert 'hx-swap-oob="beforeend:#comment-list"' in html
    assert f'id="comment-{comment.pk}"' in html
    assert "Hello *all*" not in html  # the textarea is empty again


def test_create_reply_htmx_appends_to_the_parent(client, commenter, published_post, no_hold):
    parent = CommentFactory.create(post=published_post)
    client.force_login(commenter)
    response = client.post(
        _create_url(published_post), {"body": "Agreed", "parent": parent.pk}, headers=HX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'hx-swap-oob="beforeend:#replies-{parent.pk}"' in html
    assert "Reply posted." in html
    assert Comment.objects.get(body="Agreed").parent_id == parent.pk


def test_create_plain_post_redirects_to_the_comment(client, commenter, published_post, no_hold):
    client.force_login(commenter)
    response = client.post(_create_url(published_post), {"body": "Hello"})
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{published_post.get_absolute_url()}#comment-{comment.pk}"


def test_create_held_comment_says_so(client, commenter, published_post):
    client.force_login(commenter)
    response = client.post(_create_url(published_post), {"body": "First!"}, headers=HX)
    html = response.content.decode()
    assert "awaiting approval" in html
    assert "Awaiting approval" in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"body": ""}, "Write something"),
        ({"body": "x" * 5001}, "at most 5,000"),
        ({"body": "Hi", "parent": 999999}, "no longer exists"),
    ],
)
def test_create_errors_re_render_the_form(client, commenter, published_post, data, message):
    client.force_login(commenter)
    response = client.post(_create_url(published_post), data, headers=HX)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (
        'id="comment-form"' in response.content.decode()
        or "reply-form" in response.content.decode()
    )
    response = client.post(_create_url(published_post), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "<html" in response.content.decode()
    assert not Comment.objects.exists()


def test_create_refuses_closed_post_and_deleted_parent(client, commenter, published_post):
    parent = CommentFactory.create(post=published_post, deleted_at=timezone.now())
    client.force_login(commenter)
    response = client.post(
        _create_url(published_post), {"body": "Hi", "parent": parent.pk}, headers=HX
    )
    assert "removed" in response.content.decode()
    closed = PostFactory.create(comments_open=False)
    response = client.post(_create_url(closed), {"body": "Hi"}, headers=HX)
    assert "Comments are closed" in response.content.decode()
    assert Comment.objects.count() == 1


def test_create_unverified_gets_a_resend_link(client, user, published_post):
    client.force_login(user)
    partial = client.post(_create_url(published_post), {"body": "Hi"}, headers=HX)
    assert 'href="/accounts/email/"' in partial.content.decode()
    response = client.post(_create_url(published_post), {"body": "Hi"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Verify your email address" in html
    assert 'href="/accounts/email/"' in html


def test_create_rate_limit_message(client, commenter, published_post, no_hold, settings):
    settings.COMMENT_RATE_LIMIT = 1
    client.force_login(commenter)
    client.post(_create_url(published_post), {"body": "One"}, headers=HX)
    response = client.post(_create_url(published_post), {"body": "Two"}, headers=HX)
    assert "try again in" in response.content.decode()
    assert Comment.objects.count() == 1


def test_create_on_unpublished_post_is_404(client, commenter):
    draft = PostFactory.create(status=Post.Status.DRAFT, published_at=None)
    client.force_login(commenter)
    assert client.post(_create_url(draft), {"body": "Hi"}).status_code == 404
    assert client.post("/comments/posts/999999/", {"body": "Hi"}).status_code == 404


def test_create_needs_the_csrf_token(commenter, published_post, no_hold):
    client = Client(enforce_csrf_checks=True)
    client.force_login(commenter)
    assert client.post(_create_url(published_post), {"body": "Hi"}).status_code == 403
    page = client.get(published_post.get_absolute_url()).content.decode()
    token = page.split('"X-CSRFToken": "')[1].split('"')[0]
    response = client.post(
        _create_url(published_post), {"body": "Hi"}, headers={**HX, "X-CSRFToken": token}
    )
    assert response.status_code == 200
    assert Comment.objects.count() == 1


def test_create_answers_only_posts(client, published_post):
    # A reconnecting page catches up over its socket (?after=); there is no HTTP catch-up.
    assert client.get(f"{_create_url(published_post)}?after=0").status_code == 405


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
    client.force_login(moderator)
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
    client.force_login(moderator)
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
