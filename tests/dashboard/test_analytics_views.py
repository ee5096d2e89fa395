"""The analytics dashboard: who may open it, what each role sees, the full page and the htmx
partials, periods and bad ranges, filters, live visitors, the CSV export, query budgets and
the post editor's panel.

The figures come from real recorded traffic: raw events and visits written as the drain
writes them (tests.factories.analytics), older days folded by the real rollup, read back by
the real selectors. Nothing is mocked.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import Role
from apps.analytics import buffer
from apps.analytics.rollup import roll_up_day
from apps.analytics.visitors import forget_cached_salts
from tests.dashboard.conftest import _edit, _queries
from tests.factories.analytics import goal, visit
from tests.factories.blog import PostFactory
from tests.utils import html_elements, inline_code

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
PAGE = reverse("dashboard:analytics")
LIVE = reverse("dashboard:analytics_live")
EXPORT = reverse("dashboard:analytics_export")


def _now():
    # Within today even a few seconds after midnight, and inside the 5-minute live window.
    now = timezone.localtime()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return max(now - timedelta(seconds=30), midnight)


class Traffic:
    """Two authors' posts read today and on earlier days (rolled up), one goal reached."""

    def __init__(self, make_user):
        self.author = make_user(Role.AUTHOR)
        self.other = make_user(Role.AUTHOR)
        self.mine = PostFactory.create(author=self.author, title="Mine to read")
        self.theirs = PostFactory.create(author=self.other, title="Someone else’s post")
        self.paths = {
            self.mine.get_absolute_url(): self.mine,
            self.theirs.get_absolute_url(): self.theirs,
        }
        self.next_visitor = 1000

    def read(self, post, when=None, *, visitor=None, also=None, **dims):
        """One visit reading `post` (then `also`), `when` (default: just now)."""
        when = when or _now()
        if visitor is None:
            self.next_visitor += 1
            visitor = self.next_visitor
        pages = [(when, post.get_absolute_url())]
        if also is not None:
            pages.append((when + timedelta(seconds=1), also.get_absolute_url()))
        return visit(
            visitor,
            pages,
            post_ids={url: p.pk for url, p in self.paths.items()},
            author_ids={url: p.author_id for url, p in self.paths.items()},
            **dims,
        )


@pytest.fixture
def traffic(make_user, settings):
    settings.TIME_ZONE = "UTC"
    t = Traffic(make_user)
    today = timezone.localdate()
    # Earlier days, rolled up as the nightly task does: 3 visits 3 days ago, 1 a week before.
    earlier = timezone.localtime() - timedelta(days=3)
    t.read(t.mine, earlier, referrer="news.example", browser="Firefox", device="desktop")
    t.read(t.theirs, earlier, referrer="news.example", browser="Firefox", device="desktop")
    t.read(t.theirs, earlier, browser="Safari", device="mobile")
    t.read(t.mine, earlier - timedelta(days=7), browser="Safari", device="mobile")
    for days in (3, 10):
        roll_up_day(today - timedelta(days=days))
    # Today (not rolled up: read from the raw events).
    t.read(t.mine, referrer="search.example", utm_campaign="spring", browser="Firefox", device="desktop", also=t.theirs)  # fmt: skip
    t.read(t.theirs, referrer="search.example", browser="Chrome", device="mobile", os="Android")
    goal("newsletter_confirmed", _now())
    return t


def _live(html):
    start = html.index("data-live-count>") + len("data-live-count>")
    return int(html[start : html.index("<", start)])


def _csv(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


# --------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------


def test_analytics_pages_send_anonymous_visitors_to_sign_in(client, htmx_client):
    for url in (PAGE, LIVE, EXPORT):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    # An htmx poll whose session ended sends the whole page to sign in, not into the badge.
    response = htmx_client.get(LIVE)
    assert response["HX-Redirect"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 403), (Role.READER, 403), (Role.AUTHOR, 200), (Role.EDITOR, 200), (Role.ADMIN, 200)],
)
def test_analytics_pages_are_for_authors_editors_and_admins(client, login_as, role, status):
    login_as(role)
    for url in (PAGE, LIVE, EXPORT):
        assert client.get(url).status_code == status, url


