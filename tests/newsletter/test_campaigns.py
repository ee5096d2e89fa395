from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail as outbox
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from apps.blog.models import Post
from apps.newsletter import campaigns, stats
from apps.newsletter import delivery as sending
from apps.newsletter.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.factories.newsletter import SubscriberFactory
from tests.newsletter.sending import audience

pytestmark = pytest.mark.django_db


def test_create_campaign_sanitises_markdown(editor, letter):
    campaign = campaigns.create_campaign(
        actor=editor, subject="  Hello  ", body="Hi <script>x()</script> **there**",
        newsletters=[letter],
    )  # fmt: skip
    assert campaign.subject == "Hello"
    assert campaign.status == CampaignStatus.DRAFT
    assert "<strong>there</strong>" in campaign.body_html
    assert "<script" not in campaign.body_html
    assert list(campaign.newsletters.all()) == [letter]


def test_create_campaign_refuses_readers_and_says_what_is_wrong(editor, letter):
    with pytest.raises(PermissionDenied):
        campaigns.create_campaign(
            actor=UserFactory.create(), subject="x", body="y", newsletters=[letter]
        )
    with pytest.raises(ValidationError) as error:
        campaigns.create_campaign(actor=editor, subject="", body="", newsletters=[])
    assert set(error.value.message_dict) == {"subject", "body", "newsletters"}
    assert not Campaign.objects.exists()


def test_campaign_from_post_needs_a_published_post(editor, letter):
    post = PostFactory.create(title="Gardens", subtitle="In winter")
    campaign = campaigns.campaign_from_post(actor=editor, post=post, newsletters=[letter])
    assert (campaign.subject, campaign.preheader, campaign.post) == ("Gardens", "In winter", post)
    draft = PostFactory.create(status=Post.Status.DRAFT, published_at=None)
    with pytest.raises(ValidationError):
        campaigns.campaign_from_post(actor=editor, post=draft, newsletters=[letter])


def test_update_campaign_only_before_sending(editor, letter):
    campaign = campaigns.create_campaign(actor=editor, subject="a", body="b", newsletters=[letter])
    campaigns.update_campaign(
        actor=editor, campaign=campaign, subject="c", preheader="p", body="d", newsletters=[letter]
    )
    campaign.refresh_from_db()
    assert (campaign.subject, campaign.preheader) == ("c", "p")
    campaigns.send_campaign(actor=editor, campaign=campaign)
    with pytest.raises(ValidationError):
        campaigns.update_campaign(
            actor=editor,
            campaign=campaign,
            subject="e",
            preheader="",
            body="f",
            newsletters=[letter],
        )


def test_send_test_goes_to_the_editor_only(editor, letter):
    campaign = campaigns.create_campaign(
        actor=editor, subject="News", body="b", newsletters=[letter]
    )
    campaigns.send_test(actor=editor, campaign=campaign)
    assert len(outbox.outbox) == 1
    message = outbox.outbox[0]
    assert message.to == ["editor@example.com"]
    assert message.subject == "[Test] News"
    assert isinstance(message, EmailMultiAlternatives)
    assert message.alternatives[0][1] == "text/html"
    assert not Delivery.objects.exists()


def test_send_campaign_now_or_later(editor, letter):
    audience(3, letter)
    campaign = campaigns.create_campaign(actor=editor, subject="a", body="b", newsletters=[letter])
    with pytest.raises(ValidationError):
        campaigns.send_campaign(actor=editor, campaign=campaign, at=timezone.now() - timedelta(1))
    later = timezone.now() + timedelta(hours=1)
    campaigns.send_campaign(actor=editor, campaign=campaign, at=later)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert campaign.scheduled_at == later
    assert campaigns.send_due_campaigns(budget_seconds=5)["started"] == 0
    Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=timezone.now())
    assert campaigns.send_due_campaigns(budget_seconds=5) == {"started": 1, "resumed": 1}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert campaign.recipients_count == 3
    assert len(outbox.outbox) == 3


