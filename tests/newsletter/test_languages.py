"""Newsletters and languages: subscribers' language, campaign versions, per-language lists."""

from __future__ import annotations

import pytest
from django.core import mail as outbox
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from apps.newsletter import campaigns, subscribers
from apps.newsletter.models import Campaign, Subscriber
from tests.factories.newsletter import NewsletterFactory
from tests.newsletter.sending import audience

pytestmark = pytest.mark.django_db


def test_each_subscriber_gets_the_version_in_their_language_or_the_original(editor, letter):
    people = audience(3, letter)
    Subscriber.objects.filter(pk=people[0].pk).update(language="de")
    Subscriber.objects.filter(pk=people[1].pk).update(language="ar")  # no Arabic version
    campaign = campaigns.create_campaign(
        actor=editor, subject="Hello", body="English text.", newsletters=[letter]
    )
    german = campaigns.create_campaign_version(actor=editor, campaign=campaign, language="de")
    campaigns.update_campaign(
        actor=editor,
        campaign=german,
        subject="Hallo",
        preheader="",
        body="Deutscher Text.",
        newsletters=[letter],
    )
    campaigns.send_campaign(actor=editor, campaign=campaign)
    campaigns.send_due_campaigns(budget_seconds=5)
    sent = {message.to[0]: message for message in outbox.outbox}
    assert len(sent) == 3  # one mail each: versions go out with their campaign
    assert sent[people[0].email].subject == "Hallo"
    assert "Deutscher Text." in sent[people[0].email].body
    assert sent[people[1].email].subject == "Hello"
    assert sent[people[2].email].subject == "Hello"


def test_a_version_is_never_sent_on_its_own_and_bad_versions_are_refused(editor, letter):
    campaign = campaigns.create_campaign(actor=editor, subject="a", body="b", newsletters=[letter])
    german = campaigns.create_campaign_version(actor=editor, campaign=campaign, language="de")
    with pytest.raises(ValidationError, match="send the campaign it belongs to"):
        campaigns.send_campaign(actor=editor, campaign=german)
    with pytest.raises(ValidationError, match="already has that version"):
        campaigns.create_campaign_version(actor=editor, campaign=campaign, language="de")
    with pytest.raises(ValidationError, match="already in that language"):
        campaigns.create_campaign_version(actor=editor, campaign=campaign, language="en")
    with pytest.raises(ValidationError, match="does not publish"):
        campaigns.create_campaign_version(actor=editor, campaign=campaign, language="fr")
    assert Campaign.objects.filter(translation_of=campaign).count() == 1


def test_signing_up_on_a_page_records_its_language_and_its_languages_newsletters(letter):
    letter.is_default = True
    letter.save()
    german_only = NewsletterFactory.create(is_default=True, language="de")
    arabic_only = NewsletterFactory.create(is_default=True, language="ar")
    signup = subscribers.subscribe(email="leser@example.com", source="page", language="de")
    subscriber = Subscriber.objects.get(email="leser@example.com")
    assert subscriber.language == "de"
    pending = {n.pk for n in signup.pending}
    assert {letter.pk, german_only.pk} <= pending
    assert arabic_only.pk not in pending
    subscribers.subscribe(email="leser@example.com", source="page", language="xx")
    subscriber.refresh_from_db()
    assert subscriber.language == "de"  # not a site language: ignored


def test_the_box_posts_its_pages_language(client, letter):
    letter.is_default = True
    letter.save()
    client.post(
        reverse("newsletter:subscribe"),
        {"email": "lecteur@example.com", "source": "home", "language": "ar"},
    )
    assert Subscriber.objects.get(email="lecteur@example.com").language == "ar"


def test_the_confirmation_mail_is_in_the_sign_up_pages_language(
    letter, django_capture_on_commit_callbacks
):
    letter.is_default = True
    letter.save()
    with django_capture_on_commit_callbacks(execute=True):
        subscribers.subscribe(email="qari@example.com", source="page", language="ar")
    message = outbox.outbox[-1]
    assert isinstance(message, EmailMultiAlternatives)
    assert message.to == ["qari@example.com"]
    assert 'lang="ar"' in str(message.alternatives[0][0])
