"""Notifications, v2: the signed-in user's list by opaque cursor; actors embedded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from apps.api import notifications, serializers
from apps.api.auth import require_token
from apps.api.comments import embedded
from apps.api.errors import ApiError, error_responses
from apps.api.schemas_comments import NotificationActorOut
from apps.api.v2.comments import Cursor, next_url

router = Router(tags=["notifications"], auth=require_token)
router.add_router("", notifications.settings_router())

NOTIFICATION_CURSOR = Cursor("inkwell.api.v2.cursor.notifications")


class NotificationOut(Schema):
    id: int
    kind: str = Field(description="`comment_reply`, `post_comment`, `post_published`, …")
    text: str
    url: str = Field(description="The site path it is about (open it in a browser).")
    actor: NotificationActorOut | None = Field(description="Who caused it, if anyone.")
    post: int | None
    comment: int | None
    created_at: datetime
    read: bool


class NotificationCursorPage(Schema):
    unread: int = Field(description="How many of your notifications are unread.")
    items: list[NotificationOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
    next: str | None = Field(description="The next page's URL; null at the end.")


class NotificationParams(Schema):
    unread: bool = Field(default=False, description="Only the unread ones.")
    cursor: str | None = Field(default=None, max_length=500, description="From `next_cursor`.")
    limit: int = Field(default=serializers.DEFAULT_PAGE_SIZE, ge=1, le=serializers.MAX_PAGE_SIZE)


@router.get(
    "/notifications",
    response={200: NotificationCursorPage, 304: None, **error_responses(401, 422)},
    summary="Your notifications",
)
def list_notifications(request: HttpRequest, params: Query[NotificationParams]) -> dict[str, Any]:
    """Your notifications, newest first; `?unread=true` for the unread ones."""
    listing = notifications.listing(request, unread_only=params.unread)
    if params.cursor:
        position = NOTIFICATION_CURSOR.decode(params.cursor)
        try:
            created_at, pk = datetime.fromisoformat(position[0]), int(position[1])
        except (TypeError, ValueError, IndexError):
            raise ApiError(
                400, "invalid_cursor", _("The cursor does not fit this listing.")
            ) from None
        # Newest first by (created_at, id): stable while new notifications arrive.
        listing = listing.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk))
    items = list(listing[: params.limit + 1])
    more, items = len(items) > params.limit, items[: params.limit]
    cursor = None
    if more:
        cursor = NOTIFICATION_CURSOR.encode([items[-1].created_at.isoformat(), items[-1].pk])
    return {
        "unread": notifications.unread(request),
        "items": [notifications.representation(n, embedded) for n in items],
        "next_cursor": cursor,
        "next": next_url(request, cursor=cursor) if cursor else None,
    }
