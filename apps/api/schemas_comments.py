"""Comment and notification schemas shared by every API version (inputs, preferences, counts).

Version-specific representations (v1 names the author by username, v2 embeds it) live
beside their routers in apps/api/v1/ and apps/api/v2/.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import Field

from apps.api.schemas import StrictIn
from apps.comments.services import MAX_LENGTH
from apps.notifications.models import Delivery

# Ids are BigAutoField; a larger number would overflow the database's integer.
MAX_ID = 2**63 - 1
REPORT_REASON_MAX = 300
MAX_MARK_READ = 500


class CommentPath(Schema):
    comment_id: int = Field(ge=1, le=MAX_ID, description="The comment's id.")


class CommentIn(StrictIn):
    body: str = Field(max_length=MAX_LENGTH, description="Markdown subset, as on the site.")
    parent: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="The id of the comment this one replies to."
    )


class CommentEditIn(StrictIn):
    body: str = Field(max_length=MAX_LENGTH, description="The new Markdown.")


class ReportIn(StrictIn):
    reason: str = Field(default="", max_length=REPORT_REASON_MAX)


class ReportOut(Schema):
    comment: int
    reason: str
    created_at: datetime


class CommentAuthorOut(Schema):
    username: str
    name: str


class MarkReadIn(StrictIn):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        default=None,
        max_length=MAX_MARK_READ,
        description="Notification ids to mark read (others' ids are ignored).",
    )
    all: bool = Field(default=False, description="Mark every notification read.")


class UnreadOut(Schema):
    marked: int = Field(description="How many notifications this request marked read.")
    unread: int = Field(description="How many are still unread.")


class NotificationActorOut(Schema):
    username: str
    name: str


class PreferencesIn(StrictIn):
    """How to receive each kind; kinds left out keep their current choice."""

    comment_reply: Delivery | None = None
    post_comment: Delivery | None = None
    post_published: Delivery | None = None
    post_sent_back: Delivery | None = None
    mention: Delivery | None = None
    author_published: Delivery | None = None


class PreferencesOut(Schema):
    comment_reply: Delivery
    post_comment: Delivery
    post_published: Delivery
    post_sent_back: Delivery
    mention: Delivery
    author_published: Delivery = Field(description="A new post by an author you follow.")
