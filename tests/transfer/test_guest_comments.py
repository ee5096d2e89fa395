from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed, user_signed_up

from apps.comments.models import Comment
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def _guest_comments():
    return Comment.objects.filter(guest_name="Ann Guest")


def test_guest_comment_shows_name_but_never_email(run_wxr, blog_wxr, client):
    run_wxr(blog_wxr)
    page = client.get("/posts/hello-world/").content.decode()
    assert "Ann Guest" in page
    assert "guest" in page
    assert "ann@guest.example" not in page
    assert "in reply to Ann Guest" in page  # a level-2 reply to a guest


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_guest_comment_in_api_has_name_not_email(run_wxr, blog_wxr, client, version):
    from django.contrib.auth.models import AnonymousUser

    from apps.api.comments import embedded, representation, username_only

    run_wxr(blog_wxr)
    comment = _guest_comments().first()
    style = username_only if version == "v1" else embedded
    data = representation(comment, AnonymousUser(), style)
    assert data["author"] is None
    assert data["guest_name"] == "Ann Guest"
    assert "ann@guest.example" not in repr(data)


def test_guest_comments_become_a_confirmed_readers_own(run_wxr, blog_wxr):
    run_wxr(blog_wxr)
    reader = UserFactory.create(email="ann@guest.example")
    address = EmailAddress.objects.create(user=reader, email=reader.email, verified=False)
    user_signed_up.send(sender=type(reader), request=None, user=reader)
    assert _guest_comments().filter(author__isnull=True).count() == 2  # not yet confirmed
    email_confirmed.send(sender=EmailAddress, request=None, email_address=address)
    claimed = Comment.objects.filter(author=reader)
    assert claimed.count() == 2
    assert set(claimed.values_list("guest_email", flat=True)) == {""}


def test_guest_comments_claimed_at_signup_with_a_verified_address(run_wxr, blog_wxr):
    run_wxr(blog_wxr)
    reader = UserFactory.create(email="cy@guest.example")
    EmailAddress.objects.create(user=reader, email=reader.email, verified=True, primary=True)
    user_signed_up.send(sender=type(reader), request=None, user=reader)
    assert Comment.objects.filter(author=reader).count() == 1


def test_approving_a_held_guest_comment_notifies_with_the_guests_name(run_wxr, blog_wxr, admin):
    from apps.comments.services import notify_for_comment
    from apps.notifications.models import Notification

    run_wxr(blog_wxr)
    held = Comment.objects.get(guest_name="Held")
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PUBLISHED)
    notify_for_comment(comment_id=held.pk)
    texts = list(Notification.objects.values_list("text", flat=True))
    assert any(t.startswith("Held commented on your post") for t in texts), texts
