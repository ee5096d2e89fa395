"""The staff subscriber list: search, filters by newsletter and status, fixed query count."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator

from apps.newsletter.directory import (
    campaigns_for_staff,
    post_email_campaign,
    subscriber_directory,
    suppression_list,
)
from apps.newsletter.models import CampaignStatus, SubscriptionStatus, Suppression
from tests.factories.blog import PostFactory
from tests.factories.newsletter import (
    CampaignFactory,
    NewsletterFactory,
    SubscriberFactory,
    SubscriptionFactory,
)
from tests.utils import count_queries

pytestmark = pytest.mark.django_db
S = SubscriptionStatus


@pytest.fixture
def letters():
    return NewsletterFactory.create(slug="a-letter"), NewsletterFactory.create(slug="b-letter")


def _emails(rows):
    return sorted(s.email for s in rows)


def _sub(email, letter, status=S.ACTIVE, **fields):
    subscriber = SubscriberFactory.create(email=email, **fields)
    SubscriptionFactory.create(subscriber=subscriber, newsletter=letter, status=status)
    return subscriber


def test_subscriber_directory_searches_part_of_the_address_case_blind(letters):
    _sub("ana@example.com", letters[0])
    _sub("bo@example.org", letters[0])
    assert _emails(subscriber_directory(q="  EXAMPLE.ORG ")) == ["bo@example.org"]
    assert len(subscriber_directory(q="")) == 2


def test_subscriber_directory_filters_by_newsletter(letters):
    _sub("ana@example.com", letters[0])
    _sub("bo@example.com", letters[1])
    assert _emails(subscriber_directory(newsletter_id=letters[1].pk)) == ["bo@example.com"]


def test_subscriber_directory_filters_by_status(letters):
    a, b = letters
    _sub("active@example.com", a)
    _sub("pending@example.com", a, S.PENDING, confirmed_at=None)
    left = _sub("left@example.com", a, S.UNSUBSCRIBED)
    SubscriptionFactory.create(subscriber=left, newsletter=b, status=S.UNSUBSCRIBED)
    half = _sub("half@example.com", a, S.UNSUBSCRIBED)
    SubscriptionFactory.create(subscriber=half, newsletter=b, status=S.ACTIVE)
    _sub("bounced@example.com", a)
    Suppression.objects.create(email="bounced@example.com", reason="bounced")

    assert _emails(subscriber_directory(status="confirmed")) == [
        "active@example.com",
        "half@example.com",
    ]
    assert _emails(subscriber_directory(status="pending")) == ["pending@example.com"]
    assert _emails(subscriber_directory(status="unsubscribed")) == ["left@example.com"]
    assert _emails(subscriber_directory(status="suppressed")) == ["bounced@example.com"]
    # With a newsletter, the status is about that newsletter.
    assert _emails(subscriber_directory(status="unsubscribed", newsletter_id=a.pk)) == [
        "half@example.com",
        "left@example.com",
    ]
    assert len(subscriber_directory(status="bogus")) == 5


def test_subscriber_directory_marks_suppressed_rows(letters):
    _sub("bounced@example.com", letters[0])
    Suppression.objects.create(email="bounced@example.com", reason="bounced")
    assert subscriber_directory().get().is_suppressed  # type: ignore[attr-defined]


@pytest.mark.parametrize("count", [1, 20])
def test_subscriber_directory_page_costs_three_queries(letters, count):
    for i in range(count):
        subscriber = _sub(f"r{i}@example.com", letters[0])
        SubscriptionFactory.create(subscriber=subscriber, newsletter=letters[1])
    with count_queries() as ctx:
        page = Paginator(subscriber_directory(q="example"), 25).get_page(1)
        for subscriber in page.object_list:
            _ = subscriber.is_suppressed
            _ = [s.newsletter.name for s in subscriber.subscriptions.all()]
    assert len(ctx) == 3  # count, page, subscriptions with their newsletters


def test_suppression_list_searches_by_address():
    Suppression.objects.create(email="one@example.com", reason="manual")
    Suppression.objects.create(email="two@example.org", reason="bounced")
    assert [s.email for s in suppression_list(q="ORG")] == ["two@example.org"]


def test_post_email_campaign_ignores_cancelled_ones():
    post = PostFactory.create()
    CampaignFactory.create(post=post, from_publish=True, status=CampaignStatus.CANCELLED)
    assert post_email_campaign(post.pk) is None
    waiting = CampaignFactory.create(post=post, from_publish=True, status=CampaignStatus.WAITING)
    assert post_email_campaign(post.pk) == waiting


def test_campaigns_for_staff_lists_newest_first():
    older, newer = CampaignFactory.create(), CampaignFactory.create()
    assert list(campaigns_for_staff()) == [newer, older]
