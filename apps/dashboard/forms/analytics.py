"""Parse the analytics dashboard's query string: the period and the filters.

Every view of the dashboard is a link (`?period=7d&referrer=example.com`), so a bookmark or a
link pasted to a colleague opens the same figures. A value that does not parse never breaks
the page: it is dropped, and the page says what was wrong and what it shows instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final, Literal
from urllib.parse import urlencode

from django import forms
from django.http import QueryDict
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from apps.analytics.selectors import Filters
from apps.dashboard.forms.editor import INPUT

Interval = Literal["hour", "day"]

PERIODS: Final = {"today": _("Today"), "7d": _("Last 7 days"), "30d": _("Last 30 days")}
# The same periods inside a sentence ("Showing the last 7 days instead.").
PERIODS_IN_TEXT: Final = {
    "today": _("today"),
    "7d": _("the last 7 days"),
    "30d": _("the last 30 days"),
}
DEFAULT_PERIOD: Final = "7d"
# A custom range is at most a year: the daily rollups answer it, and a longer one would be a
# chart of hundreds of points no one can read.
MAX_SPAN_DAYS: Final = 366
# Filter values longer than these cannot be a path, host or campaign the collector stored.
MAX_PATH: Final = 1000
MAX_REFERRER: Final = 255
MAX_CAMPAIGN: Final = 200
# The query-string names of the filters, in the order their chips are shown.
FILTER_KEYS: Final = ("post", "path", "referrer", "campaign")


@dataclass(frozen=True)
class Period:
    """The days shown (both ends included) and the same number of days just before them."""

    key: str  # "today", "7d", "30d" or "custom"
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous_start(self) -> date:
        return self.start - timedelta(days=self.days)

    @property
    def previous_end(self) -> date:
        return self.start - timedelta(days=1)

    @property
    def interval(self) -> Interval:
        """Hours for a single day, days for anything longer."""
        return "hour" if self.days == 1 else "day"

    @property
    def single_day(self) -> bool:
        return self.days == 1

    @property
    def label(self) -> str:
        if self.key in PERIODS:
            return str(PERIODS[self.key])
        if self.single_day:
            return _day(self.start)
        return gettext("%(start)s – %(end)s") % {"start": _day(self.start), "end": _day(self.end)}

    @property
    def previous_label(self) -> str:
        if self.key == "today":
            return gettext("all of yesterday")
        if self.single_day:
            return _day(self.previous_start)
        return ngettext(
            "the %(days)s day before (%(start)s – %(end)s)",
            "the %(days)s days before (%(start)s – %(end)s)",
            self.days,
        ) % {
            "days": self.days,
            "start": _short_day(self.previous_start),
            "end": _day(self.previous_end),
        }


def _day(day: date) -> str:
    """ "Mar 5, 2025" in English; the active language's month names and order otherwise."""
    # Translators: a date format (Django's date filter syntax), e.g. "Mar 5, 2025".
    return formats.date_format(day, gettext("M j, Y"))


def _short_day(day: date) -> str:
    # Translators: a date format without the year (Django's date filter syntax), e.g. "Mar 5".
    return formats.date_format(day, gettext("M j"))


def period_for(key: str, *, today: date | None = None) -> Period:
    """One of the preset periods, ending today (the site's time zone)."""
    today = today or timezone.localdate()
    days = {"today": 1, "7d": 7, "30d": 30}[key]
    return Period(key, today - timedelta(days=days - 1), today)


@dataclass(frozen=True)
class Chip:
    """One active filter, with the link that removes it."""

    name: str  # "Post", "Referrer", …
    value: str  # what the editor reads: the post's title, the host, …
    remove_query: str


@dataclass
class AnalyticsQuery:
    """The parsed query string: what to show, and what could not be used."""

    period: Period
    post_id: int | None = None
    post_title: str = ""
    path: str = ""
    referrer: str = ""
    campaign: str = ""
    errors: list[str] = field(default_factory=list)

    def filters(self, *, author_id: int | None = None) -> Filters:
        return Filters(
            post_id=self.post_id,
            path=self.path or None,
            referrer=self.referrer or None,
            utm_campaign=self.campaign or None,
            author_id=author_id,
        )

    def params(self, **changes: str | int | None) -> dict[str, str]:
        """The query string's values, with `changes` applied (None removes a key)."""
        values: dict[str, str | int | None] = {
            "period": self.period.key,
            "post": self.post_id,
            "path": self.path,
            "referrer": self.referrer,
            "campaign": self.campaign,
        }
        if self.period.key == "custom":
            values |= {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()}
        values |= changes
        if values.get("period") != "custom":
            values.pop("start", None)
            values.pop("end", None)
        return {key: str(value) for key, value in values.items() if value not in (None, "")}

    def query(self, **changes: str | int | None) -> str:
        """`?…` for a link to this view with `changes` (a period, a filter added or removed)."""
        encoded = urlencode(self.params(**changes))
        return f"?{encoded}" if encoded else "?"

    @property
    def has_filters(self) -> bool:
        return bool(self.post_id or self.path or self.referrer or self.campaign)

    def chips(self) -> list[Chip]:
        chips = []
        if self.post_id:
            chips.append(Chip(gettext("Post"), self.post_title, self.query(post=None)))
        if self.path:
            chips.append(Chip(gettext("Page"), self.path, self.query(path=None)))
        if self.referrer:
            shown = gettext("Direct or unknown") if self.referrer == "(none)" else self.referrer
            chips.append(Chip(gettext("Referrer"), shown, self.query(referrer=None)))
        if self.campaign:
            shown = gettext("No campaign") if self.campaign == "(none)" else self.campaign
            chips.append(Chip(gettext("Campaign"), shown, self.query(campaign=None)))
        return chips


