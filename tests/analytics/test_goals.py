import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from apps.analytics import selectors
from apps.analytics.models import Event
from apps.comments import services as comments
from apps.newsletter import subscribers
from apps.newsletter.models import Newsletter, Source
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.newsletter.test_subscribers import _confirm_link

pytestmark = pytest.mark.django_db


def _goals() -> dict[str, int]:
    today = timezone.localdate()
    return {row.value: row.pageviews for row in selectors.breakdown("goal", today, today)}


def test_confirming_a_newsletter_subscription_counts_a_goal(
    django_capture_on_commit_callbacks, mailoutbox, drain
):
    Newsletter.objects.get(slug="weekly")
    with django_capture_on_commit_callbacks(execute=True):
        subscribers.subscribe(email="ada@example.com", source=Source.POST)
    assert _goals() == {}
    with django_capture_on_commit_callbacks(execute=True):
        subscribers.confirm(token=_confirm_link(mailoutbox[0]))
    drain()
    assert _goals() == {"newsletter_confirmed": 1}


def test_posting_a_comment_counts_a_goal_on_its_post(django_capture_on_commit_callbacks, drain):
    from apps.comments.models import ModerationSettings
    from tests.comments.conftest import make_verified

    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hold": ModerationSettings.Hold.NONE}
    )
    post = PostFactory.create(comments_open=True)
    with django_capture_on_commit_callbacks(execute=True):
        comments.create_comment(actor=make_verified(UserFactory.create()), post=post, body="Nice")
    drain()
    event = Event.objects.get(name="comment_posted")
    assert (event.post_id, event.visitor_id, event.path) == (post.pk, None, post.get_absolute_url())


def test_a_rolled_back_comment_counts_no_goal(django_capture_on_commit_callbacks, drain):
    from tests.comments.conftest import make_verified

    post = PostFactory.create(comments_open=True)
    actor = make_verified(UserFactory.create())

    def post_then_fail() -> None:
        with transaction.atomic():
            comments.create_comment(actor=actor, post=post, body="Gone")
            raise RuntimeError

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        post_then_fail()
    drain()
    assert not Event.objects.exists()


def test_signing_up_counts_a_goal(django_capture_on_commit_callbacks, drain):
    from allauth.account.signals import user_signed_up

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with django_capture_on_commit_callbacks(execute=True):
        user_signed_up.send(sender=None, request=request, user=UserFactory.create())
    drain()
    assert _goals() == {"signed_up": 1}
