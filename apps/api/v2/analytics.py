"""Visitor statistics, v2 (read-only): the dashboard's figures for the mobile app.

Editors and admins see the whole site; authors see their own posts' figures only. The same
selectors as the dashboard (apps.analytics.selectors). `visitors` is a sum of daily unique
visitors over the range: visitor ids change every day by design, so it never counts people.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field, model_validator

from apps.analytics import selectors
from apps.analytics.selectors import Filters
from apps.api.auth import current_user, require_token
from apps.api.errors import ApiError, error_responses

router = Router(tags=["analytics"])

MAX_DAYS = 366
Dimension = Literal[
    "page",
    "entry_page",
    "exit_page",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "browser",
    "os",
    "device",
    "country",
    "goal",
]


class RangeParams(Schema):
    start: date | None = Field(None, description="First day (site time zone); default end − 29.")
    end: date | None = Field(None, description="Last day, included; default today.")
    post_id: int | None = Field(None, description="Only this post's page.")
    path: str | None = Field(None, max_length=300, description="Only this path.")
    referrer: str | None = Field(
        None, max_length=200, description='Only visits from this referrer host ("(none)": direct).'
    )
    utm_campaign: str | None = Field(None, max_length=100)

    @model_validator(mode="after")
    def _range(self) -> RangeParams:
        end = self.end or timezone.localdate()
        start = self.start or end - timedelta(days=29)
        if start > end:
            raise ValueError(_("The start must not be after the end."))
        if (end - start).days >= MAX_DAYS:
            raise ValueError(_("A range covers at most %(days)d days.") % {"days": MAX_DAYS})
        self.start, self.end = start, end
        return self

    def days(self) -> tuple[date, date]:
        if self.start is None or self.end is None:  # the validator sets both
            raise RuntimeError("range not validated")
        return self.start, self.end

    def filters(self) -> Filters:
        return Filters(
            post_id=self.post_id,
            path=self.path,
            referrer=self.referrer,
            utm_campaign=self.utm_campaign,
        )


class SeriesParams(RangeParams):
    interval: Literal["hour", "day"] = "day"

    @model_validator(mode="after")
    def _hours(self) -> SeriesParams:
        start, end = self.days()
        if self.interval == "hour" and (end - start).days >= 31:
            raise ValueError(_("Hourly series cover at most 31 days."))
        return self


class PageParams(RangeParams):
    limit: int = Field(10, ge=1, le=100)
    offset: int = Field(0, ge=0, le=10_000)


class SummaryOut(Schema):
    start: date
    end: date
    visitors: int = Field(description="Sum of daily unique visitors (not people).")
    visits: int
    pageviews: int
    bounce_rate: float | None = Field(description="0..1; null without visits.")
    avg_visit_seconds: float | None


class PointOut(Schema):
    bucket: str = Field(description="Start of the hour or day, ISO 8601 in the site's time zone.")
    visitors: int
    visits: int
    pageviews: int


class RowOut(Schema):
    value: str = Field(description='The value; "(none)" for direct visits or unknown values.')
    visitors: int
    visits: int
    pageviews: int = Field(description="Page views; for goals, conversions.")


class PostStatsOut(RowOut):
    post_id: int


class LiveOut(Schema):
    visitors: int = Field(description="Visitor ids with a page view in the last `minutes`.")
    minutes: int


def _allowed(request: HttpRequest, filters: Filters = Filters()) -> Filters:  # noqa: B008
    allowed = selectors.filters_for_viewer(current_user(request), filters)
    if allowed is None:
        raise ApiError(403, "forbidden", _("Statistics are for authors, editors and admins."))
    return allowed


@router.get(
    "/analytics/summary",
    auth=require_token,
    response={200: SummaryOut, **error_responses(401, 403, 422)},
    summary="Statistics summary",
)
def summary(request: HttpRequest, params: Query[RangeParams]) -> dict[str, Any]:
    """Visitors, visits, page views, bounce rate and visit duration over a range of days."""
    start, end = params.days()
    figures = selectors.summary(start, end, _allowed(request, params.filters()))
    return {"start": start, "end": end, **asdict(figures)}


@router.get(
    "/analytics/timeseries",
    auth=require_token,
    response={200: list[PointOut], **error_responses(401, 403, 422)},
    summary="Statistics over time",
)
def timeseries(request: HttpRequest, params: Query[SeriesParams]) -> list[dict[str, Any]]:
    """One point per day (or hour), zeros included."""
    start, end = params.days()
    points = selectors.timeseries(
        start, end, _allowed(request, params.filters()), interval=params.interval
    )
    return [{**asdict(point), "bucket": point.bucket.isoformat()} for point in points]


@router.get(
    "/analytics/breakdown/{dimension}",
    auth=require_token,
    response={200: list[RowOut], **error_responses(401, 403, 422)},
    summary="Top values of a dimension",
)
def breakdown(
    request: HttpRequest, dimension: Dimension, params: Query[PageParams]
) -> list[dict[str, Any]]:
    """Pages, entry and exit pages, referrers, campaigns, browsers, devices, countries, goals."""
    start, end = params.days()
    rows = selectors.breakdown(
        dimension,
        start,
        end,
        _allowed(request, params.filters()),
        limit=params.limit,
        offset=params.offset,
    )
    return [asdict(row) for row in rows]


@router.get(
    "/analytics/posts",
    auth=require_token,
    response={200: list[PostStatsOut], **error_responses(401, 403, 422)},
    summary="Most visited posts",
)
def top_posts(request: HttpRequest, params: Query[PageParams]) -> list[dict[str, Any]]:
    """Posts by visitors over the range (authors: their own), with their main path."""
    start, end = params.days()
    allowed = _allowed(request)
    found = selectors.posts_with_stats(start, end, author_id=allowed.author_id, limit=params.limit)
    return [{"post_id": post_id, **asdict(row)} for post_id, row in found]


@router.get(
    "/analytics/live",
    auth=require_token,
    response={200: LiveOut, **error_responses(401, 403, 422)},
    summary="Visitors on the site now",
)
def live(
    request: HttpRequest,
    minutes: int = Query(5, ge=1, le=60),  # type: ignore[type-arg]
) -> dict[str, Any]:
    """Visitor ids seen in the last few minutes (authors: on their own posts)."""
    return {
        "visitors": selectors.live_visitors(minutes=minutes, filters=_allowed(request)),
        "minutes": minutes,
    }
