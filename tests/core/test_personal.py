"""Signed-in readers served from the stored page with their own parts (apps.core.personal)."""

import re

import pytest
from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client

from apps.accounts.roles import Role
from apps.accounts.services import grant_role_as_system
from apps.comments.models import Comment, ModerationSettings
from apps.core import personal
from tests.comments.conftest import make_verified
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory
from tests.utils import count_queries

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache", "_publish_at_once")]


@pytest.fixture
def _publish_at_once(db):
    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hold": ModerationSettings.Hold.NONE}
    )


@pytest.fixture
def post(db):
    post = PostFactory.create(title="Shared words", comments_open=True)
    CommentFactory.create(post=post, body_html="<p>A public remark</p>")
    return post


def _stored(url: str) -> None:
    Client().get(url)
    assert Client().get(url)["X-Page-Cache"] == "hit"


def _signed_in(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_a_verified_reader_gets_the_stored_page_with_their_header_and_form(post):
    url = post.get_absolute_url()
    _stored(url)
    reader = make_verified(UserFactory.create(display_name="Dana Reader"))
    page = _signed_in(reader).get(url)
    html = page.content.decode()
    assert page["X-Page-Cache"] == "member"
    assert "Dana Reader" in html
    assert 'id="comment-form"' in html
    assert "A public remark" in html
    assert "Sign in</a> to join the conversation" not in html
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else None
    assert token is not None  # the reader's CSRF cookie is set for the form and htmx
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


def test_an_unverified_reader_is_told_to_verify(post):
    url = post.get_absolute_url()
    _stored(url)
    page = _signed_in(UserFactory.create()).get(url)
    assert page["X-Page-Cache"] == "member"
    assert "Verify your email address to comment" in page.content.decode()


def test_the_form_on_a_member_page_posts(post):
    url = post.get_absolute_url()
    _stored(url)
    reader = make_verified(UserFactory.create())
    client = _signed_in(reader)
    page = client.get(url).content.decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found is not None
    token = found[1]
    answer = client.post(
        f"/comments/posts/{post.pk}/",
        {"body": "Posted from a shared page", "csrfmiddlewaretoken": token},
    )
    assert answer.status_code in {200, 302}
    assert Comment.objects.filter(post=post, body="Posted from a shared page").exists()


def test_a_member_page_costs_the_same_queries_however_many_comments(post):
    url = post.get_absolute_url()
    reader = make_verified(UserFactory.create())
    client = _signed_in(reader)
    _stored(url)
    client.get(url)
    with count_queries() as few:
        assert client.get(url)["X-Page-Cache"] == "member"
    CommentFactory.create_batch(30, post=post)
    _stored(url)
    with count_queries() as many:
        assert client.get(url)["X-Page-Cache"] == "member"
    assert len(many) == len(few)
    # The session, the reader, their roles, the bell, the post's state, their held comments
    # and their verified address: nothing the page itself shows.
    assert len(few) <= 6, [q["sql"] for q in few]


def test_a_reader_with_a_comment_awaiting_approval_gets_their_own_render(post):
    url = post.get_absolute_url()
    reader = make_verified(UserFactory.create())
    CommentFactory.create(
        post=post, author=reader, status=Comment.Status.HELD, body_html="<p>Mine, waiting</p>"
    )
    _stored(url)
    page = _signed_in(reader).get(url)
    assert "X-Page-Cache" not in page
    assert "Mine, waiting" in page.content.decode()
    assert "Mine, waiting" not in Client().get(url).content.decode()


def test_a_moderator_gets_their_own_render(post):
    moderator = grant_role_as_system(
        user=make_verified(UserFactory.create()), role=Role.EDITOR, reason="test"
    )
    url = post.get_absolute_url()
    CommentFactory.create(post=post, status=Comment.Status.HELD, body_html="<p>Held back</p>")
    _stored(url)
    page = _signed_in(moderator).get(url)
    assert "X-Page-Cache" not in page
    assert "Held back" in page.content.decode()


def test_a_reader_with_a_pending_message_gets_their_own_render(post, rf):
    url = post.get_absolute_url()
    _stored(url)
    reader = make_verified(UserFactory.create())
    client = _signed_in(reader)
    storage = CookieStorage(rf.get("/"))
    pending = [Message(messages.SUCCESS, "Profile saved")]
    client.cookies["messages"] = storage._encode(pending)  # type: ignore[attr-defined]
    page = client.get(url)
    assert "X-Page-Cache" not in page
    assert "Profile saved" in page.content.decode()


def test_a_member_page_is_never_stored_for_anyone_else(post):
    url = post.get_absolute_url()
    _stored(url)
    reader = make_verified(UserFactory.create(display_name="Private Person"))
    _signed_in(reader).get(url)
    anonymous = Client().get(url)
    assert anonymous["X-Page-Cache"] == "hit"
    assert "Private Person" not in anonymous.content.decode()
    assert "csrfmiddlewaretoken" not in anonymous.content.decode()


def test_a_region_nobody_fills_falls_back_to_the_full_render(post, monkeypatch):
    url = post.get_absolute_url()
    _stored(url)
    monkeypatch.delitem(personal._FILLERS, "comment-form")
    reader = make_verified(UserFactory.create())
    page = _signed_in(reader).get(url)
    assert "X-Page-Cache" not in page
    assert 'id="comment-form"' in page.content.decode()


def test_members_can_be_switched_off(post, settings):
    settings.PAGE_CACHE_MEMBERS = False
    url = post.get_absolute_url()
    _stored(url)
    page = _signed_in(make_verified(UserFactory.create())).get(url)
    assert "X-Page-Cache" not in page
