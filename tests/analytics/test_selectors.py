from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from apps.analytics import selectors
from apps.analytics.models import DailyRollup, RolledDay
from apps.analytics.rollup import roll_up_day
from apps.analytics.selectors import Filters, Row
from tests.factories.accounts import UserFactory
from tests.factories.analytics import goal, visit
from tests.factories.blog import PostFactory

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")
DAY1 = date(2026, 11, 2)
DAY2 = date(2026, 11, 3)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.fixture
def traffic():
    """Two days: visitor 1 reads two posts from Google, visitor 2 bounces, visitor 3 direct."""
    author = UserFactory.create()
    other = UserFactory.create()
    post_a = PostFactory.create(author=author)
    post_b = PostFactory.create(author=other)
    posts = {"/posts/a/": post_a.pk, "/posts/b/": post_b.pk}
    authors = {"/posts/a/": author.pk, "/posts/b/": other.pk}
    common: dict[str, Any] = {"post_ids": posts, "author_ids": authors}
    visit(
        1,
        [(at(DAY1, 9), "/posts/a/"), (at(DAY1, 9, 5), "/posts/b/")],
        referrer="google.com",
        browser="Firefox",
        device="desktop",
        utm_campaign="autumn",
        **common,
    )
    visit(
        2, [(at(DAY1, 10), "/posts/a/")], referrer="", browser="Chrome", device="mobile", **common
    )
    visit(1, [(at(DAY1, 15), "/")], referrer="", browser="Firefox", device="desktop", **common)
    visit(
        3,
        [(at(DAY2, 8), "/posts/b/"), (at(DAY2, 8, 10), "/")],
        referrer="",
        browser="Safari",
        device="mobile",
        **common,
    )
    goal("newsletter_confirmed", at(DAY2, 9))
    return {"author": author, "post_a": post_a, "post_b": post_b}


@pytest.fixture(params=["raw", "rolled"])
def source(request, traffic, settings):
    settings.TIME_ZONE = "UTC"
    if request.param == "rolled":
        roll_up_day(DAY1)
        roll_up_day(DAY2)
    return request.param


def test_summary_counts_daily_visitors_visits_and_bounces(source):
    figures = selectors.summary(DAY1, DAY2)
    # visitor 1 and 2 on day 1, visitor 3 on day 2: a sum of daily uniques.
    assert figures.visitors == 3
    assert figures.visits == 4
    assert figures.pageviews == 6
    assert figures.bounce_rate == pytest.approx(2 / 4)
    assert figures.avg_visit_seconds == pytest.approx((300 + 0 + 0 + 600) / 4)


def test_summary_of_an_empty_range_has_no_rates(source):
    figures = selectors.summary(date(2026, 1, 1), date(2026, 1, 5))
    assert (figures.visitors, figures.visits, figures.pageviews) == (0, 0, 0)
    assert figures.bounce_rate is None
    assert figures.avg_visit_seconds is None


def test_summary_filtered_by_post(source, traffic):
    figures = selectors.summary(DAY1, DAY2, Filters(post_id=traffic["post_a"].pk))
    assert (figures.visitors, figures.visits, figures.pageviews) == (2, 2, 2)
    assert figures.bounce_rate == pytest.approx(0.5)


def test_summary_filtered_by_referrer_and_none(source):
    assert selectors.summary(DAY1, DAY2, Filters(referrer="google.com")).pageviews == 2
    assert selectors.summary(DAY1, DAY2, Filters(referrer="(none)")).pageviews == 4


def test_summary_of_an_author_only_counts_their_posts(source, traffic):
    figures = selectors.summary(DAY1, DAY2, Filters(author_id=traffic["author"].pk))
    assert (figures.visitors, figures.pageviews) == (2, 2)


def test_author_filter_with_a_post_of_someone_else_is_empty(source, traffic):
    mine = Filters(post_id=traffic["post_a"].pk, author_id=traffic["author"].pk)
    theirs = Filters(post_id=traffic["post_b"].pk, author_id=traffic["author"].pk)
    assert selectors.summary(DAY1, DAY2, mine).pageviews == 2
    assert selectors.summary(DAY1, DAY2, theirs).pageviews == 0


def test_combined_filters_use_raw_events(source):
    both = Filters(referrer="google.com", path="/posts/b/")
    assert selectors.summary(DAY1, DAY2, both).pageviews == 1


def test_timeseries_has_every_day_with_zeros(source):
    points = selectors.timeseries(DAY1 - timedelta(days=1), DAY2)
    assert [p.pageviews for p in points] == [0, 4, 2]
    assert [p.visitors for p in points] == [0, 2, 1]
    assert points[1].bucket == datetime(2026, 11, 2, tzinfo=UTC)
    assert all(timezone.is_aware(p.bucket) for p in points)