def test_analytics_is_in_the_navigation_of_those_who_may_open_it(client, login_as):
    login_as(Role.AUTHOR)
    html = client.get(reverse("dashboard:home")).content.decode()
    assert f'href="{PAGE}"' in html
    assert client.post(PAGE).status_code == 405


# --------------------------------------------------------------------------
# What each role sees
# --------------------------------------------------------------------------


def test_editors_see_the_whole_site_with_goals(client, login_as, traffic):
    login_as(Role.EDITOR)
    response = client.get(PAGE + "?period=today")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mine to read" in html
    assert "Someone else’s post" in html
    assert 'id="table-goals"' in html
    assert "Newsletter subscription confirmed" in html
    goals = {table.key: table for table in response.context["tables"]}["goals"]
    assert not goals.show_visitors  # server-side goals have no visitor id
    assert [(row.label, row.pageviews) for row in goals.rows] == [
        ("Newsletter subscription confirmed", 1)
    ]
    figures = {f.key: f for f in response.context["figures"]}
    # Today: 2 visits, 3 page views, 2 visitors; nothing yesterday to compare with.
    assert (figures["visits"].value, figures["pageviews"].value) == ("2", "3")
    assert figures["visitors"].label == "Visitors"
    assert response.context["live"] == 2
    tables = {table.key: table for table in response.context["tables"]}
    assert [row.label for row in tables["referrers"].rows] == ["search.example"]
    assert [row.label for row in tables["campaigns"].rows] == ["spring", "No campaign"]
    # Their post was read by both of today's visitors, so it leads; each row filters by itself.
    assert [(row.label, row.visitors) for row in tables["posts"].rows] == [
        ("Someone else’s post", 2),
        ("Mine to read", 1),
    ]
    assert tables["posts"].rows[1].filter_query == f"?period=today&post={traffic.mine.pk}"


def test_authors_see_only_their_own_posts(client, login_as, traffic):
    client.force_login(traffic.author)
    response = client.get(PAGE + "?period=30d")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Mine to read" in html
    assert "Someone else’s post" not in html
    assert 'id="table-goals"' not in html
    assert "Readers of your own posts" in html
    figures = {f.key: f for f in response.context["figures"]}
    # Their post: 10 and 3 days ago, and today (rolled-up days and raw days add up).
    assert figures["pageviews"].value == "3"
    assert response.context["live"] == 1
    # Another author's post as a filter is refused in words, and the view stays theirs.
    response = client.get(PAGE + f"?post={traffic.theirs.pk}")
    assert "your own posts only" in response.content.decode()
    assert response.context["query"].post_id is None
    assert "Someone else’s post" not in response.content.decode()
    rows = _csv(client.get(EXPORT + "?period=30d"))
    assert not any("Someone else’s post" in row for row in rows)
    assert not any(row[0] == "Goals" for row in rows)


def test_analytics_page_is_multi_day_honest(client, login_as, traffic):
    login_as(Role.EDITOR)
    html = client.get(PAGE + "?period=7d").content.decode()
    assert "Visitors (sum of daily visitors)" in html
    assert "not a count of different people" in html
    assert "Daily visitors, summed" in html
    assert "unique" not in html.lower()


# --------------------------------------------------------------------------
# Full page and partials
# --------------------------------------------------------------------------


def test_analytics_page_full_and_htmx_partial(client, login_as, traffic):
    login_as(Role.EDITOR)
    full = client.get(PAGE)
    html = full.content.decode()
    assert 'aria-label="Dashboard"' in html
    assert 'id="analytics-report"' in html
    assert 'aria-current="page"' in html  # the navigation marks Analytics
    assert inline_code(html) == []
    for tag, attrs in html_elements(html):
        assert tag != "style"
        for name, _ in attrs:
            assert name != "style", tag
    partial = client.get(PAGE + "?period=30d", headers=HTMX)
    body = partial.content.decode()
    assert partial.status_code == 200
    assert body.lstrip().startswith('<div id="analytics-report"')
    assert 'aria-label="Dashboard"' not in body
    assert "HX-Request" in partial["Vary"]
    assert "Last 30 days" in body


