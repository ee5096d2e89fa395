from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.urls import reverse

from apps.newsletter import tokens
from apps.newsletter.mail import build_message, message_id, render_campaign
from apps.newsletter.models import Delivery
from apps.newsletter.tracking import open_url
from tests.factories.newsletter import CampaignFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

BODY = (
    "Hello **readers**. See [our post](/blog/hello/) and [elsewhere](https://example.org/a?b=1&c=2).\n\n"
    "![A cat](/media/cat.png)"
)


@pytest.fixture
def campaign():
    from apps.core.markdown import markdown_to_safe_html

    return CampaignFactory.create(
        subject="Spring issue",
        preheader="What grew this month",
        body=BODY,
        body_html=markdown_to_safe_html(BODY),
    )


@pytest.fixture
def delivery(campaign):
    subscriber = SubscriberFactory.create(email="ann@example.com")
    return Delivery.objects.create(campaign=campaign, subscriber=subscriber, email=subscriber.email)


def _token(url: str) -> tuple[int, int, int | None]:
    return tokens.read_manage_token(urlsplit(url).path.rstrip("/").rsplit("/", 1)[1])


def test_render_campaign_sets_one_click_unsubscribe_headers(settings, campaign, delivery):
    settings.SITE_URL = "https://blog.example.com"
    mail = render_campaign(campaign=campaign, delivery=delivery)
    header = mail.headers["List-Unsubscribe"]
    assert header.startswith("<https://blog.example.com/newsletter/unsubscribe/")
    assert header.endswith(">")
    assert "," not in header
    unsubscribe = header[1:-1]
    assert _token(unsubscribe) == (delivery.subscriber_id, 0, campaign.pk)
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.headers["Message-ID"] == message_id(delivery)
    assert mail.headers["Message-ID"].endswith("@blog.example.com>")
    # The same delivery always gets the same Message-ID (a resend is the same message).
    assert (
        render_campaign(campaign=campaign, delivery=delivery).headers["Message-ID"]
        == (mail.headers["Message-ID"])
    )
    assert f'href="{unsubscribe}"' in mail.html
    assert unsubscribe in mail.text
    preferences = [
        line.split(": ", 1)[1] for line in mail.text.splitlines() if "/preferences/" in line
    ]
    assert len(preferences) == 1
    assert f'href="{preferences[0]}"' in mail.html
    assert _token(preferences[0]) == (delivery.subscriber_id, 0, campaign.pk)


def test_render_campaign_mailto_unsubscribe_is_optional(settings, campaign, delivery):
    settings.NEWSLETTER_UNSUBSCRIBE_MAILTO = "leave@example.com"
    mail = render_campaign(campaign=campaign, delivery=delivery)
    assert mail.headers["List-Unsubscribe"].endswith(
        ", <mailto:leave@example.com?subject=unsubscribe>"
    )


def test_render_campaign_inlines_css_and_makes_urls_absolute(settings, campaign, delivery):
    settings.SITE_URL = "https://blog.example.com"
    mail = render_campaign(campaign=campaign, delivery=delivery)
    assert "<style" not in mail.html
    assert 'class="nl-body" style="' in mail.html
    assert "font-family: Georgia" in mail.html
    assert 'href="https://blog.example.com/blog/hello/"' in mail.html
    assert 'src="https://blog.example.com/media/cat.png"' in mail.html
    assert 'href="https://example.org/a?b=1&amp;c=2"' in mail.html
    assert 'href="/' not in mail.html
    assert 'src="/' not in mail.html
    assert "What grew this month" in mail.html  # the preheader
    assert mail.subject == "Spring issue"


def test_render_campaign_text_part_is_readable(settings, campaign, delivery):
    settings.SITE_URL = "https://blog.example.com"
    text = render_campaign(campaign=campaign, delivery=delivery).text
    assert "Hello readers." in text
    assert "our post <https://blog.example.com/blog/hello/>" in text
    assert "[A cat]" in text
    assert "<p>" not in text
    assert "&amp;" not in text