def test_timeseries_by_hour(source):
    points = selectors.timeseries(DAY1, DAY1, interval="hour")
    assert len(points) == 24
    assert {p.bucket.hour: p.pageviews for p in points if p.pageviews} == {9: 2, 10: 1, 15: 1}


def test_timeseries_by_hour_for_a_post(source, traffic):
    points = selectors.timeseries(
        DAY1, DAY2, Filters(post_id=traffic["post_b"].pk), interval="hour"
    )
    assert len(points) == 48
    assert sum(p.pageviews for p in points) == 2


def test_breakdown_pages(source):
    rows = selectors.breakdown("page", DAY1, DAY2)
    # Ties (2 daily visitors, 2 views each) are ordered by value.
    assert rows == [
        Row(value="/", visitors=2, visits=2, pageviews=2),
        Row(value="/posts/a/", visitors=2, visits=2, pageviews=2),
        Row(value="/posts/b/", visitors=2, visits=2, pageviews=2),
    ]


def test_breakdown_referrers_label_direct(source):
    rows = selectors.breakdown("referrer", DAY1, DAY2)
    assert rows[0] == Row(value="(none)", visitors=3, visits=3, pageviews=4)
    assert rows[1] == Row(value="google.com", visitors=1, visits=1, pageviews=2)


def test_breakdown_entry_and_exit_pages(source):
    entries = {row.value: row.visits for row in selectors.breakdown("entry_page", DAY1, DAY2)}
    exits = {row.value: row.visits for row in selectors.breakdown("exit_page", DAY1, DAY2)}
    assert entries == {"/posts/a/": 2, "/": 1, "/posts/b/": 1}
    assert exits == {"/posts/b/": 1, "/posts/a/": 1, "/": 2}


def test_breakdown_goals_count_conversions(source):
    rows = selectors.breakdown("goal", DAY1, DAY2)
    assert rows == [Row(value="newsletter_confirmed", visitors=0, visits=0, pageviews=1)]


def test_breakdown_devices_within_a_campaign(source):
    rows = selectors.breakdown("device", DAY1, DAY2, Filters(utm_campaign="autumn"))
    assert rows == [Row(value="desktop", visitors=1, visits=1, pageviews=2)]


def test_breakdown_pages_and_offsets(source):
    rows = selectors.breakdown("page", DAY1, DAY2, limit=1, offset=1)
    assert len(rows) == 1
    assert rows[0].value == "/posts/a/"


def test_breakdown_rejects_unknown_dimensions(source):
    with pytest.raises(ValueError, match="unknown dimension"):
        selectors.breakdown("password", DAY1, DAY2)  # type: ignore[arg-type]


def test_posts_with_stats_ranks_posts(source, traffic):
    top = selectors.posts_with_stats(DAY1, DAY2)
    assert [post_id for post_id, _row in top] == [traffic["post_a"].pk, traffic["post_b"].pk]
    assert top[0][1] == Row(value="/posts/a/", visitors=2, visits=2, pageviews=2)
    mine = selectors.posts_with_stats(DAY1, DAY2, author_id=traffic["author"].pk)
    assert [post_id for post_id, _row in mine] == [traffic["post_a"].pk]


def test_rolling_up_is_repeatable_and_marks_the_day(traffic, settings):
    settings.TIME_ZONE = "UTC"
    columns = ("scope", "scope_value", "dimension", "value", "visitors", "visits", "pageviews")
    written = roll_up_day(DAY1)
    first = sorted(DailyRollup.objects.filter(day=DAY1).values_list(*columns))
    assert roll_up_day(DAY1) == written
    assert sorted(DailyRollup.objects.filter(day=DAY1).values_list(*columns)) == first
    assert ("", "", "", "", 2, 3, 4) in first
    assert RolledDay.objects.filter(day=DAY1).exists()


def test_rolled_days_read_rollups_not_raw_events(traffic, settings):
    settings.TIME_ZONE = "UTC"
    roll_up_day(DAY1)
    DailyRollup.objects.filter(day=DAY1, scope="", dimension="").update(pageviews=99)
    assert selectors.summary(DAY1, DAY1).pageviews == 99


def test_live_visitors_counts_recent_visitors(db, settings):
    now = timezone.now()
    visit(7, [(now - timedelta(minutes=2), "/")])
    visit(8, [(now - timedelta(minutes=1), "/about/")])
    visit(9, [(now - timedelta(minutes=20), "/")])
    assert selectors.live_visitors() == 2
    assert selectors.live_visitors(minutes=30) == 3
    assert selectors.live_visitors(filters=Filters(path="/")) == 1


def test_breakdown_not_kept_in_a_scope_comes_from_raw_events(source, traffic):
    # Entry pages are rolled up site-wide only; within one post they are computed raw.
    rows = selectors.breakdown("entry_page", DAY1, DAY2, Filters(post_id=traffic["post_b"].pk))
    assert {row.value: row.visits for row in rows} == {"/posts/a/": 1, "/posts/b/": 1}
