"""The analytics dashboard's query string and figures: periods, ranges, filters, changes."""

from datetime import UTC, date, datetime, timedelta

from django.http import QueryDict

from apps.analytics.selectors import Point, Summary
from apps.analytics.services import GOALS
from apps.dashboard.charts import line_pair
from apps.dashboard.forms.analytics import MAX_SPAN_DAYS, Period, parse_query, period_for
from apps.dashboard.views.analytics import (
    GOAL_LABELS,
    percent_change,
    row_label,
    series_chart,
    summary_figures,
)

TODAY = date(2026, 3, 18)


def _parse(text):
    return parse_query(QueryDict(text), today=TODAY)


def test_period_for_presets_end_today_and_compare_with_the_days_before():
    week = period_for("7d", today=TODAY)
    assert (week.start, week.end, week.days) == (date(2026, 3, 12), TODAY, 7)
    assert (week.previous_start, week.previous_end) == (date(2026, 3, 5), date(2026, 3, 11))
    assert week.interval == "day"
    today = period_for("today", today=TODAY)
    assert (today.start, today.end, today.interval) == (TODAY, TODAY, "hour")
    assert (today.previous_start, today.previous_end) == (date(2026, 3, 17), date(2026, 3, 17))
    assert today.previous_label == "all of yesterday"
    month = period_for("30d", today=TODAY)
    assert month.days == 30
    assert month.previous_end == month.start - timedelta(days=1)


def test_parse_query_defaults_to_seven_days_without_errors():
    query, _ = _parse("")
    assert query.period.key == "7d"
    assert query.errors == []
    assert not query.has_filters


def test_parse_query_custom_range_compares_with_a_range_of_equal_length():
    query, form = _parse("period=custom&start=2026-03-01&end=2026-03-10")
    assert query.errors == []
    assert form.is_valid()
    assert (query.period.start, query.period.end, query.period.days) == (
        date(2026, 3, 1),
        date(2026, 3, 10),
        10,
    )
    assert (query.period.previous_start, query.period.previous_end) == (
        date(2026, 2, 19),
        date(2026, 2, 28),
    )
    # A custom single day is drawn hour by hour, like "today".
    single, _ = _parse("period=custom&start=2026-03-02&end=2026-03-02")
    assert single.period.interval == "hour"


def test_parse_query_rejects_bad_ranges_with_a_clear_message():
    cases = {
        "period=custom&start=2026-03-10&end=2026-03-01": "comes after the last day",
        "period=custom&start=2026-03-10&end=2026-03-30": "ends in the future",
        "period=custom&start=2024-01-01&end=2026-03-01": f"{MAX_SPAN_DAYS} days at most",
        "period=custom&start=yesterday&end=2026-03-01": "first day is not a date",
        "period=custom&end=2026-03-01": "Give the first day",
        "period=fortnight": "no period called “fortnight”",
    }
    for text, message in cases.items():
        query, _ = _parse(text)
        assert query.period == period_for("7d", today=TODAY), text
        assert any(message in error for error in query.errors), (text, query.errors)


def test_parse_query_keeps_a_range_of_exactly_the_maximum_span():
    start = TODAY - timedelta(days=MAX_SPAN_DAYS - 1)
    query, _ = _parse(f"period=custom&start={start}&end={TODAY}")
    assert query.errors == []
    assert query.period.days == MAX_SPAN_DAYS


def test_parse_query_drops_invalid_filters_and_says_why():
    query, _ = _parse("post=12abc&path=no-slash&referrer=" + "x" * 300 + "&campaign=spring%0Asale")
    assert query.post_id is None
    assert query.path == query.referrer == query.campaign == ""
    text = " ".join(query.errors)
    assert "not a post number" in text
    assert "must start with “/”" in text
    assert "longer than 255 characters" in text
    assert "control characters" in text


