import json
import logging
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.utils import timezone

from apps.analytics import beacons, buffer, selectors
from apps.analytics.models import Event, Salt, Visit
from apps.analytics.services import record_events
from apps.analytics.visitors import purge_salts, visitor_ids
from apps.blog.models import PostSlug
from apps.core import ratelimit
from tests.analytics.conftest import FIREFOX, IPHONE, beacon, database_text
from tests.factories.blog import PostFactory

pytestmark = pytest.mark.django_db


def test_beacon_is_accepted_and_recorded(client, drain):
    post = PostFactory.create(slug="hello")
    response = beacon(
        client,
        "http://testserver/posts/hello/?utm_source=news&utm_campaign=launch&token=secret#top",
        "https://www.Example.org/some/page?q=1",
    )
    assert response.status_code == 202
    assert drain() == 1
    event = Event.objects.get()
    assert event.path == "/posts/hello/"
    assert (event.utm_source, event.utm_medium, event.utm_campaign) == ("news", "", "launch")
    assert event.referrer == "example.org"
    assert (event.browser, event.os, event.device) == ("Firefox", "Linux", "desktop")
    assert (event.post_id, event.author_id) == (post.pk, post.author_id)
    visit = Visit.objects.get()
    assert (visit.entry_path, visit.pageviews, visit.visitor_id) == (
        "/posts/hello/",
        1,
        event.visitor_id,
    )
    assert "secret" not in database_text()


def test_page_views_find_the_post_of_their_language(client, drain):
    """A translation may share its original's slug: the path's language tells them apart,
    for the current slug and for a former one."""
    original = PostFactory.create(slug="harbour", language="en")
    german = PostFactory.create(slug="harbour", language="de", translation_of=original)
    PostSlug.objects.create(post=german, slug="alter-hafen")
    for url in (
        "http://testserver/posts/harbour/",
        "http://testserver/de/posts/harbour/",
        "http://testserver/de/posts/alter-hafen/",
        "http://testserver/ar/posts/harbour/",  # no Arabic version: no post
    ):
        assert beacon(client, url).status_code == 202
    assert drain() == 4
    owners = dict(Event.objects.values_list("path", "post_id"))
    assert owners == {
        "/posts/harbour/": original.pk,
        "/de/posts/harbour/": german.pk,
        "/de/posts/alter-hafen/": german.pk,
        "/ar/posts/harbour/": None,
    }


def test_beacons_of_one_reader_make_one_visit(client, drain):
    beacon(client, "http://testserver/", user_agent=IPHONE)
    beacon(client, "http://testserver/about/", "http://testserver/", user_agent=IPHONE)
    beacon(client, "http://testserver/", user_agent=FIREFOX)
    drain()
    assert Event.objects.count() == 3
    assert Visit.objects.count() == 2
    phone = Visit.objects.get(device="mobile")
    assert (phone.pageviews, phone.entry_path, phone.exit_path) == (2, "/", "/about/")
    assert Event.objects.get(path="/about/").referrer == ""  # our own site is no referrer
    figures = selectors.summary(timezone.localdate(), timezone.localdate())
    assert (figures.visitors, figures.visits, figures.pageviews) == (2, 2, 3)


def test_todays_figures_include_fresh_events(client, drain):
    beacon(client)
    drain()
    assert selectors.live_visitors() == 1
    assert (
        selectors.breakdown("browser", timezone.localdate(), timezone.localdate())[0].value
        == "Firefox"
    )


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"u": 5}',
        b'{"r": "x"}',
        b'{"u": "http://testserver/", "extra": 1}',
        b"[" * 1000 + b"]" * 1000,
        json.dumps({"u": "http://testserver/" + "a" * 3000}).encode(),
        json.dumps({"u": "javascript:alert(1)"}).encode(),
        json.dumps({"u": "http://evil.example/posts/a/"}).encode(),
        json.dumps({"u": "http://user@testserver/"}).encode(),
        json.dumps({"u": "http://testserver:8080/"}).encode(),
    ],
)
def test_bad_beacons_get_400_and_store_nothing(client, drain, body):
    response = client.post("/a/e", data=body, content_type="text/plain", HTTP_USER_AGENT=FIREFOX)
    assert response.status_code == 400
    drain()
    assert not Event.objects.exists()


