"""The comment form's one-time token: a submission sent again never posts a second comment."""

from __future__ import annotations

import re
import uuid

import pytest

from apps.blog.models import Post
from apps.comments.models import Comment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_quiet_side_effects", "no_hold")]

HX = {"HX-Request": "true"}


def _create_url(post: Post) -> str:
    return f"/comments/posts/{post.pk}/"


def _token_in(html: str) -> str:
    found = re.search(r'name="token" value="([0-9a-f-]{36})"', html)
    assert found, "the form carries no token"
    return found.group(1)


def test_form_token_resubmitted_shows_the_first_comment_and_posts_nothing(
    client, commenter, published_post
):
    client.force_login(commenter)
    form = {"body": "Only once, please", "token": str(uuid.uuid4())}
    first = client.post(_create_url(published_post), form)
    second = client.post(_create_url(published_post), form)
    comment = Comment.objects.get()
    assert first.status_code == second.status_code == 302
    assert (
        first["Location"]
        == second["Location"]
        == f"/posts/{published_post.slug}/#comment-{comment.pk}"
    )
    assert comment.body == "Only once, please"


def test_form_token_resubmitted_over_htmx_answers_the_same_comment(
    client, commenter, published_post
):
    client.force_login(commenter)
    form = {"body": "Once over htmx", "token": str(uuid.uuid4())}
    first = client.post(_create_url(published_post), form, headers=HX)
    second = client.post(_create_url(published_post), form, headers=HX)
    comment = Comment.objects.get()
    for response in (first, second):
        assert response.status_code == 200
        assert f'id="comment-{comment.pk}"' in response.content.decode()


def test_form_each_render_has_a_new_token(client, commenter, published_post):
    client.force_login(commenter)
    form = {"body": "First", "token": str(uuid.uuid4())}
    response = client.post(_create_url(published_post), form, headers=HX)
    fresh = _token_in(response.content.decode())
    assert fresh != form["token"]
    client.post(_create_url(published_post), {"body": "Second", "token": fresh}, headers=HX)
    assert list(Comment.objects.values_list("body", flat=True)) == ["First", "Second"]


def test_form_token_reused_for_another_text_posts_it_as_a_new_comment(
    client, commenter, published_post
):
    # A page kept open (or a stored copy of it) may send one token with two comments.
    client.force_login(commenter)
    token = str(uuid.uuid4())
    client.post(_create_url(published_post), {"body": "One", "token": token})
    client.post(_create_url(published_post), {"body": "Two", "token": token})
    assert list(Comment.objects.values_list("body", flat=True)) == ["One", "Two"]


def test_form_without_a_token_still_posts(client, commenter, published_post):
    client.force_login(commenter)
    response = client.post(_create_url(published_post), {"body": "An old page's form"})
    assert response.status_code == 302
    assert Comment.objects.get().submission_token is None


@pytest.mark.parametrize("member_pages", [True, False])
def test_form_on_the_post_page_has_a_new_token_each_time(
    client, commenter, published_post, settings, member_pages
):
    # Filled into the stored page for members (apps.core.personal) or rendered by the view:
    # never one token shared by two renders.
    settings.PAGE_CACHE_ENABLED = True
    settings.PAGE_CACHE_MEMBERS = member_pages
    client.force_login(commenter)
    url = published_post.get_absolute_url()
    first = _token_in(client.get(url).content.decode())
    second = _token_in(client.get(url).content.decode())
    assert first != second
