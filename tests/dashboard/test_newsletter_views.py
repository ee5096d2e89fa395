"""The newsletter pages: who may open them, full page and htmx partial, query budgets,
import/export, suppressions, campaigns (create, preview, test, send, cancel), results and
the post editor's "also email this post".
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import Role
from apps.blog.models import Post
from apps.newsletter.models import (
    Campaign,
    CampaignStatus,
    Consent,
    Delivery,
    DeliveryStatus,
    Subscriber,
    SubscriptionStatus,
    Suppression,
)
from tests.dashboard.conftest import _post, _queries
from tests.factories.newsletter import (
    CampaignFactory,
    NewsletterFactory,
    SubscriberFactory,
    SubscriptionFactory,
)
from tests.utils import inline_code

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
LIST = reverse("dashboard:newsletter")
NEW = reverse("dashboard:newsletter_campaign_new")
SUBSCRIBERS = reverse("dashboard:newsletter_subscribers")
IMPORT = reverse("dashboard:newsletter_import")
EXPORT = reverse("dashboard:newsletter_export")
SUPPRESSIONS = reverse("dashboard:newsletter_suppressions")
SUPPRESS = reverse("dashboard:newsletter_suppression_add")
GROWTH = reverse("dashboard:newsletter_growth")


@pytest.fixture
def weekly():
    return NewsletterFactory.create(slug="weekly-views", name="Weekly views")


@pytest.fixture
def campaign(weekly):
    campaign = CampaignFactory.create(subject="Spring notes")
    campaign.newsletters.set([weekly])
    return campaign


def _campaign_urls(campaign):
    return [
        reverse("dashboard:newsletter_campaign", args=[campaign.pk]),
        reverse("dashboard:newsletter_campaign_preview", args=[campaign.pk]),
        reverse("dashboard:newsletter_stats", args=[campaign.pk]),
    ]


# --------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"), [(None, 403), (Role.AUTHOR, 403), (Role.EDITOR, 200), (Role.ADMIN, 200)]
)
def test_newsletter_pages_are_for_editors_and_admins(client, login_as, campaign, role, status):
    login_as(role)
    for url in [LIST, NEW, SUBSCRIBERS, IMPORT, SUPPRESSIONS, GROWTH, *_campaign_urls(campaign)]:
        assert client.get(url).status_code == status, url


@pytest.mark.parametrize("role", [None, Role.AUTHOR])
def test_newsletter_writes_are_refused_to_readers_and_authors(client, login_as, campaign, role):
    login_as(role)
    row = Suppression.objects.create(email="kept@example.com", reason="manual")
    for url in [
        SUPPRESS,
        reverse("dashboard:newsletter_suppression_remove", args=[row.pk]),
        IMPORT,
        NEW,
        reverse("dashboard:newsletter_send", args=[campaign.pk]),
        reverse("dashboard:newsletter_test", args=[campaign.pk]),
        reverse("dashboard:newsletter_cancel", args=[campaign.pk]),
    ]:
        assert client.post(url, {"email": "x@example.com", "when": "now"}).status_code == 403, url
    assert Suppression.objects.get().email == "kept@example.com"
    assert Campaign.objects.get().status == CampaignStatus.DRAFT


def test_newsletter_pages_send_anonymous_visitors_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize(("role", "status"), [(Role.EDITOR, 403), (Role.ADMIN, 200)])
def test_export_is_for_admins_only(client, login_as, role, status):
    login_as(role)
    assert client.get(EXPORT).status_code == status


def test_export_streams_a_csv_of_every_subscriber(client, login_as, weekly):
    login_as(Role.ADMIN)
    SubscriptionFactory.create(newsletter=weekly, subscriber__email="ana@example.com")
    response = client.get(EXPORT)
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][0] == "ana@example.com"
    assert rows[1][3] == "weekly-views"


def test_export_button_shows_for_admins_only(client, login_as):
    login_as(Role.EDITOR)
    assert EXPORT not in client.get(SUBSCRIBERS).content.decode()
    client.logout()
    login_as(Role.ADMIN)
    assert EXPORT in client.get(SUBSCRIBERS).content.decode()


def test_navigation_offers_the_newsletter_to_editors_not_authors(client, login_as):
    login_as(Role.AUTHOR)
    assert f'href="{LIST}"' not in client.get(reverse("dashboard:home")).content.decode()
    client.logout()
    login_as(Role.EDITOR)
    assert f'href="{LIST}"' in client.get(reverse("dashboard:home")).content.decode()


# --------------------------------------------------------------------------
# Subscribers
# --------------------------------------------------------------------------


def test_subscriber_list_full_page_and_partial(client, login_as, weekly):
    login_as(Role.EDITOR)
    SubscriptionFactory.create(newsletter=weekly, subscriber__email="ana@example.com")
    SubscriptionFactory.create(
        newsletter=weekly,
        subscriber__email="bo@example.com",
        subscriber__confirmed_at=None,
        status=SubscriptionStatus.PENDING,
    )
    page = client.get(SUBSCRIBERS)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'aria-label="Dashboard"' in html
    assert "ana@example.com" in html
    assert "bo@example.com" in html
    assert inline_code(html) == []

    partial = client.get(SUBSCRIBERS, {"status": "pending"}, headers=HTMX)
    body = partial.content.decode()
    assert partial.status_code == 200
    assert body.lstrip().startswith('<div id="subscriber-results"')
    assert "bo@example.com" in body
    assert "ana@example.com" not in body
    assert "HX-Request" in partial["Vary"]


def test_subscriber_list_searches_and_filters(client, login_as, weekly):
    login_as(Role.EDITOR)
    other = NewsletterFactory.create()
    SubscriptionFactory.create(newsletter=weekly, subscriber__email="ana@example.com")
    SubscriptionFactory.create(newsletter=other, subscriber__email="bo@example.org")
    html = client.get(SUBSCRIBERS, {"q": "ORG"}).content.decode()
    assert "bo@example.org" in html
    assert "ana@example.com" not in html
    html = client.get(SUBSCRIBERS, {"newsletter": weekly.pk}).content.decode()
    assert "ana@example.com" in html
    assert "bo@example.org" not in html
    # A filter that makes no sense is ignored, not an error.
    assert client.get(SUBSCRIBERS, {"newsletter": "nope", "status": "x"}).status_code == 200


@pytest.mark.parametrize("url", [SUBSCRIBERS, SUPPRESSIONS, LIST])
def test_newsletter_lists_cost_the_same_for_1_and_20_rows(client, login_as, weekly, url):
    login_as(Role.EDITOR)
    other = NewsletterFactory.create()

    def add(n):
        for _ in range(n):
            subscriber = SubscriberFactory.create()
            SubscriptionFactory.create(subscriber=subscriber, newsletter=weekly)
            SubscriptionFactory.create(subscriber=subscriber, newsletter=other)
            Suppression.objects.create(email=f"s{subscriber.pk}@example.com", reason="manual")
            campaign = CampaignFactory.create()
            campaign.newsletters.set([weekly, other])

    add(1)
    one = _queries(client, url)
    add(19)
    assert _queries(client, url) == one


# --------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------


def _upload(text, name="list.csv"):
    upload = io.BytesIO(text.encode())
    upload.name = name
    return upload


def test_import_page_full_and_partial(client, login_as):
    login_as(Role.EDITOR)
    html = client.get(IMPORT).content.decode()
    assert 'name="consent"' in html
    assert 'type="file"' in html
    partial = client.get(IMPORT, headers=HTMX).content.decode()
    assert partial.lstrip().startswith('<div id="import-form"')


def test_import_without_consent_imports_nothing(client, login_as, weekly):
    login_as(Role.EDITOR)
    response = client.post(
        IMPORT, {"file": _upload("email\nana@example.com\n"), "newsletters": [weekly.pk]}
    )
    assert response.status_code == 200
    assert "agreed to be mailed" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_import_with_a_broken_row_shows_the_report_and_imports_nothing(client, login_as, weekly):
    login_as(Role.EDITOR)
    response = client.post(
        IMPORT,
        {
            "file": _upload("email\nana@example.com\nbroken\n"),
            "newsletters": [weekly.pk],
            "consent": "on",
        },
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was imported" in html
    assert "This is not a valid email address." in html
    assert not Subscriber.objects.exists()


def test_import_adds_the_subscribers(client, login_as, weekly):
    user = login_as(Role.EDITOR)
    response = client.post(
        IMPORT,
        {
            "file": _upload("email\nana@example.com\nbo@example.com\n"),
            "newsletters": [weekly.pk],
            "consent": "on",
            "note": "Fair sheet",
        },
        headers=HTMX,
    )
    assert "Imported 2 rows" in response.content.decode()
    assert Subscriber.objects.count() == 2
    assert set(Consent.objects.values_list("recorded_by", flat=True)) == {user.pk}


# --------------------------------------------------------------------------
# Suppressions
# --------------------------------------------------------------------------


def test_suppression_add_and_remove_over_htmx(client, login_as):
    login_as(Role.EDITOR)
    response = client.post(SUPPRESS, {"email": "Spam@Example.com", "detail": "asked"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="suppression-results"')
    assert "spam@example.com is suppressed" in html
    row = Suppression.objects.get()
    response = client.post(
        reverse("dashboard:newsletter_suppression_remove", args=[row.pk]), headers=HTMX
    )
    assert "is off the suppression list" in response.content.decode()
    assert not Suppression.objects.exists()


def test_suppression_add_with_a_bad_address_shows_the_error(client, login_as):
    login_as(Role.EDITOR)
    response = client.post(SUPPRESS, {"email": "nope"}, headers=HTMX)
    assert "Enter a valid email address." in response.content.decode()
    assert not Suppression.objects.exists()


def test_suppression_add_without_javascript_redirects_with_a_message(client, login_as):
    login_as(Role.EDITOR)
    response = client.post(SUPPRESS, {"email": "a@example.com"}, follow=True)
    assert response.redirect_chain[-1][0] == SUPPRESSIONS
    assert "a@example.com is suppressed" in response.content.decode()


# --------------------------------------------------------------------------
# Campaigns
# --------------------------------------------------------------------------


def test_campaign_list_full_page_and_partial(client, login_as, campaign):
    login_as(Role.EDITOR)
    html = client.get(LIST).content.decode()
    assert "Spring notes" in html
    assert "Weekly views" in html
    partial = client.get(LIST, headers=HTMX).content.decode()
    assert partial.lstrip().startswith('<div id="campaign-results"')


def test_campaign_new_from_a_published_post(client, login_as, weekly):
    user = login_as(Role.EDITOR)
    post = _post(user, Post.Status.PUBLISHED, title="Small tools")
    response = client.post(
        NEW, {"kind": "post", "from-post-post": post.pk, "from-post-newsletters": [weekly.pk]}
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:newsletter_campaign", args=[campaign.pk])
    assert (campaign.subject, campaign.post) == ("Small tools", post)
    assert list(campaign.newsletters.all()) == [weekly]


def test_campaign_new_refuses_a_post_that_is_not_published(client, login_as, weekly):
    user = login_as(Role.EDITOR)
    draft = _post(user, Post.Status.DRAFT)
    response = client.post(
        NEW,
        {"kind": "post", "from-post-post": draft.pk, "from-post-newsletters": [weekly.pk]},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "That post is not published." in response.content.decode()
    assert not Campaign.objects.exists()


def test_campaign_new_written_in_markdown_over_htmx(client, login_as, weekly):
    login_as(Role.EDITOR)
    response = client.post(
        NEW,
        {
            "kind": "write",
            "write-subject": "Hello",
            "write-body": "Some **news**.",
            "write-newsletters": [weekly.pk],
        },
        headers=HTMX,
    )
    campaign = Campaign.objects.get()
    assert response["HX-Redirect"] == reverse("dashboard:newsletter_campaign", args=[campaign.pk])
    assert campaign.subject == "Hello"


def test_campaign_new_needs_a_subject_and_a_newsletter(client, login_as):
    login_as(Role.EDITOR)
    response = client.post(NEW, {"kind": "write"}, headers=HTMX)
    html = response.content.decode()
    assert "Give the mail a subject." in html
    assert "Choose at least one newsletter." in html
    assert not Campaign.objects.exists()


def test_campaign_editor_page_shows_frames_and_holds_the_csp(client, login_as, campaign):
    login_as(Role.EDITOR)
    response = client.get(reverse("dashboard:newsletter_campaign", args=[campaign.pk]))
    html = response.content.decode()
    preview = reverse("dashboard:newsletter_campaign_preview", args=[campaign.pk])
    assert html.count(f'src="{preview}?') == 3  # narrow, wide, plain text
    assert 'width="375"' in html
    assert 'sandbox=""' in html
    assert inline_code(html) == []
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_campaign_preview_is_sandboxed_and_framable_by_this_site_only(client, login_as, campaign):
    login_as(Role.EDITOR)
    url = reverse("dashboard:newsletter_campaign_preview", args=[campaign.pk])
    response = client.get(url)
    policy = response["Content-Security-Policy"]
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in policy
    assert "sandbox" in policy
    assert "script-src" not in policy
    assert "default-src 'none'" in policy
    assert "readers" in response.content.decode()
    text = client.get(url, {"part": "text"})
    assert text["Content-Type"].startswith("text/plain")


def test_campaign_edit_saves_over_htmx(client, login_as, campaign, weekly):
    login_as(Role.EDITOR)
    url = reverse("dashboard:newsletter_campaign", args=[campaign.pk])
    response = client.post(
        url,
        {"write-subject": "New subject", "write-body": "x", "write-newsletters": [weekly.pk]},
        headers=HTMX,
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="campaign-panel"')
    assert "Saved." in html
    assert Campaign.objects.get().subject == "New subject"


def test_campaign_send_test_goes_to_the_editor(client, login_as, campaign):
    user = login_as(Role.EDITOR)
    response = client.post(reverse("dashboard:newsletter_test", args=[campaign.pk]), headers=HTMX)
    assert f"Test sent to {user.email}" in response.content.decode()
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert mail.outbox[0].subject.startswith("[Test]")


def test_campaign_schedule_then_cancel(client, login_as, campaign):
    login_as(Role.EDITOR)
    at = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("dashboard:newsletter_send", args=[campaign.pk]),
        {"when": "later", "at": at},
        headers=HTMX,
    )
    assert "Scheduled for" in response.content.decode()
    assert Campaign.objects.get().status == CampaignStatus.SCHEDULED
    response = client.post(reverse("dashboard:newsletter_cancel", args=[campaign.pk]), headers=HTMX)
    assert "Cancelled" in response.content.decode()
    assert Campaign.objects.get().status == CampaignStatus.CANCELLED


def test_campaign_schedule_in_the_past_is_refused(client, login_as, campaign):
    login_as(Role.EDITOR)
    response = client.post(
        reverse("dashboard:newsletter_send", args=[campaign.pk]),
        {"when": "later", "at": "2001-01-01T10:00"},
        headers=HTMX,
    )
    assert "Choose a time in the future." in response.content.decode()
    assert Campaign.objects.get().status == CampaignStatus.DRAFT


def test_campaign_send_now(client, login_as, campaign):
    login_as(Role.EDITOR)
    response = client.post(
        reverse("dashboard:newsletter_send", args=[campaign.pk]), {"when": "now"}
    )
    assert response.status_code == 302
    assert Campaign.objects.get().status in {CampaignStatus.SENDING, CampaignStatus.SENT}


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------


def test_campaign_stats_page_draws_a_chart_with_a_table(client, login_as, campaign):
    login_as(Role.EDITOR)
    Delivery.objects.create(campaign=campaign, email="a@example.com", status=DeliveryStatus.SENT)
    Delivery.objects.create(
        campaign=campaign,
        email="b@example.com",
        status=DeliveryStatus.FAILED,
        error="550 mailbox unavailable",
    )
    url = reverse("dashboard:newsletter_stats", args=[campaign.pk])
    html = client.get(url).content.decode()
    assert "<svg" in html
    assert 'aria-hidden="true"' in html
    assert '<th scope="row"' in html
    assert "Recipients" in html
    assert inline_code(html) == []
    partial = client.get(url, headers=HTMX).content.decode()
    assert partial.lstrip().startswith('<div id="campaign-results"')
    assert "550 mailbox unavailable" in html
    assert "tracking is off" in html


def test_growth_page_draws_a_line_with_a_table(client, login_as):
    login_as(Role.EDITOR)
    html = client.get(GROWTH, {"days": "30"}).content.decode()
    assert "<polyline" in html or "No subscribers yet." in html
    assert "last 30 days" in html
    assert inline_code(html) == []
    partial = client.get(GROWTH, headers=HTMX).content.decode()
    assert partial.lstrip().startswith('<section id="growth-chart"')


# --------------------------------------------------------------------------
# The post editor: "also email this post to subscribers of …"
# --------------------------------------------------------------------------


def test_post_editor_offers_to_email_the_post_to_editors(client, login_as, weekly):
    user = login_as(Role.EDITOR)
    post = _post(user, Post.Status.SCHEDULED)
    html = client.get(reverse("dashboard:post_edit", args=[post.pk])).content.decode()
    assert "Also email this post to subscribers" in html
    assert reverse("dashboard:post_email", args=[post.pk]) in html


def test_post_editor_has_no_email_choice_for_authors(client, login_as, weekly):
    user = login_as(Role.AUTHOR)
    post = _post(user, Post.Status.DRAFT)
    html = client.get(reverse("dashboard:post_edit", args=[post.pk])).content.decode()
    assert "Also email this post" not in html
    response = client.post(
        reverse("dashboard:post_email", args=[post.pk]), {"newsletters": [weekly.pk]}
    )
    assert response.status_code == 403
    assert not Campaign.objects.exists()


def test_post_email_waits_for_the_post_to_go_live(client, login_as, weekly):
    user = login_as(Role.EDITOR)
    post = _post(user, Post.Status.SCHEDULED)
    response = client.post(
        reverse("dashboard:post_email", args=[post.pk]),
        {"newsletters": [weekly.pk]},
        headers=HTMX,
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="workflow-panel"')
    assert "when it goes live" in html
    campaign = Campaign.objects.get()
    assert (campaign.post, campaign.from_publish, campaign.status) == (
        post,
        True,
        CampaignStatus.WAITING,
    )
    # Once chosen, the panel says so instead of offering it again.
    html = client.get(reverse("dashboard:post_edit", args=[post.pk])).content.decode()
    assert "Also email this post to subscribers" not in html
    assert "Will be emailed once, when it goes live" in html


def test_post_email_needs_a_newsletter(client, login_as):
    user = login_as(Role.EDITOR)
    post = _post(user, Post.Status.SCHEDULED)
    response = client.post(reverse("dashboard:post_email", args=[post.pk]), {}, headers=HTMX)
    assert "Choose at least one newsletter." in response.content.decode()
    assert not Campaign.objects.exists()


def test_campaign_results_refresh_while_sending_and_stop_once_sent(client, login_as, campaign):
    login_as(Role.EDITOR)
    url = reverse("dashboard:newsletter_stats", args=[campaign.pk])
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    assert 'hx-trigger="every 2s"' in client.get(url, headers=HTMX).content.decode()
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENT)
    assert "hx-trigger" not in client.get(url, headers=HTMX).content.decode()