def test_parse_query_links_add_and_remove_one_filter_keeping_the_rest():
    query, _ = _parse("period=30d&post=7&referrer=news.example&campaign=spring")
    query.post_title = "On small tools"
    assert query.filters(author_id=3).post_id == 7
    assert query.filters(author_id=3).utm_campaign == "spring"
    assert query.filters(author_id=3).author_id == 3
    assert query.query(path="/about/") == (
        "?period=30d&post=7&path=%2Fabout%2F&referrer=news.example&campaign=spring"
    )
    chips = {chip.name: chip for chip in query.chips()}
    assert chips["Post"].value == "On small tools"
    assert chips["Referrer"].remove_query == "?period=30d&post=7&campaign=spring"
    # A preset period drops a custom range's days from the links.
    custom, _ = _parse("period=custom&start=2026-03-01&end=2026-03-02&referrer=a.example")
    assert custom.query(period="today") == "?period=today&referrer=a.example"
    assert "start=2026-03-01" in custom.query()


def test_percent_change_is_none_without_a_previous_figure():
    assert percent_change(15, 10) == 50
    assert percent_change(5, 10) == -50
    assert percent_change(3, 0) is None


def _summary(visitors, visits, pageviews, bounce, seconds):
    return Summary(visitors, visits, pageviews, bounce, seconds)


def test_summary_figures_label_multi_day_visitors_as_a_sum_of_daily_visitors():
    week = Period("7d", TODAY - timedelta(days=6), TODAY)
    figures = {
        f.key: f
        for f in summary_figures(
            _summary(120, 150, 400, 0.5, 95.0), _summary(100, 160, 300, 0.4, 100.0), week
        )
    }
    assert figures["visitors"].label == "Visitors (sum of daily visitors)"
    assert "not a count of different people" in figures["visitors"].help
    assert (figures["visitors"].change, figures["visitors"].good) == ("+20 %", True)
    assert figures["visits"].change == "−6 %"
    assert figures["pageviews"].value == "400"
    # A higher bounce rate is bad news, and it moves in percentage points.
    assert (figures["bounce_rate"].value, figures["bounce_rate"].change) == ("50 %", "+10 pp")
    assert figures["bounce_rate"].good is False
    assert figures["duration"].value == "1m 35s"
    assert figures["duration"].previous == "1m 40s"
    day = Period("today", TODAY, TODAY)
    single = summary_figures(_summary(5, 5, 5, None, None), _summary(0, 0, 0, None, None), day)
    assert single[0].label == "Visitors"
    # Nothing before: no "+∞ %", and no bounce rate or duration to compare.
    assert [f.change for f in single] == ["", "", "", "", ""]
    assert single[3].value == single[4].value == "—"


def test_series_chart_draws_hours_for_one_day_and_days_otherwise():
    start = datetime(2026, 3, 18, tzinfo=UTC)  # in the past: every hour of it is drawn
    hours = [Point(start + timedelta(hours=h), h, h, 2 * h) for h in range(24)]
    chart = series_chart(hours, Period("today", TODAY, TODAY))
    assert chart.hourly
    assert [row.label for row in chart.rows[:2]] == ["00:00", "01:00"]
    assert chart.pageviews.x_ticks[0].label == "00:00"
    days = [Point(start - timedelta(days=6 - d), d, d, d) for d in range(7)]
    daily = series_chart(days, Period("7d", TODAY - timedelta(days=6), TODAY))
    assert not daily.hourly
    assert daily.rows[-1].label == "Wed Mar 18"


def test_line_pair_puts_both_lines_on_the_larger_ones_scale():
    day = date(2026, 3, 1)
    views, visitors = line_pair([(day, 40), (day, 80)], [(day, 10), (day, 20)])
    assert views.y_ticks[-1].label == visitors.y_ticks[-1].label == "100"
    # The visitors line sits lower than the page views line at the same point.
    assert float(visitors.points.split()[1].split(",")[1]) > float(
        views.points.split()[1].split(",")[1]
    )


def test_every_goal_has_words_on_the_dashboard():
    assert set(GOAL_LABELS) == set(GOALS)
    assert row_label("(none)", "referrer") == "Direct or unknown"
    assert row_label("some_new_goal", "goal") == "some_new_goal"
