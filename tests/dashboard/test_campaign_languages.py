"""A campaign's versions in the site's languages, from the dashboard."""

import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.newsletter import campaigns
from apps.newsletter.models import Campaign
from tests.factories.newsletter import NewsletterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter():
    return NewsletterFactory.create()


def test_the_campaign_page_lists_its_languages_and_adds_a_version(client, login_as, letter):
    user = login_as(Role.EDITOR)
    campaign = campaigns.create_campaign(actor=user, subject="a", body="b", newsletters=[letter])
    page = reverse("dashboard:newsletter_campaign", args=[campaign.pk])
    html = client.get(page).content.decode()
    assert 'data-language="de"' in html
    response = client.post(
        reverse("dashboard:newsletter_version_create", args=[campaign.pk]), {"language": "de"}
    )
    version = Campaign.objects.get(translation_of=campaign, language="de")
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:newsletter_campaign", args=[version.pk])
    listing = client.get(reverse("dashboard:newsletter")).content.decode()
    assert listing.count(f'/newsletter/campaigns/{version.pk}/"') == 0  # listed on its campaign
