"""Notifications for both API versions: the signed-in user's list, read marks, preferences.

Parse → call → represent: apps.notifications.selectors and services do the work, as for
the web pages. A notification's JSON is the WebSocket event's (`broadcasts.notification_data`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from apps.api.auth import current_user, require_token
from apps.api.errors import ApiError, error_responses
from apps.api.schemas_comments import MarkReadIn, PreferencesIn, PreferencesOut, UnreadOut
from apps.notifications import broadcasts, selectors, services
from apps.notifications.models import Notification

AuthorStyle = Callable[[dict[str, Any] | None], Any]


def listing(request: HttpRequest, *, unread_only: bool) -> QuerySet[Notification]:
    """The caller's notifications, newest first."""
    return selectors.notifications_for(current_user(request), unread_only=unread_only)


def representation(notification: Notification, actor_style: AuthorStyle) -> dict[str, Any]:
    """A notification as the WebSocket sends it (the actor named or embedded per version)."""
    data = broadcasts.notification_data(notification)
    data["actor"] = actor_style(data["actor"])
    return data


def unread(request: HttpRequest) -> int:
    """How many of the caller's notifications are unread."""
    return selectors.unread_count(current_user(request))


# Marking read and preferences are the same in every version: one router, mounted twice
# (ninja binds a router to one API, so each version builds its own from this function).


def settings_router() -> Router:
    """`POST /notifications/read` and `GET`/`PUT /notifications/preferences`."""
    router = Router(tags=["notifications"], auth=require_token)

    @router.post(
        "/notifications/read",
        response={200: UnreadOut, **error_responses(401, 422)},
        summary="Mark notifications read",
    )
    def mark_read(request: HttpRequest, payload: MarkReadIn) -> dict[str, int]:
        """Mark the listed notifications (`ids`) or every one (`all`) read."""
        user = current_user(request)
        if payload.all == (payload.ids is not None):
            raise ApiError(
                422,
                "validation_error",
                _('Send either {"ids": [...]} or {"all": true}.'),
                {"__all__": [_("Send either ids or all=true.")]},
            )
        marked = services.mark_read(actor=user, notification_ids=payload.ids, all=payload.all)
        return {"marked": marked, "unread": selectors.unread_count(user)}

    @router.get(
        "/notifications/preferences",
        response={200: PreferencesOut, 304: None, **error_responses(401)},
        summary="Your notification preferences",
    )
    def get_preferences(request: HttpRequest) -> dict[str, str]:
        """How you receive each kind: `in_app`, `email` (in the app and by email) or `off`."""
        return selectors.preferences_for(current_user(request))

    @router.put(
        "/notifications/preferences",
        response={200: PreferencesOut, **error_responses(401, 422)},
        summary="Change notification preferences",
    )
    def put_preferences(request: HttpRequest, payload: PreferencesIn) -> dict[str, str]:
        """Set how you receive each kind you send; kinds left out keep their choice."""
        choices = {kind: str(value) for kind, value in payload.model_dump().items() if value}
        return services.set_preferences(actor=current_user(request), choices=choices)

    return router