def test_oversized_beacon_is_refused(client, drain):
    body = json.dumps({"u": "http://testserver/", "r": "x" * 1900}).encode() + b" " * 500
    response = client.post("/a/e", data=body, content_type="text/plain", HTTP_USER_AGENT=FIREFOX)
    assert response.status_code == 400
    drain()
    assert not Event.objects.exists()


def test_beacon_from_another_origin_is_refused(client, drain):
    response = beacon(client, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 400
    assert beacon(client, HTTP_ORIGIN="http://testserver").status_code == 202
    drain()
    assert Event.objects.count() == 1


def test_beacon_for_a_host_not_allowed_is_refused(client, drain):
    response = beacon(client, "http://evil.example/", HTTP_HOST="evil.example")
    assert response.status_code == 400


def test_beacon_endpoint_only_takes_post(client):
    assert client.get("/a/e").status_code == 405


@pytest.mark.parametrize(
    "user_agent",
    [
        "",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
        "curl/8.5.0",
        "python-requests/2.32.3",
    ],
)
def test_bots_are_not_counted(client, drain, user_agent):
    assert beacon(client, user_agent=user_agent).status_code == 202
    drain()
    assert not Event.objects.exists()


def test_do_not_track_and_gpc_are_honoured(client, drain, settings):
    assert beacon(client, HTTP_DNT="1").status_code == 202
    assert beacon(client, HTTP_SEC_GPC="1").status_code == 202
    drain()
    assert not Event.objects.exists()
    settings.ANALYTICS_HONOUR_DNT = False
    beacon(client, HTTP_DNT="1")
    drain()
    assert Event.objects.count() == 1


def test_disabled_analytics_records_nothing(client, drain, settings):
    settings.ANALYTICS_ENABLED = False
    assert beacon(client).status_code == 204
    drain()
    assert not Event.objects.exists()


def test_a_flood_from_one_visitor_is_rate_limited(client, drain, settings):
    settings.ANALYTICS_RATE_LIMIT = 3
    codes = [beacon(client).status_code for _ in range(5)]
    assert codes == [202, 202, 202, 429, 429]
    assert beacon(client, ip="198.51.100.8").status_code == 202  # another visitor
    drain()
    assert Event.objects.count() == 4


def test_a_visitor_on_two_days_has_two_ids(db):
    day1, day2 = date(2026, 11, 2), date(2026, 11, 3)
    first, none = visitor_ids(user_agent=FIREFOX, ip="198.51.100.7", host="testserver", day=day1)
    again, _ = visitor_ids(user_agent=FIREFOX, ip="198.51.100.7", host="testserver", day=day1)
    second, previous = visitor_ids(
        user_agent=FIREFOX, ip="198.51.100.7", host="testserver", day=day2
    )
    assert first == again
    assert none is None  # no salt for the day before day1
    assert second != first
    assert previous == first  # yesterday's id, to continue a visit over midnight
    other, _ = visitor_ids(user_agent=FIREFOX, ip="198.51.100.8", host="testserver", day=day2)
    assert other != second
    assert len(bytes(Salt.objects.get(day=day1).key)) == 32


def _event(at: datetime, ids: tuple[int, int | None], path: str = "/") -> dict[str, Any]:
    return {"t": at.timestamp(), "v": ids[0], "pv": ids[1], "p": path, "d": "desktop"}


def test_a_visit_across_midnight_stays_one_visit(db, settings):
    settings.TIME_ZONE = "UTC"
    day1, day2 = date(2026, 11, 2), date(2026, 11, 3)
    ids1 = visitor_ids(user_agent=FIREFOX, ip="198.51.100.7", host="testserver", day=day1)
    ids2 = visitor_ids(user_agent=FIREFOX, ip="198.51.100.7", host="testserver", day=day2)
    record_events([_event(datetime(2026, 11, 2, 23, 50, tzinfo=UTC), ids1, "/a/")])
    record_events([_event(datetime(2026, 11, 3, 0, 10, tzinfo=UTC), ids2, "/b/")])
    visit = Visit.objects.get()
    assert (visit.pageviews, visit.entry_path, visit.exit_path, visit.duration) == (
        2,
        "/a/",
        "/b/",
        1200,
    )
    assert set(Event.objects.values_list("visit_id", flat=True)) == {visit.id}
    # Later that day, after more than 30 idle minutes, the same reader starts a new visit.
    record_events([_event(datetime(2026, 11, 3, 12, 0, tzinfo=UTC), ids2, "/c/")])
    assert Visit.objects.count() == 2
    assert Visit.objects.get(entry_path="/c/").visitor_id == ids2[0]


def test_salts_older_than_48_hours_are_deleted(db):
    for day in (date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)):
        visitor_ids(user_agent=FIREFOX, ip="198.51.100.7", host="testserver", day=day)
    assert purge_salts(date(2026, 11, 3)) == 1
    assert sorted(Salt.objects.values_list("day", flat=True)) == [
        date(2026, 11, 2),
        date(2026, 11, 3),
    ]


