"""Relative times as people say them ("just now", "5 minutes ago")."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def ago(value: datetime | None) -> str:
    """ "just now" under a minute, else "<timesince> ago" (never "0 minutes ago").

    static/js/app.js says the same in the browser and keeps it current on open pages.
    """
    if value is None:
        return ""
    if abs((timezone.now() - value).total_seconds()) < 60:
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(value)}
