from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.notifications.models import (
    ADMIN_KINDS,
    Delivery,
    Kind,
    Notification,
    NotificationPreference,
)
from tests.factories.accounts import UserFactory
from tests.utils import clear_cache, count_queries, html_elements, inline_code

pytestmark = pytest.mark.django_db

LIST = "/notifications/"
SETTINGS = "/notifications/settings/"


def _make(recipient, count, *, read=False, url="/some-post/#comment-1"):
    now = timezone.now()
    return [
        Notification.objects.create(
            recipient=recipient,
            kind=Kind.COMMENT_REPLY,
            actor=UserFactory.create(),
            text=f"Someone replied {i}",
            url=url,
            created_at=now - timedelta(minutes=i),
            read_at=now if read else None,
        )
        for i in range(count)
    ]


@pytest.fixture
def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def signed_in_htmx(user) -> Client:
    client = Client(headers={"HX-Request": "true"})
    client.force_login(user)
    return client


def _queries(client, url: str) -> int:
    """Queries for one request with cachalot off (after a first request that may touch
    the session, so both measurements see the same steady state)."""
    client.get(url)
    clear_cache()
    with count_queries() as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


# --------------------------------------------------------------------------
# The list
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", LIST),
        ("get", SETTINGS),
        ("post", "/notifications/read-all/"),
        ("post", "/notifications/1/read/"),
        ("get", "/notifications/1/open/"),
    ],
)
def test_notification_pages_need_sign_in(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_notification_list_full_page_highlights_unread(signed_in, user):
    unread = _make(user, 2)
    read = _make(user, 1, read=True)
    _make(UserFactory.create(), 1)
    response = signed_in.get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert html.count('data-read="false"') == 2
    assert html.count('data-read="true"') == 1
    assert f'id="notification-{unread[0].pk}"' in html
    assert f'id="notification-{read[0].pk}"' in html
    assert "2 unread" in html
    assert not inline_code(html)


def test_notification_list_htmx_partial(signed_in_htmx, user):
    _make(user, 3)
    response = signed_in_htmx.get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<section id="notification-list"')
    assert "HX-Request" in response["Vary"]


def test_notification_list_unread_filter_and_pages(signed_in, user):
    _make(user, 25)
    _make(user, 3, read=True)
    page1 = signed_in.get(LIST).content.decode()
    assert page1.count('data-read="') == 20
    page2 = signed_in.get(f"{LIST}?page=2").content.decode()
    assert page2.count('data-read="') == 8
    unread = signed_in.get(f"{LIST}?filter=unread&page=2").content.decode()
    assert unread.count('data-read="') == 5


def test_notification_list_empty(signed_in):
    assert "No notifications yet" in signed_in.get(LIST).content.decode()


def test_notification_list_query_count_is_constant(signed_in, signed_in_htmx, user):
    _make(user, 2)
    few, few_partial = _queries(signed_in, LIST), _queries(signed_in_htmx, LIST)
    _make(user, 38)
    assert _queries(signed_in, LIST) == few
    assert _queries(signed_in_htmx, LIST) == few_partial


# --------------------------------------------------------------------------
# Marking read
# --------------------------------------------------------------------------


def test_mark_read_plain_form_redirects(signed_in, user):
    (notification,) = _make(user, 1)
    response = signed_in.post(f"/notifications/{notification.pk}/read/")
    assert response.status_code == 302
    assert response["Location"] == LIST
    notification.refresh_from_db()
    assert notification.is_read
    response = signed_in.post(
        f"/notifications/{notification.pk}/read/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == LIST


def test_mark_read_htmx_returns_the_item_and_the_new_count(signed_in_htmx, user):
    first, _second = _make(user, 2)
    response = signed_in_htmx.post(f"/notifications/{first.pk}/read/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<li id="notification-{first.pk}"' in html
    assert 'data-read="true"' in html
    assert 'id="notification-count" hx-swap-oob="true" data-unread="1"' in html
    assert "Mark read" not in html


def test_mark_read_refuses_someone_elses_notification(signed_in):
    (theirs,) = _make(UserFactory.create(), 1)
    assert signed_in.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert signed_in.get(f"/notifications/{theirs.pk}/open/").status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_mark_read_needs_post(signed_in, user):
    (notification,) = _make(user, 1)
    assert signed_in.get(f"/notifications/{notification.pk}/read/").status_code == 405
    assert signed_in.get("/notifications/read-all/").status_code == 405


def test_mark_all_read_plain_and_htmx(signed_in, signed_in_htmx, user):
    _make(user, 3)
    response = signed_in.post("/notifications/read-all/")
    assert response.status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    _make(user, 2)
    response = signed_in_htmx.post("/notifications/read-all/", {"filter": "unread"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<section id="notification-list"' in html
    assert "Marked 2 notifications read." in html
    assert 'hx-swap-oob="true" data-unread="0"' in html
    assert "caught up" in html


def test_open_marks_read_and_follows_the_link(signed_in, user):
    (notification,) = _make(user, 1, url="/posts/hello/#comment-5")
    response = signed_in.get(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/posts/hello/#comment-5"
    notification.refresh_from_db()
    assert notification.is_read


def test_open_never_redirects_off_site(signed_in, user):
    (notification,) = _make(user, 1, url="https://evil.example/")
    assert signed_in.get(f"/notifications/{notification.pk}/open/")["Location"] == LIST


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------


def _choices(**overrides):
    choices = dict.fromkeys(Kind.values, Delivery.IN_APP)
    choices.update(overrides)
    return choices


def test_settings_page_shows_a_radio_group_per_kind(signed_in, user):
    NotificationPreference.objects.create(user=user, kind=Kind.MENTION, delivery=Delivery.EMAIL)
    response = signed_in.get(SETTINGS)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    radios = [
        dict(attrs)
        for tag, attrs in html_elements(html)
        if tag == "input" and dict(attrs).get("type") == "radio"
    ]
    assert len(radios) == (len(Kind.values) - len(ADMIN_KINDS)) * 3  # not the admins' notices
    checked = {(r["name"], r["value"]) for r in radios if "checked" in r}
    assert ("mention", "email") in checked
    assert ("comment_reply", "in_app") in checked
    assert 'aria-current="page">Notifications' in html  # the account settings nav


def test_settings_plain_post_saves_and_redirects(signed_in, user):
    response = signed_in.post(SETTINGS, _choices(mention="off", post_comment="email"))
    assert response.status_code == 302
    assert response["Location"] == SETTINGS
    stored = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))
    assert stored["mention"] == "off"
    assert stored["post_comment"] == "email"


def test_settings_htmx_post_returns_the_form(signed_in_htmx, user):
    response = signed_in_htmx.post(SETTINGS, _choices(mention="email"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<form id="notification-settings"')
    assert "saved" in html
    assert signed_in_htmx.get(SETTINGS).content.decode().lstrip().startswith("<form")


def test_settings_invalid_post_shows_errors(signed_in_htmx, user):
    response = signed_in_htmx.post(SETTINGS, _choices(mention="pigeon"))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not NotificationPreference.objects.exists()


# --------------------------------------------------------------------------
# The bell in the header
# --------------------------------------------------------------------------


def test_bell_is_in_the_header_for_signed_in_users(signed_in, client, user):
    _make(user, 7)
    html = signed_in.get("/").content.decode()
    assert 'ws-connect="/ws/notifications/"' in html
    assert 'aria-expanded="false"' in html
    assert 'aria-controls="notification-menu"' in html
    assert 'aria-live="polite"' in html
    assert "js/notifications.js" in html
    assert html.count('id="notification-menu-item-') == 5
    assert 'data-unread="7"' in html
    assert not inline_code(html)
    assert "/ws/notifications/" not in client.get("/").content.decode()


def test_bell_adds_a_constant_number_of_queries(signed_in, user):
    _make(user, 1)
    one = _queries(signed_in, "/")
    _make(user, 12)
    assert _queries(signed_in, "/") == one
