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
    client.get(url)  # the new commenters were written to the users table: the reader is read again
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


# --------------------------------------------------------------------------
# Kept regions: filled once per reader and session, until what they show changes
# --------------------------------------------------------------------------


def _member_page(client: Client, url: str) -> str:
    page = client.get(url)
    assert page["X-Page-Cache"] == "member"
    return page.content.decode()


def test_a_kept_region_costs_no_queries_the_second_time(post):
    url = post.get_absolute_url()
    _stored(url)
    client = _signed_in(make_verified(UserFactory.create()))
    with count_queries() as first:
        _member_page(client, url)
    with count_queries() as again:
        html = _member_page(client, url)
    # The session and the reader; the header and the form come from the kept regions.
    assert len(again) <= 2, [q["sql"] for q in again]
    assert len(again) < len(first)
    assert 'id="comment-form"' in html
    assert personal.CSRF_PLACEHOLDER not in html


def test_a_kept_form_posts_with_this_answers_token(post):
    url = post.get_absolute_url()
    _stored(url)
    client = _signed_in(make_verified(UserFactory.create()))
    _member_page(client, url)
    client.cookies.pop("csrftoken", None)  # a new CSRF secret: the kept form must follow it
    page = _member_page(client, url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    answer = client.post(
        f"/comments/posts/{post.pk}/",
        {"body": "Posted from a kept form", "csrfmiddlewaretoken": token[1]},
    )
    assert answer.status_code in {200, 302}
    assert Comment.objects.filter(post=post, body="Posted from a kept form").exists()


def test_a_new_notification_reaches_the_kept_bell(post, django_capture_on_commit_callbacks):
    from apps.notifications.models import Kind
    from apps.notifications.services import notify

    url = post.get_absolute_url()
    _stored(url)
    reader = make_verified(UserFactory.create())
    client = _signed_in(reader)
    assert "Someone replied to you" not in _member_page(client, url)
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipient_ids=[reader.pk],
            kind=Kind.values[0],
            actor_id=None,
            text="Someone replied to you",
            url=url,
        )
    assert "Someone replied to you" in _member_page(client, url)


def test_verifying_an_address_opens_the_kept_form(post, django_capture_on_commit_callbacks):
    from allauth.account.models import EmailAddress

    url = post.get_absolute_url()
    _stored(url)
    reader = UserFactory.create()
    client = _signed_in(reader)
    assert "Verify your email address to comment" in _member_page(client, url)
    with django_capture_on_commit_callbacks(execute=True):
        EmailAddress.objects.create(user=reader, email=reader.email, verified=True, primary=True)
    html = _member_page(client, url)
    assert "Verify your email address to comment" not in html
    assert 'id="comment-form"' in html


def test_a_new_role_shows_in_the_kept_header(post, django_capture_on_commit_callbacks):
    url = post.get_absolute_url()
    _stored(url)
    reader = make_verified(UserFactory.create())
    client = _signed_in(reader)
    assert "/dashboard/" not in _member_page(client, url)
    with django_capture_on_commit_callbacks(execute=True):
        grant_role_as_system(user=reader, role=Role.AUTHOR, reason="test")
    assert "/dashboard/" in _member_page(client, url)


def test_a_renamed_reader_sees_their_new_name(post, django_capture_on_commit_callbacks):
    url = post.get_absolute_url()
    _stored(url)
    reader = make_verified(UserFactory.create(display_name="Old Name"))
    client = _signed_in(reader)
    assert "Old Name" in _member_page(client, url)
    with django_capture_on_commit_callbacks(execute=True):
        reader.display_name = "New Name"
        reader.save()
    html = _member_page(client, url)
    assert "New Name" in html
    assert "Old Name" not in html


def test_closing_comments_reaches_the_kept_form(post, django_capture_on_commit_callbacks):
    from apps.comments.services.moderation import set_comments_open

    url = post.get_absolute_url()
    reader = make_verified(UserFactory.create())
    client = _signed_in(reader)
    _stored(url)
    assert 'id="comment-form"' in _member_page(client, url)
    editor = grant_role_as_system(
        user=make_verified(UserFactory.create()), role=Role.EDITOR, reason="test"
    )
    with django_capture_on_commit_callbacks(execute=True):
        set_comments_open(actor=editor, post=post, is_open=False)
    _stored(url)
    assert 'id="comment-form"' not in _member_page(client, url)


def test_a_held_comment_of_the_reader_ends_the_kept_form(
    post, django_capture_on_commit_callbacks, settings
):
    url = post.get_absolute_url()
    reader = make_verified(UserFactory.create())
    client = _signed_in(reader)
    _stored(url)
    _member_page(client, url)
    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hold": ModerationSettings.Hold.ALL}
    )
    from apps.comments.services.comments import create_comment

    with django_capture_on_commit_callbacks(execute=True):
        create_comment(actor=reader, post=post, body="Mine, held for review")
    page = client.get(url)
    assert "X-Page-Cache" not in page  # their thread differs: the whole page for them
    assert "Mine, held for review" in page.content.decode()


def test_another_reader_never_gets_a_kept_region(post):
    url = post.get_absolute_url()
    _stored(url)
    _member_page(_signed_in(make_verified(UserFactory.create(display_name="First Reader"))), url)
    html = _member_page(
        _signed_in(make_verified(UserFactory.create(display_name="Second Reader"))), url
    )
    assert "Second Reader" in html
    assert "First Reader" not in html


@pytest.mark.postgres
def test_the_page_and_the_kept_regions_are_checked_in_one_round_trip(
    post, monkeypatch, django_capture_on_commit_callbacks
):
    from apps.core import pagecache
    from apps.notifications.models import Kind
    from apps.notifications.services import notify

    url = post.get_absolute_url()
    _stored(url)
    reader = make_verified(UserFactory.create())
    client = _signed_in(reader)
    _member_page(client, url)  # the regions rendered and kept
    checks: list[int] = []
    real = pagecache._copies_fresh

    def counted(copies):
        checks.append(len(copies))
        return real(copies)

    monkeypatch.setattr(pagecache, "_copies_fresh", counted)
    single = pagecache._copy_fresh

    def counted_single(copy):
        checks.append(-1)
        return single(copy)

    monkeypatch.setattr(pagecache, "_copy_fresh", counted_single)
    _member_page(client, url)
    # The page and each kept region in one MGET batch, no lookup on its own.
    assert len(checks) == 1, checks
    assert checks[0] >= 3, checks
    # A kept region gone stale in that batch is still drawn again.
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipient_ids=[reader.pk],
            kind=Kind.values[0],
            actor_id=None,
            text="A reply while you read",
            url=url,
        )
    assert "A reply while you read" in _member_page(client, url)