def test_live_partial_counts_the_last_five_minutes(client, login_as, traffic):
    login_as(Role.EDITOR)
    response = client.get(LIVE, headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<p id="live-visitors"')
    assert 'hx-trigger="every 10s"' in body
    assert _live(body) == 2
    # Someone arrives; someone who read 10 minutes ago is no longer "now".
    traffic.read(traffic.mine)
    traffic.read(traffic.theirs, timezone.now() - timedelta(minutes=10))
    assert _live(client.get(LIVE, headers=HTMX).content.decode()) == 3
    # With a filter it counts the filtered pages, and polls with the same filter.
    response = client.get(LIVE + f"?post={traffic.theirs.pk}", headers=HTMX)
    assert _live(response.content.decode()) == 2
    assert f"post={traffic.theirs.pk}" in response.content.decode()


def test_live_partial_is_cheap(client, login_as, traffic):
    login_as(Role.EDITOR)
    # The session, the user and their groups, then one count of recent events.
    assert _queries(client, LIVE) <= 5


# --------------------------------------------------------------------------
# Periods and ranges
# --------------------------------------------------------------------------


def test_today_is_hour_by_hour_and_longer_periods_day_by_day(client, login_as, traffic):
    login_as(Role.EDITOR)
    today = client.get(PAGE + "?period=today").context
    assert today["series"].hourly
    # Midnight up to the current hour: the hours to come are not drawn as zeros.
    assert len(today["series"].rows) == timezone.localtime().hour + 1
    assert sum(row.pageviews for row in today["series"].rows) == 3
    month = client.get(PAGE + "?period=30d").context
    assert not month["series"].hourly
    assert len(month["series"].rows) == 30
    # 10 days ago: 1 view; 3 days ago: 3; today: 3.
    assert sum(row.pageviews for row in month["series"].rows) == 7
    week = client.get(PAGE + "?period=7d").context
    figures = {f.key: f for f in week["figures"]}
    # The week before (8-14 days ago): the one visit 10 days ago.
    assert (figures["pageviews"].value, figures["pageviews"].previous) == ("6", "1")
    assert figures["pageviews"].change == "+500 %"


def test_custom_range_and_its_comparison(client, login_as, traffic):
    login_as(Role.EDITOR)
    day = timezone.localdate() - timedelta(days=3)
    response = client.get(PAGE + f"?period=custom&start={day}&end={day}")
    assert response.context["query"].errors == []
    assert response.context["series"].hourly
    figures = {f.key: f for f in response.context["figures"]}
    assert figures["pageviews"].value == "3"
    assert figures["visitors"].label == "Visitors"
    # The custom range stays in every link, so filters keep the same days.
    assert f"start={day}" in response.context["tables"][0].rows[0].filter_query


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?period=custom&start=2026-03-10&end=2026-03-01", "comes after the last day"),
        ("?period=custom&start=2020-01-01&end=2026-01-01", "366 days at most"),
        ("?period=custom&start=nope&end=2026-03-01", "not a date"),
        ("?period=custom", "Give the first day"),
        ("?period=forever", "no period called"),
        ("?period=custom&start=2999-01-01&end=2999-01-02", "ends in the future"),
    ],
)
def test_bad_ranges_say_what_is_wrong_and_show_seven_days(client, login_as, query, message):
    login_as(Role.EDITOR)
    response = client.get(PAGE + query)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert message in html
    assert response.context["period"].key == "7d"
    # The same on the htmx swap, so the custom-range form shows its error in place.
    partial = client.get(PAGE + query, headers=HTMX)
    assert message in partial.content.decode()


# --------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------


