"""Public newsletter pages: sign-up (full page and htmx), the box, confirm, preferences, unsubscribe."""

from __future__ import annotations

import re

import pytest
from django.core.mail import EmailMessage
from django.test import Client
from waffle.models import Switch

from apps.newsletter import tokens
from apps.newsletter.models import (
    Newsletter,
    Source,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
)
from tests.comments.conftest import make_verified
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory, TagFactory
from tests.factories.newsletter import CampaignFactory, SubscriptionFactory
from tests.utils import clear_cache, count_queries

pytestmark = pytest.mark.django_db

SUBSCRIBE = "/newsletter/subscribe/"


@pytest.fixture
def weekly() -> Newsletter:
    return Newsletter.objects.get(slug="weekly")


def _path(mail: EmailMessage, kind: str) -> str:
    match = re.search(rf"https?://[^/\s]+(/newsletter/{kind}/[^\s\"]+/)", str(mail.body))
    assert match is not None, mail.body
    return match[1]


def _status(email: str, newsletter: Newsletter) -> str:
    return str(Subscription.objects.get(subscriber__email=email, newsletter=newsletter).status)


# --- the newsletter page and sign-up -------------------------------------------------------


def test_newsletter_page_lists_newsletters_with_a_sign_up_form(client):
    response = client.get("/newsletter/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Weekly digest" in html
    assert "Announcements" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert f'action="{SUBSCRIBE}"' in html


def test_newsletter_page_takes_the_address_from_a_box_used_without_javascript(client):
    html = client.get("/newsletter/?email=ada@example.com&source=post").content.decode()

    assert 'value="ada@example.com"' in html
    assert 'name="source" value="post"' in html
    assert "press Subscribe to finish" in html


def test_sign_up_full_page_answers_check_your_inbox(
    client, django_capture_on_commit_callbacks, mailoutbox, weekly
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            SUBSCRIBE, {"email": "Ada@Example.com", "newsletters": [weekly.pk], "source": "page"}
        )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "Check your inbox" in html
    assert _status("ada@example.com", weekly) == SubscriptionStatus.PENDING
    assert len(mailoutbox) == 1


def test_sign_up_htmx_answers_a_partial(htmx_client, django_capture_on_commit_callbacks, weekly):
    with django_capture_on_commit_callbacks(execute=True):
        response = htmx_client.post(SUBSCRIBE, {"email": "ada@example.com", "source": "post"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "Check your inbox" in html
    assert Subscription.objects.get().source == Source.POST


def test_sign_up_answers_the_same_whatever_the_address(
    htmx_client, django_capture_on_commit_callbacks, weekly
):
    SubscriptionFactory.create(subscriber__email="known@example.com", newsletter=weekly)
    SubscriptionFactory.create(
        subscriber__email="pending@example.com",
        subscriber__confirmed_at=None,
        newsletter=weekly,
        status=SubscriptionStatus.PENDING,
    )
    Suppression.objects.create(email="bounced@example.com", reason=SuppressionReason.HARD_BOUNCE)
    answers = set()
    for address in (
        "new@example.com",
        "known@example.com",
        "pending@example.com",
        "bounced@example.com",
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = htmx_client.post(SUBSCRIBE, {"email": address, "source": "home"})
        assert response.status_code == 200
        answers.add(response.content)

    assert len(answers) == 1


@pytest.mark.parametrize("address", ["", "nope", "a@b"])
def test_sign_up_with_a_bad_address_shows_the_error(client, htmx_client, address):
    full = client.post(SUBSCRIBE, {"email": address, "source": "page"})
    partial = htmx_client.post(SUBSCRIBE, {"email": address, "source": "post"})

    assert full.status_code == 400
    assert "<html" in full.content.decode()
    assert partial.status_code == 200  # htmx swaps only successful answers
    html = partial.content.decode()
    assert "<html" not in html
    assert 'aria-invalid="true"' in html
    assert 'name="csrfmiddlewaretoken"' in html  # the re-rendered box posts on its own
    assert not Subscriber.objects.exists()


def test_sign_up_from_the_page_without_a_newsletter_is_refused(client):
    response = client.post(SUBSCRIBE, {"email": "ada@example.com", "source": "page", "listed": "1"})

    assert response.status_code == 400
    assert "Choose at least one newsletter" in response.content.decode()


def test_sign_up_over_the_rate_limit_is_told_to_wait(client, settings, weekly):
    settings.NEWSLETTER_SIGNUP_RATE_LIMIT_IP = 1
    client.post(SUBSCRIBE, {"email": "a@example.com", "source": "post"})

    response = client.post(SUBSCRIBE, {"email": "b@example.com", "source": "post"})

    assert response.status_code == 429
    assert "Too many sign-ups" in response.content.decode()


def test_sign_up_needs_a_csrf_token(weekly):
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(SUBSCRIBE, {"email": "ada@example.com", "source": "post"})

    assert response.status_code == 403
    assert not Subscriber.objects.exists()


def test_the_box_token_endpoint_gives_a_field_that_passes_the_csrf_check(weekly):
    strict = Client(enforce_csrf_checks=True)
    field = strict.get("/newsletter/token/")
    token = re.search(r'value="([^"]+)"', field.content.decode())
    assert token is not None
    assert "no-cache" in field["Cache-Control"]

    response = strict.post(
        SUBSCRIBE,
        {"email": "ada@example.com", "source": "post", "csrfmiddlewaretoken": token[1]},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()


def test_a_signed_in_reader_subscribes_with_one_click(client, weekly):
    reader = make_verified(UserFactory.create(email="ada@example.com"))
    client.force_login(reader)
    page = client.get("/newsletter/").content.decode()
    assert 'name="source" value="account"' in page

    response = client.post(
        SUBSCRIBE, {"source": "account", "newsletters": [weekly.pk], "listed": "1"}, follow=True
    )

    assert response.redirect_chain == [("/newsletter/", 302)]
    html = response.content.decode()
    assert "You’re subscribed." in html
    assert ">Subscribed</p>" in html
    assert _status("ada@example.com", weekly) == SubscriptionStatus.ACTIVE


def test_a_signed_in_reader_with_an_unverified_address_must_confirm(client, mailoutbox, weekly):
    client.force_login(UserFactory.create(email="ada@example.com"))

    response = client.post(
        SUBSCRIBE, {"source": "account", "newsletters": [weekly.pk], "listed": "1"}, follow=True
    )

    assert "Check your inbox" in response.content.decode()
    assert _status("ada@example.com", weekly) == SubscriptionStatus.PENDING


# --- the sign-up box on cached pages -------------------------------------------------------


def test_post_and_home_pages_show_the_box_without_a_csrf_token(client):
    post = PostFactory.create()
    for url in (post.get_absolute_url(), "/"):
        html = client.get(url).content.decode()
        assert "data-newsletter-box" in html, url
        assert 'hx-post="/newsletter/subscribe/"' in html
        assert 'hx-get="/newsletter/token/"' in html
        assert "csrfmiddlewaretoken" not in html


def test_the_switch_hides_the_box(client):
    Switch.objects.filter(name="newsletter_signup").update(active=False)
    post = PostFactory.create()
    for url in (post.get_absolute_url(), "/"):
        assert "data-newsletter-box" not in client.get(url).content.decode(), url


def _queries(client: Client, url: str) -> int:
    clear_cache()
    with count_queries() as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_the_box_adds_no_query_to_the_post_page(client):
    post = PostFactory.create(tags=[TagFactory.create()])
    shown = _queries(client, post.get_absolute_url())
    Switch.objects.filter(name="newsletter_signup").update(active=False)
    hidden = _queries(client, post.get_absolute_url())

    # One query reads every switch; the comment section's switch then costs nothing, so the
    # page keeps the budget it had before the box (tests/blog/test_views.py: at most 9).
    assert shown == hidden <= 9


def test_anonymous_pages_with_the_box_stay_in_the_page_cache(page_cache):
    post = PostFactory.create()
    for url in (post.get_absolute_url(), "/"):
        assert Client().get(url)["X-Page-Cache"] == "miss"
        again = Client().get(url)
        assert again["X-Page-Cache"] == "hit", url
        assert "data-newsletter-box" in again.content.decode()
        assert "Set-Cookie" not in again.headers


def test_turning_the_switch_off_drops_the_cached_pages(
    page_cache, django_capture_on_commit_callbacks
):
    post = PostFactory.create()
    Client().get(post.get_absolute_url())
    switch = Switch.objects.get(name="newsletter_signup")

    with django_capture_on_commit_callbacks(execute=True):
        switch.active = False
        switch.save()

    response = Client().get(post.get_absolute_url())
    assert response["X-Page-Cache"] == "miss"
    assert "data-newsletter-box" not in response.content.decode()


# --- confirm -------------------------------------------------------------------------------


def _signed_up(client: Client, capture, mailoutbox) -> str:
    with capture(execute=True):
        client.post(SUBSCRIBE, {"email": "ada@example.com", "source": "post"})
    return _path(mailoutbox[-1], "confirm")


def test_confirm_link_shows_a_button_and_confirms_on_post(
    client, django_capture_on_commit_callbacks, mailoutbox, weekly
):
    path = _signed_up(client, django_capture_on_commit_callbacks, mailoutbox)

    page = client.get(path)
    assert page.status_code == 200
    assert "Yes, subscribe me" in page.content.decode()
    assert _status("ada@example.com", weekly) == SubscriptionStatus.PENDING  # GET changes nothing

    done = client.post(path)
    assert done.status_code == 200
    assert "You’re subscribed" in done.content.decode()
    assert _status("ada@example.com", weekly) == SubscriptionStatus.ACTIVE

    for again in (client.get(path), client.post(path)):
        assert again.status_code == 200
        assert "Already confirmed" in again.content.decode()


def test_a_tampered_or_expired_confirm_link_gets_a_clear_error_page(
    client, django_capture_on_commit_callbacks, mailoutbox, weekly, monkeypatch
):
    import time

    path = _signed_up(client, django_capture_on_commit_callbacks, mailoutbox)
    tampered = path[:-3] + "zz/"
    for response in (client.get(tampered), client.post(tampered)):
        assert response.status_code == 400
        assert "This link is not valid" in response.content.decode()

    later = time.time() + 8 * 86400
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.post(path)
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()
    assert _status("ada@example.com", weekly) == SubscriptionStatus.PENDING


# --- preferences ---------------------------------------------------------------------------


def test_preferences_page_changes_subscriptions_without_signing_in(client, htmx_client, weekly):
    announcements = Newsletter.objects.get(slug="announcements")
    subscriber = SubscriptionFactory.create(newsletter=weekly).subscriber
    url = tokens.preferences_url(subscriber).split("testserver", 1)[-1]
    path = "/newsletter/" + url.split("/newsletter/", 1)[1]

    page = client.get(path)
    assert page.status_code == 200
    assert subscriber.email in page.content.decode()

    response = htmx_client.post(path, {"newsletters": [announcements.pk], "action": "save"})
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert "Saved." in response.content.decode()
    assert _status(subscriber.email, weekly) == SubscriptionStatus.UNSUBSCRIBED
    assert _status(subscriber.email, announcements) == SubscriptionStatus.ACTIVE

    client.post(path, {"action": "unsubscribe"})
    assert _status(subscriber.email, announcements) == SubscriptionStatus.UNSUBSCRIBED


def test_preferences_page_can_remove_the_address(client, weekly):
    subscriber = SubscriptionFactory.create(newsletter=weekly).subscriber
    path = "/newsletter/preferences/" + tokens.manage_token(subscriber) + "/"

    response = client.post(path, {"action": "forget"})

    assert response.status_code == 200
    assert not Subscriber.objects.exists()
    assert client.get(path).status_code == 400  # the link names nobody now


def test_preferences_with_a_tampered_link_is_an_error_page(client, weekly):
    subscriber = SubscriptionFactory.create(newsletter=weekly).subscriber
    path = "/newsletter/preferences/" + tokens.manage_token(subscriber)[:-2] + "xx/"

    assert client.get(path).status_code == 400
    assert client.post(path, {"action": "unsubscribe"}).status_code == 400
    assert _status(subscriber.email, weekly) == SubscriptionStatus.ACTIVE


# --- unsubscribe ---------------------------------------------------------------------------


def test_unsubscribe_get_shows_one_button_and_changes_nothing(client, weekly):
    subscriber = SubscriptionFactory.create(newsletter=weekly).subscriber
    path = "/newsletter/unsubscribe/" + tokens.manage_token(subscriber) + "/"

    response = client.get(path)
    head = client.head(path)  # link checkers and mail scanners

    assert response.status_code == head.status_code == 200
    assert response.content.decode().count('type="submit"') == 1
    assert _status(subscriber.email, weekly) == SubscriptionStatus.ACTIVE


def test_one_click_unsubscribe_post_without_csrf_is_idempotent(weekly):
    """RFC 8058: the mail client POSTs `List-Unsubscribe=One-Click`, with no cookie or token."""
    announcements = Newsletter.objects.get(slug="announcements")
    subscriber = SubscriptionFactory.create(newsletter=weekly).subscriber
    SubscriptionFactory.create(subscriber=subscriber, newsletter=announcements)
    campaign = CampaignFactory.create()
    campaign.newsletters.add(weekly)
    path = (
        "/newsletter/unsubscribe/" + tokens.manage_token(subscriber, campaign_id=campaign.pk) + "/"
    )
    mail_client = Client(enforce_csrf_checks=True)

    for _ in range(2):
        response = mail_client.post(
            path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 200
        assert "You’re unsubscribed" in response.content.decode()

    # The campaign's newsletter only; the other one stays.
    assert _status(subscriber.email, weekly) == SubscriptionStatus.UNSUBSCRIBED
    assert _status(subscriber.email, announcements) == SubscriptionStatus.ACTIVE


def test_one_click_unsubscribe_with_a_tampered_token_changes_nothing(weekly):
    subscriber = SubscriptionFactory.create(newsletter=weekly).subscriber
    confirm_token = tokens.confirm_token(subscriber)  # signed, but for another purpose
    for token in (tokens.manage_token(subscriber)[:-2] + "xx", confirm_token):
        response = Client(enforce_csrf_checks=True).post(
            f"/newsletter/unsubscribe/{token}/",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 400
    assert _status(subscriber.email, weekly) == SubscriptionStatus.ACTIVE
