"""Following authors: the services, the button's views, the cached pages, the fan-out."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from apps.accounts.models import Follow, User
from apps.accounts.roles import Role
from apps.accounts.selectors import followed_author_ids, follower_ids, is_following
from apps.accounts.services import follow_author, unfollow_author
from apps.blog.services import notices
from apps.blog.services.workflow import archive_post, publish_post
from apps.notifications.models import Delivery, Kind, Notification, NotificationPreference
from tests.accounts.conftest import make_user_with_role
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def author():
    return UserFactory.create(username="ada", display_name="Ada")


@pytest.fixture
def reader():
    return UserFactory.create(username="bob")


# --- services and selectors ------------------------------------------------------------


def test_follow_author_is_idempotent(reader, author):
    first = follow_author(actor=reader, author=author)
    again = follow_author(actor=reader, author=author)
    assert first.pk == again.pk
    assert Follow.objects.count() == 1
    assert is_following(follower=reader, author_id=author.pk)
    assert followed_author_ids(follower=reader, author_ids=[author.pk, reader.pk]) == {author.pk}


def test_follow_author_rejects_following_yourself(reader):
    with pytest.raises(ValidationError, match="yourself"):
        follow_author(actor=reader, author=reader)
    assert not Follow.objects.exists()


def test_follow_author_rejects_a_closed_account(reader):
    closed = UserFactory.create(is_active=False)
    with pytest.raises(ValidationError, match="closed"):
        follow_author(actor=reader, author=closed)


def test_follow_author_needs_a_signed_in_reader(author):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        follow_author(actor=AnonymousUser(), author=author)  # type: ignore[arg-type]


def test_the_database_refuses_a_self_follow_and_a_duplicate(reader, author):
    Follow.objects.create(follower=reader, author=author)
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(follower=reader, author=author)
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(follower=reader, author=reader)


def test_unfollow_author_says_whether_anything_changed(reader, author):
    follow_author(actor=reader, author=author)
    assert unfollow_author(actor=reader, author=author) is True
    assert unfollow_author(actor=reader, author=author) is False
    assert not is_following(follower=reader, author_id=author.pk)


def test_follower_ids_skips_closed_accounts_and_counts_each_reader_once(author):
    coauthor = UserFactory.create()
    both = UserFactory.create()
    closed = UserFactory.create()
    for follower in (both, closed):
        Follow.objects.create(follower=follower, author=author)
    Follow.objects.create(follower=both, author=coauthor)
    closed.is_active = False
    closed.save()
    assert list(follower_ids(author_ids=[author.pk, coauthor.pk])) == [both.pk]


# --- publishing tells the followers ----------------------------------------------------


def _follow(count: int, author) -> list[User]:
    readers = UserFactory.create_batch(count)
    Follow.objects.bulk_create([Follow(follower=r, author=author) for r in readers])
    return readers


def test_publishing_notifies_followers_after_commit_with_their_delivery(
    author, django_capture_on_commit_callbacks
):
    in_app, by_mail, silent = _follow(3, author)
    NotificationPreference.objects.create(
        user=by_mail, kind=Kind.AUTHOR_PUBLISHED, delivery=Delivery.EMAIL
    )
    NotificationPreference.objects.create(
        user=silent, kind=Kind.AUTHOR_PUBLISHED, delivery=Delivery.OFF
    )
    post = PostFactory.create(author=author, status="draft", published_at=None, title="Fresh")
    editor = make_user_with_role(Role.EDITOR)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publish_post(actor=editor, post=post)
    # Nothing for the followers until the publishing transaction has committed.
    assert not Notification.objects.filter(kind=Kind.AUTHOR_PUBLISHED).exists()
    for callback in callbacks:
        callback()
    told = Notification.objects.filter(kind=Kind.AUTHOR_PUBLISHED, post=post)
    assert {n.recipient_id: n.email_due for n in told} == {in_app.pk: False, by_mail.pk: True}
    notification = told.get(recipient=in_app)
    assert notification.text == "Ada published “Fresh”"
    assert notification.url == post.get_absolute_url()


def test_a_post_published_again_is_not_announced_twice(author, django_capture_on_commit_callbacks):
    (follower,) = _follow(1, author)
    post = PostFactory.create(author=author, status="draft", published_at=None)
    editor = make_user_with_role(Role.EDITOR)
    with django_capture_on_commit_callbacks(execute=True):
        publish_post(actor=editor, post=post)
    with django_capture_on_commit_callbacks(execute=True):
        archive_post(actor=editor, post=post)
    post.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        publish_post(actor=editor, post=post)
    assert Notification.objects.filter(recipient=follower, kind=Kind.AUTHOR_PUBLISHED).count() == 1


def test_the_author_is_not_told_as_their_own_follower(author):
    coauthor = UserFactory.create()
    Follow.objects.create(follower=coauthor, author=author)
    post = PostFactory.create(author=author)
    post.coauthors.add(coauthor)
    assert notices.notify_followers(post_id=post.pk) == 0


def test_an_unpublished_post_tells_nobody(author):
    _follow(2, author)
    draft = PostFactory.create(author=author, status="draft", published_at=None)
    assert notices.notify_followers(post_id=draft.pk) == 0


def test_notifying_followers_costs_the_same_queries_for_one_or_many(author, settings):
    one = PostFactory.create(author=author)
    _follow(1, author)
    with count_queries() as few:
        assert notices.notify_followers(post_id=one.pk) == 1
    other_author = UserFactory.create()
    many = PostFactory.create(author=other_author)
    _follow(60, other_author)
    with count_queries() as lots:
        assert notices.notify_followers(post_id=many.pk) == 60
    assert len(lots) == len(few)


def test_followers_beyond_a_batch_are_all_told(author, monkeypatch):
    monkeypatch.setattr(notices, "FOLLOWER_BATCH", 2)
    readers = _follow(5, author)
    post = PostFactory.create(author=author)
    assert notices.notify_followers(post_id=post.pk) == 5
    assert set(
        Notification.objects.filter(kind=Kind.AUTHOR_PUBLISHED).values_list(
            "recipient_id", flat=True
        )
    ) == {r.pk for r in readers}


# --- the button's views ----------------------------------------------------------------


def _signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def test_follow_view_sends_anonymous_readers_to_sign_in(client, author):
    response = client.post("/accounts/follow/ada/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Follow.objects.exists()


def test_follow_view_refuses_get(reader, author):
    assert _signed_in(reader).get("/accounts/follow/ada/").status_code == 405


def test_follow_view_answers_404_for_an_unknown_author(reader):
    assert _signed_in(reader).post("/accounts/follow/nobody/").status_code == 404


def test_follow_view_needs_a_csrf_token(reader, author):
    client = _signed_in(reader, enforce_csrf_checks=True)
    assert client.post("/accounts/follow/ada/").status_code == 403
    assert not Follow.objects.exists()


def test_follow_view_htmx_returns_the_new_button(reader, author):
    client = _signed_in(reader, headers={"HX-Request": "true"})
    response = client.post("/accounts/follow/ada/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="follow-ada"')
    assert "Following" in html
    assert 'aria-pressed="true"' in html
    assert "You’ll hear when Ada publishes." in html
    assert is_following(follower=reader, author_id=author.pk)

    response = client.post("/accounts/unfollow/ada/")
    assert "You no longer follow Ada." in response.content.decode()
    assert not is_following(follower=reader, author_id=author.pk)


def test_follow_view_without_htmx_redirects_back(reader, author):
    response = _signed_in(reader).post("/accounts/follow/ada/", {"next": "/posts/some-post/"})
    assert response.status_code == 302
    assert response["Location"] == "/posts/some-post/"
    assert is_following(follower=reader, author_id=author.pk)


def test_follow_view_never_redirects_off_site(reader, author):
    response = _signed_in(reader).post("/accounts/follow/ada/", {"next": "https://evil.example/"})
    assert response["Location"] == author.get_absolute_url()


def test_following_yourself_shows_the_reason_in_place(author):
    client = _signed_in(author, headers={"HX-Request": "true"})
    response = client.post("/accounts/follow/ada/")
    assert response.status_code == 200
    assert not Follow.objects.exists()


# --- cached pages: the state is filled in per reader, never stored ---------------------


@pytest.mark.usefixtures("page_cache")
def test_a_cached_post_page_holds_only_the_anonymous_button(reader, author):
    post = PostFactory.create(author=author)
    url = post.get_absolute_url()
    Client().get(url)
    anonymous = Client().get(url)
    assert anonymous["X-Page-Cache"] == "hit"
    html = anonymous.content.decode()
    assert "/accounts/login/?next=" in html
    assert "/accounts/follow/ada/" not in html

    follow_author(actor=reader, author=author)
    member = _signed_in(reader).get(url)
    assert member["X-Page-Cache"] == "member"
    assert "Following" in member.content.decode()
    assert member["Cache-Control"] == "private, no-cache"

    unfollow_author(actor=reader, author=author)
    again = _signed_in(reader).get(url).content.decode()
    assert "/accounts/follow/ada/" in again
    assert "Following<" not in again
    # Everyone else still gets the stored anonymous page.
    assert Client().get(url)["X-Page-Cache"] == "hit"


@pytest.mark.usefixtures("page_cache")
def test_the_author_sees_no_follow_button_for_themselves(author):
    post = PostFactory.create(author=author)
    Client().get(post.get_absolute_url())
    html = _signed_in(author).get(post.get_absolute_url()).content.decode()
    assert "/accounts/follow/ada/" not in html
    assert "/accounts/login/?next=" not in html


def test_a_closed_accounts_posts_offer_no_follow_button(client):
    closed = UserFactory.create(username="gone")
    post = PostFactory.create(author=closed)
    closed.is_active = False
    closed.save()
    response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "About the author" in html
    assert "personal:follow" not in html
    assert 'id="follow-gone"' not in html
