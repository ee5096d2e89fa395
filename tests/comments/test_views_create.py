from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from apps.blog.models import Post
from apps.comments.models import Comment
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_quiet_side_effects")]

HX = {"HX-Request": "true"}


def _create_url(post: Post) -> str:
    return f"/comments/posts/{post.pk}/"


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