def test_paths_and_referrers_are_normalised_and_truncated():
    page = beacons.normalise_page(
        "https://example.com//posts///a/?utm_medium=" + "m" * 300 + "&x=1",
        "android-app://com.google.android.gm/",
        site_host="example.com",
    )
    assert page.path == "/posts/a/"
    assert page.utm_medium == "m" * 100
    assert page.referrer == ""
    long_page = beacons.normalise_page(
        "https://example.com/" + "p" * 500, "", site_host="example.com"
    )
    assert len(long_page.path) == 300


def test_devices_are_classified():
    assert beacons.describe_client(IPHONE).device == "mobile"
    ipad = IPHONE.replace("iPhone; CPU iPhone OS", "iPad; CPU OS")
    assert beacons.describe_client(ipad).device == "tablet"
    assert beacons.describe_client(FIREFOX).device == "desktop"


def test_no_ip_address_or_user_agent_is_stored_or_logged(client, drain, caplog, capsys):
    secret_agent = FIREFOX.replace("rv:133.0", "rv:133.0; Inkwell-Probe-77")
    caplog.set_level(logging.DEBUG)
    PostFactory.create(slug="a")
    for path in ("/posts/a/", "/"):
        assert (
            beacon(
                client, f"http://testserver{path}", user_agent=secret_agent, ip="203.0.113.77"
            ).status_code
            == 202
        )
    assert (
        beacon(
            client, "http://evil.example/", user_agent=secret_agent, ip="203.0.113.77"
        ).status_code
        == 400
    )
    drain()
    assert Event.objects.count() == 2
    stored = database_text()
    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err
    for secret in ("203.0.113.77", "Inkwell-Probe-77", secret_agent):
        assert secret not in stored
        assert secret not in logged


def test_goals_are_counted_after_commit(db, drain, django_capture_on_commit_callbacks):
    from apps.analytics.services import record_goal

    with django_capture_on_commit_callbacks(execute=True):
        record_goal("signed_up")
    drain()
    rows = selectors.breakdown("goal", timezone.localdate(), timezone.localdate())
    assert [(row.value, row.pageviews) for row in rows] == [("signed_up", 1)]
    with pytest.raises(ValueError, match="unknown goal"):
        record_goal("bought_a_boat")


def test_ratelimit_key_is_the_visitor_hash_not_the_address(client, drain, settings):
    settings.ANALYTICS_RATE_LIMIT = 1
    beacon(client)
    ids = visitor_ids(user_agent=FIREFOX, ip="198.51.100.7", host="testserver")
    assert not ratelimit.peek(
        f"analytics:{ids[0]}", limit=1, window=settings.ANALYTICS_RATE_WINDOW
    ).allowed
    assert buffer.pending() == 1
    assert drain() == 1
    assert buffer.pending() == 0
