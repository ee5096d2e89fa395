"""The header bell's data: the unread count and the latest few notifications (two queries)."""

from __future__ import annotations

from django import template

from apps.notifications.selectors import Bell, bell_for

register = template.Library()


@register.simple_tag(takes_context=True)
def notification_bell(context: template.Context) -> Bell:
    """The signed-in user's bell; visitors get an empty one without touching the database."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return Bell()
    return bell_for(user)
