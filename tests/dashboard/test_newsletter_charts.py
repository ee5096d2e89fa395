"""Server-rendered chart geometry from plain numbers."""

from __future__ import annotations

from datetime import date, timedelta

from apps.dashboard.charts import LABEL_WIDTH, bar_chart, line_chart


def test_bar_chart_scales_bars_to_the_largest_value():
    chart = bar_chart([("Sent", 100), ("Failed", 25), ("Bounced", 0)])
    sent, failed, bounced = chart.bars
    assert sent.width == 4 * failed.width
    assert bounced.width == 0
    assert sent.y < failed.y < bounced.y
    assert sent.text_x > LABEL_WIDTH


def test_bar_chart_of_nothing_draws_no_bars():
    assert bar_chart([("Sent", 0)]).bars[0].width == 0
    assert bar_chart([]).bars == []


def test_line_chart_runs_from_zero_to_a_round_maximum():
    start = date(2026, 1, 1)
    chart = line_chart([(start + timedelta(days=i), value) for i, value in enumerate([0, 7, 13])])
    assert not chart.empty
    assert [tick.label for tick in chart.y_ticks] == ["0", "5", "10", "15", "20"]
    first, *_, last = chart.points.split()
    assert float(first.split(",")[1]) == chart.bottom
    assert float(last.split(",")[0]) == chart.right
    assert chart.x_ticks[0].label == "Jan 1"


def test_line_chart_without_data_is_empty():
    assert line_chart([]).empty