def test_render_campaign_preview_has_sample_links(campaign):
    mail = render_campaign(campaign=campaign)
    assert "Message-ID" not in mail.headers
    assert reverse("newsletter:page") in mail.headers["List-Unsubscribe"]


def test_build_message_is_multipart_with_headers(campaign, delivery):
    message = build_message(campaign=campaign, delivery=delivery).message()
    assert message.is_multipart()
    assert [part.get_content_type() for part in message.get_payload()] == [
        "text/plain",
        "text/html",
    ]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"] == message_id(delivery)


def test_tracking_off_leaves_links_and_adds_no_pixel(settings, campaign, delivery):
    settings.NEWSLETTER_TRACKING = False
    html = render_campaign(campaign=campaign, delivery=delivery).html
    assert reverse("newsletter:click") not in html
    assert "/newsletter/o/" not in html


def test_tracking_on_signs_links_and_adds_a_pixel(settings, client, campaign, delivery):
    settings.NEWSLETTER_TRACKING = True
    html = render_campaign(campaign=campaign, delivery=delivery).html
    assert open_url(delivery_id=delivery.pk) in html
    assert 'href="https://example.org/a' not in html
    # The footer links are never tracked.
    assert "/newsletter/unsubscribe/" in html
    clicks = [part.split('"')[0] for part in html.split('href="')[1:] if "/newsletter/c/" in part]
    assert len(clicks) == 2
    token = parse_qs(urlsplit(clicks[1].replace("&amp;", "&")).query)["t"][0]
    assert tokens.read_click_token(token) == (delivery.pk, "https://example.org/a?b=1&c=2")

    # A mail scanner's HEAD gets the same answer and counts as nothing.
    scanned = client.head(reverse("newsletter:click"), {"t": token})
    assert scanned.status_code == 302
    delivery.refresh_from_db()
    assert delivery.clicked_at is None

    response = client.get(reverse("newsletter:click"), {"t": token})
    assert response.status_code == 302
    assert response["Location"] == "https://example.org/a?b=1&c=2"
    delivery.refresh_from_db()
    first = delivery.clicked_at
    assert first is not None
    client.get(reverse("newsletter:click"), {"t": token})
    delivery.refresh_from_db()
    assert delivery.clicked_at == first  # stamped once


def test_click_refuses_a_tampered_or_foreign_token(settings, client, delivery):
    settings.NEWSLETTER_TRACKING = True
    token = tokens.click_url(delivery_id=delivery.pk, url="https://example.org/")
    token = parse_qs(urlsplit(token).query)["t"][0]
    forged = signing.dumps({"d": delivery.pk, "u": "https://evil.example/"}, salt="other")
    for bad in (token[:-2] + "xx", forged, ""):
        response = client.get(reverse("newsletter:click"), {"t": bad})
        assert response.status_code == 400
        assert "Location" not in response
    js = signing.dumps({"d": delivery.pk, "u": "javascript:alert(1)"}, salt=tokens.CLICK_SALT)
    assert client.get(reverse("newsletter:click"), {"t": js}).status_code == 400
    delivery.refresh_from_db()
    assert delivery.clicked_at is None


def test_open_pixel_stamps_only_with_tracking_on(settings, client, delivery):
    path = urlsplit(open_url(delivery_id=delivery.pk)).path
    settings.NEWSLETTER_TRACKING = False
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    delivery.refresh_from_db()
    assert delivery.opened_at is None
    settings.NEWSLETTER_TRACKING = True
    assert client.head(path).status_code == 200
    delivery.refresh_from_db()
    assert delivery.opened_at is None  # a HEAD is not an open
    client.get(path)
    delivery.refresh_from_db()
    assert delivery.opened_at is not None
    assert client.get(path[:-6] + "zz.gif").status_code == 200  # a bad token: same GIF