def test_filters_are_links_and_chips(client, login_as, traffic):
    login_as(Role.EDITOR)
    response = client.get(PAGE + "?period=today&referrer=search.example")
    html = response.content.decode()
    figures = {f.key: f for f in response.context["figures"]}
    assert figures["pageviews"].value == "3"
    assert "Referrer: <span" in html
    assert 'aria-label="Remove the referrer filter"' in html
    assert 'href="/dashboard/analytics/?period=today"' in html  # the chip's remove link
    response = client.get(PAGE + f"?period=today&post={traffic.theirs.pk}")
    figures = {f.key: f for f in response.context["figures"]}
    assert figures["pageviews"].value == "2"
    assert response.context["query"].post_title == "Someone else’s post"
    # Direct visits, by the selectors' "(none)".
    response = client.get(PAGE + "?period=30d&referrer=(none)")
    assert "Direct or unknown" in response.content.decode()
    figures = {f.key: f for f in response.context["figures"]}
    assert figures["pageviews"].value == "2"  # 3 and 10 days ago


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?post=abc", "not a post number"),
        ("?post=99999999", "no post number 99999999"),
        ("?post=-1", "not a post number"),
        ("?path=relative", "must start with"),
        ("?referrer=" + "a" * 400, "longer than 255"),
        ("?campaign=spring%01sale", "control characters"),
    ],
)
def test_invalid_filters_give_a_message_never_a_500(client, login_as, traffic, query, message):
    login_as(Role.EDITOR)
    for url in (PAGE + query, LIVE + query, EXPORT + query):
        assert client.get(url).status_code == 200, url
    html = client.get(PAGE + query).content.decode()
    assert message in html


# --------------------------------------------------------------------------
# CSV export
# --------------------------------------------------------------------------


def test_csv_export_has_the_view_with_its_filters(client, login_as, traffic):
    login_as(Role.EDITOR)
    response = client.get(EXPORT + "?period=today&referrer=search.example")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate()
    assert (
        f'filename="analytics-{today:%Y%m%d}-{today:%Y%m%d}.csv"' in response["Content-Disposition"]
    )
    rows = _csv(response)
    assert rows[0] == [
        "table",
        "row",
        "visitors",
        "visits",
        "pageviews",
        "bounce_rate",
        "avg_visit_seconds",
    ]
    assert rows[1][:5] == ["summary", f"{today}..{today}", "2", "2", "3"]
    assert rows[1][5] == "0.5000"  # one of the two visits saw one page
    series = [row for row in rows if row[0] == "time series"]
    assert len(series) == timezone.localtime().hour + 1
    assert sum(int(row[4]) for row in series) == 3
    referrers = [row[1] for row in rows if row[0] == "Referrers"]
    assert referrers == ["search.example"]
    posts = {row[1] for row in rows if row[0] == "Top posts"}
    assert posts == {"Mine to read", "Someone else’s post"}


def test_csv_export_defuses_spreadsheet_formulas(client, login_as, traffic):
    login_as(Role.EDITOR)
    traffic.read(traffic.mine, utm_campaign='=HYPERLINK("http://evil.example")')
    rows = _csv(client.get(EXPORT + "?period=today"))
    campaigns = [row[1] for row in rows if row[0] == "UTM campaigns"]
    assert '\'=HYPERLINK("http://evil.example")' in campaigns
    assert not any(cell.startswith("=") for row in rows for cell in row)


# --------------------------------------------------------------------------
# Query budgets
# --------------------------------------------------------------------------


def test_analytics_page_queries_do_not_grow_with_rows(client, login_as, make_user, settings):
    settings.TIME_ZONE = "UTC"
    login_as(Role.EDITOR)
    t = Traffic(make_user)

    def add(count):
        for n in range(count):
            post = PostFactory.create(author=t.author, title=f"Extra {t.next_visitor}")
            t.paths[post.get_absolute_url()] = post
            t.read(
                post,
                referrer=f"site{t.next_visitor}.example",
                utm_campaign=f"c{n}",
                browser=f"B{n}",
            )
            t.read(post, timezone.localtime() - timedelta(days=2), referrer=f"old{n}.example")
        roll_up_day(timezone.localdate() - timedelta(days=2))

    add(1)
    few = _queries(client, PAGE + "?period=7d")
    add(20)
    many = _queries(client, PAGE + "?period=7d")
    assert few == many, (few, many)
    # Measured: 50 (the session and layout, the post titles, and for each of the two summaries,
    # the time series and the nine tables: the rolled-up days, the rollups, today's raw events).
    assert many <= 50, many
    assert _queries(client, PAGE + "?period=today&referrer=site1001.example") <= 50


