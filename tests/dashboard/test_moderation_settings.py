"""The moderation settings, and comments open or closed per post."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.blog.models import Post
from apps.comments.models import Comment, ModerationSettings
from tests.dashboard.conftest import _queries, _toggle
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
QUEUE = reverse("dashboard:moderation")
SETTINGS = reverse("dashboard:moderation_settings")
POSTS = reverse("dashboard:moderation_posts")
S = Comment.Status


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