def test_email_post_when_live_waits_for_a_scheduled_post(editor, letter):
    audience(2, letter)
    post = PostFactory.create(
        status=Post.Status.SCHEDULED, published_at=timezone.now() + timedelta(hours=1)
    )
    campaign = campaigns.email_post_when_live(actor=editor, post=post, newsletters=[letter])
    assert campaign.status == CampaignStatus.WAITING
    assert campaign.from_publish
    again = campaigns.email_post_when_live(actor=editor, post=post, newsletters=[letter])
    assert again.pk == campaign.pk  # asking twice while waiting is one campaign
    campaigns.send_due_campaigns(budget_seconds=5)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.WAITING
    # The post goes live (blog's own publish step), and is edited on the way.
    Post.objects.filter(pk=post.pk).update(
        status=Post.Status.PUBLISHED, published_at=timezone.now(), title="Final title"
    )
    campaigns.send_due_campaigns(budget_seconds=5)
    campaigns.send_due_campaigns(budget_seconds=5)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert campaign.subject == "Final title"
    assert len(outbox.outbox) == 2
    with pytest.raises(ValidationError):
        campaigns.email_post_when_live(actor=editor, post=post, newsletters=[letter])


def test_email_post_when_live_starts_at_once_for_a_live_post(editor, letter):
    post = PostFactory.create()
    campaign = campaigns.email_post_when_live(actor=editor, post=post, newsletters=[letter])
    assert campaign.status == CampaignStatus.SENDING


def test_cancel_campaign_skips_what_is_left(editor, letter):
    audience(3, letter)
    campaign = campaigns.create_campaign(actor=editor, subject="a", body="b", newsletters=[letter])
    campaigns.send_campaign(actor=editor, campaign=campaign)
    sending.queue_campaign(campaign_id=campaign.pk)
    campaigns.cancel_campaign(actor=editor, campaign=campaign)
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SKIPPED}
    with pytest.raises(ValidationError):
        campaigns.cancel_campaign(actor=editor, campaign=campaign)


def test_campaign_stats_counts_in_two_queries(settings, editor, letter, django_assert_num_queries):
    audience(4, letter)
    campaign = campaigns.create_campaign(actor=editor, subject="a", body="b", newsletters=[letter])
    campaigns.send_campaign(actor=editor, campaign=campaign)
    sending.queue_campaign(campaign_id=campaign.pk)
    rows = list(Delivery.objects.order_by("id"))
    Delivery.objects.filter(pk=rows[0].pk).update(status="sent", bounced_at=timezone.now())
    Delivery.objects.filter(pk=rows[1].pk).update(status="failed", error="550 No such user")
    Delivery.objects.filter(pk=rows[2].pk).update(status="sent", opened_at=timezone.now())
    with django_assert_num_queries(2):
        result = stats.campaign_stats(campaign)
    assert (result.recipients, result.sent, result.failed, result.bounced) == (4, 2, 1, 1)
    assert result.opened is None
    assert result.clicked is None
    assert [(r.reason, r.count) for r in result.reasons] == [("550 No such user", 1)]
    settings.NEWSLETTER_TRACKING = True
    assert stats.campaign_stats(campaign).opened == 1


def test_subscriber_growth_walks_back_from_today(letter, django_assert_num_queries):
    audience(3, letter)
    old = SubscriberFactory.create(confirmed_at=timezone.now() - timedelta(days=5))
    from tests.factories.newsletter import SubscriptionFactory

    SubscriptionFactory.create(subscriber=old, newsletter=letter)
    with django_assert_num_queries(3):
        series = stats.subscriber_growth(days=10)
    assert len(series) == 10
    day, total, new, left = series[-1]
    assert (day, total, new, left) == (timezone.localdate(), 4, 3, 0)
    assert series[0].total == 0
    assert series[-6].new == 1
