"""Parse the editor's workflow panel (schedule, send back, unpublish) and preview links."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.blog.services.previews import MAX_HOURS
from apps.dashboard.forms.editor import INPUT


class SiteDateTimeField(forms.DateTimeField):
    """A wall-clock time from a `datetime-local` input, read in the site's time zone."""

    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.DateTimeInput(
                attrs={"type": "datetime-local", "class": INPUT}, format="%Y-%m-%dT%H:%M"
            ),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and timezone.is_aware(value):
            return timezone.localtime(value, ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)
        return value

    def to_python(self, value: Any) -> datetime | None:
        # Whatever zone a request activated, the picker promises the site's zone.
        with timezone.override(ZoneInfo(settings.TIME_ZONE)):
            return super().to_python(value)


class _SiteTimesForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        now = timezone.localtime(timezone.now(), ZoneInfo(settings.TIME_ZONE))
        for field in self.fields.values():
            field.help_text = gettext("%(zone)s time (the site’s time zone).") % {
                "zone": settings.TIME_ZONE
            }
            # The picker cannot offer the past; the service still says so if it is typed in.
            field.widget.attrs["min"] = now.strftime("%Y-%m-%dT%H:%M")
            field.widget.attrs["data-site-time"] = settings.TIME_ZONE


class ScheduleForm(_SiteTimesForm):
    publish_at = SiteDateTimeField(
        label=_("Publish at"), error_messages={"required": _("Choose when to publish.")}
    )
    unpublish_at = SiteDateTimeField(label=_("Unpublish at (optional)"), required=False)


class UnpublishForm(_SiteTimesForm):
    unpublish_at = SiteDateTimeField(label=_("Take it off the site at"), required=False)


class SendBackForm(forms.Form):
    # Required by the service, which words the error; the form only bounds the size.
    note = forms.CharField(
        label=_("Note for the author"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": INPUT, "rows": 3}),
    )


class PreviewLinkForm(forms.Form):
    hours = forms.IntegerField(
        label=_("Lasts (hours)"),
        initial=72,
        min_value=1,
        max_value=MAX_HOURS,
        error_messages={"required": _("Say how many hours the link should work.")},
        widget=forms.NumberInput(attrs={"class": INPUT, "min": 1, "max": MAX_HOURS}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bounds = gettext("A preview link lasts between 1 and %(most)s hours.") % {"most": MAX_HOURS}
        self.fields["hours"].error_messages |= {"min_value": bounds, "max_value": bounds}
