"""Notifications, v1: the signed-in user's list by page number; actors named by username."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from apps.api import notifications, serializers
from apps.api.auth import require_token
from apps.api.comments import username_only
from apps.api.errors import error_responses
from apps.api.schemas import Page

router = Router(tags=["notifications"], auth=require_token)
router.add_router("", notifications.settings_router())


class NotificationOut(Schema):
    id: int
    kind: str = Field(description="`comment_reply`, `post_comment`, `post_published`, …")
    text: str
    url: str = Field(description="The site path it is about (open it in a browser).")
    actor: str | None = Field(description="Who caused it (username), if anyone.")
    post: int | None
    comment: int | None
    created_at: datetime
    read: bool


class NotificationPage(Page):
    unread: int = Field(description="How many of your notifications are unread.")
    items: list[NotificationOut]


class NotificationParams(Schema):
    unread: bool = Field(default=False, description="Only the unread ones.")
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(
        default=serializers.DEFAULT_PAGE_SIZE, ge=1, le=serializers.MAX_PAGE_SIZE
    )


@router.get(
    "/notifications",
    response={200: NotificationPage, 304: None, **error_responses(401, 404, 422)},
    summary="Your notifications",
)
def list_notifications(request: HttpRequest, params: Query[NotificationParams]) -> dict[str, Any]:
    """Your notifications, newest first; `?unread=true` for the unread ones."""
    items, meta = serializers.paginate(
        request,
        notifications.listing(request, unread_only=params.unread),
        params.page,
        params.page_size,
    )
    return {
        **meta,
        "unread": notifications.unread(request),
        "items": [notifications.representation(n, username_only) for n in items],
    }
