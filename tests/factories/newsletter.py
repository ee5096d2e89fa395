import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from apps.newsletter.models import (
    Campaign,
    Newsletter,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)


class NewsletterFactory(DjangoModelFactory[Newsletter]):
    class Meta:
        model = Newsletter
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Letter {n}")
    slug = factory.Sequence(lambda n: f"letter-{n}")


class SubscriberFactory(DjangoModelFactory[Subscriber]):
    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.com")
    confirmed_at = factory.LazyFunction(timezone.now)


class SubscriptionFactory(DjangoModelFactory[Subscription]):
    class Meta:
        model = Subscription

    subscriber = factory.SubFactory(SubscriberFactory)
    newsletter = factory.SubFactory(NewsletterFactory)
    status = SubscriptionStatus.ACTIVE
    subscribed_at = factory.LazyFunction(timezone.now)


class CampaignFactory(DjangoModelFactory[Campaign]):
    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    subject = factory.Sequence(lambda n: f"Campaign {n}")
    body = "Hello **readers**."
    body_html = "<p>Hello <strong>readers</strong>.</p>"