# --------------------------------------------------------------------------
# The post editor's panel
# --------------------------------------------------------------------------


def test_post_editor_shows_the_posts_last_thirty_days(client, login_as, traffic):
    client.force_login(traffic.author)
    html = client.get(_edit(traffic.mine)).content.decode()
    assert 'id="post-analytics"' in html
    assert "Readers, last 30 days" in html
    assert "search.example" in html  # its top referrer
    assert f"?period=30d&amp;post={traffic.mine.pk}" in html
    panel = client.get(_edit(traffic.mine)).context["post_figures"]
    assert (panel.visitors, panel.pageviews) == (3, 3)  # 10 and 3 days ago, today


def test_post_editor_panel_costs_a_fixed_number_of_queries(client, login_as, make_user):
    login_as(Role.EDITOR)
    author = make_user(Role.AUTHOR)
    draft = PostFactory.create(author=author, status="draft", published_at=None)
    published = PostFactory.create(author=author)
    without = _queries(client, _edit(draft))
    html = client.get(_edit(draft)).content.decode()
    assert 'id="post-analytics"' not in html  # never published: no figures, no queries
    with_panel = _queries(client, _edit(published))
    # The summary and the top referrers: for each, the rolled-up days, the rollups and the
    # raw events of the days not rolled up yet.
    assert with_panel - without <= 7, (without, with_panel)  # measured: 18 → 25


# --------------------------------------------------------------------------
# End to end in-process: beacons through the real endpoint and batch writer
# --------------------------------------------------------------------------

READER_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
)


def test_dashboard_reads_page_views_recorded_through_the_beacon_endpoint(
    client, login_as, make_user, settings
):
    settings.ANALYTICS_ENABLED = True
    settings.ANALYTICS_FLUSH_SECONDS = 3600  # written when drained below, not by the thread
    forget_cached_salts()
    post = PostFactory.create(author=make_user(Role.AUTHOR), title="Beaconed post")
    reader = Client()
    url = f"http://testserver{post.get_absolute_url()}?utm_campaign=launch&fbclid=x"
    try:
        for agent in READER_AGENTS:
            response = reader.post(
                "/a/e",
                data=json.dumps({"u": url, "r": "https://social.example/some/thread"}),
                content_type="text/plain",
                HTTP_USER_AGENT=agent,
                REMOTE_ADDR="198.51.100.7",
            )
            assert response.status_code == 202
        assert buffer.drain() == 2
    finally:
        buffer.memory.items.clear()
        forget_cached_salts()
    login_as(Role.EDITOR)
    response = client.get(PAGE + "?period=today")
    figures = {f.key: f for f in response.context["figures"]}
    assert (figures["visitors"].value, figures["pageviews"].value) == ("2", "2")
    tables = {table.key: table for table in response.context["tables"]}
    assert [row.label for row in tables["posts"].rows] == ["Beaconed post"]
    assert [row.label for row in tables["referrers"].rows] == ["social.example"]
    assert [row.label for row in tables["campaigns"].rows] == ["launch"]
    assert _live(response.content.decode()) == 2


def test_countries_appear_only_with_a_geoip_database(client, login_as, traffic, settings):
    login_as(Role.EDITOR)
    traffic.read(traffic.mine, country="NL")
    settings.ANALYTICS_GEOIP_PATH = ""
    response = client.get(PAGE + "?period=today")
    assert "countries" not in {table.key for table in response.context["tables"]}
    assert "no GeoIP database is configured" in response.content.decode()
    settings.ANALYTICS_GEOIP_PATH = "/srv/geoip/GeoLite2-Country.mmdb"
    response = client.get(PAGE + "?period=today")
    tables = {table.key: table for table in response.context["tables"]}
    assert ("NL", 1) in [(row.label, row.pageviews) for row in tables["countries"].rows]
    assert "no GeoIP database is configured" not in response.content.decode()