class RangeForm(forms.Form):
    """The custom range: both days, start on or before end, at most a year, not in the future."""

    start = forms.DateField(
        label=_("From"),
        error_messages={
            "required": _("Give the first day."),
            "invalid": _("The first day is not a date."),
        },
        widget=forms.DateInput(attrs={"type": "date", "class": INPUT}),
    )
    end = forms.DateField(
        label=_("To"),
        error_messages={
            "required": _("Give the last day."),
            "invalid": _("The last day is not a date."),
        },
        widget=forms.DateInput(attrs={"type": "date", "class": INPUT}),
    )

    def __init__(self, *args: object, today: date | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.today = today or timezone.localdate()

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, date) and isinstance(end, date):
            if start > end:
                raise forms.ValidationError(gettext("The first day comes after the last day."))
            if end > self.today:
                raise forms.ValidationError(
                    gettext("The range ends in the future; the last day can be today at most.")
                )
            if (end - start).days + 1 > MAX_SPAN_DAYS:
                raise forms.ValidationError(
                    gettext("A range can span %(most)s days at most; this one spans %(days)s.")
                    % {"most": MAX_SPAN_DAYS, "days": (end - start).days + 1}
                )
        return data


def _text(
    data: QueryDict, key: str, limit: int, label: str, errors: list[str], *, prefix: str = ""
) -> str:
    value = data.get(key, "").strip()
    if not value:
        return ""
    if len(value) > limit:
        errors.append(
            gettext(
                "The %(filter)s filter is longer than %(limit)s characters, so it was left out."
            )
            % {"filter": label, "limit": limit}
        )
        return ""
    if prefix and not value.startswith(prefix):
        errors.append(
            gettext("The %(filter)s filter must start with “%(prefix)s”, so it was left out.")
            % {"filter": label, "prefix": prefix}
        )
        return ""
    if any(ord(char) < 32 for char in value):
        errors.append(
            gettext("The %(filter)s filter contains control characters, so it was left out.")
            % {"filter": label}
        )
        return ""
    return value


def parse_query(data: QueryDict, *, today: date | None = None) -> tuple[AnalyticsQuery, RangeForm]:
    """The period and text filters from the query string; the post filter is checked by the view.

    Returns the range form too, so the page can show the custom range with its errors.
    """
    today = today or timezone.localdate()
    errors: list[str] = []
    key = data.get("period", DEFAULT_PERIOD)
    range_form = RangeForm(initial={"start": today - timedelta(days=6), "end": today}, today=today)
    if key == "custom":
        range_form = RangeForm(data, today=today)
        if range_form.is_valid():
            period = Period(
                "custom", range_form.cleaned_data["start"], range_form.cleaned_data["end"]
            )
        else:
            errors.extend(
                str(error) for field_errors in range_form.errors.values() for error in field_errors
            )
            errors.append(
                gettext("Showing %(period)s instead.") % {"period": PERIODS_IN_TEXT[DEFAULT_PERIOD]}
            )
            period = period_for(DEFAULT_PERIOD, today=today)
    elif key in PERIODS:
        period = period_for(key, today=today)
    else:
        errors.append(
            gettext("There is no period called “%(key)s”; showing %(period)s.")
            % {"key": key[:40], "period": PERIODS_IN_TEXT[DEFAULT_PERIOD]}
        )
        period = period_for(DEFAULT_PERIOD, today=today)

    post_id = None
    raw_post = data.get("post", "").strip()
    if raw_post:
        if raw_post.isdigit() and 0 < int(raw_post) < 2**31:
            post_id = int(raw_post)
        else:
            errors.append(gettext("The post filter is not a post number, so it was left out."))
    query = AnalyticsQuery(
        period=period,
        post_id=post_id,
        path=_text(data, "path", MAX_PATH, gettext("page"), errors, prefix="/"),
        referrer=_text(data, "referrer", MAX_REFERRER, gettext("referrer"), errors),
        campaign=_text(data, "campaign", MAX_CAMPAIGN, gettext("campaign"), errors),
        errors=errors,
    )
    return query, range_form
