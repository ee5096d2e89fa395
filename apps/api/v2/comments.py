"""Comments, v2: threads page by opaque cursor; comment authors are embedded."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.core import signing
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from apps.api import comments, serializers
from apps.api.auth import OPTIONAL_TOKEN_OPENAPI, optional_token, require_token, viewer
from apps.api.comment_routes import add_comment_writes
from apps.api.errors import ApiError, error_responses
from apps.api.schemas_comments import (
    MAX_ID,
    CommentAuthorOut,
)
from apps.api.v2.posts import fields_pattern, selected_fields

router = Router(tags=["comments"], auth=require_token)

CURSOR_HELP = "From `next_cursor`."


class CommentOut(Schema):
    # Defaults everywhere but `id`: `fields=` leaves out what was not asked for.
    id: int
    post: int = 0
    parent: int | None = Field(default=None, description="The comment replied to.")
    thread_parent: int | None = Field(
        default=None,
        description="The comment whose `replies` list shows this one (replies below the "
        "third level are shown beside the comment they answer).",
    )
    depth: int = Field(default=0, description="0 for top-level comments; at most 2.")
    author: CommentAuthorOut | None = Field(default=None, description="Null for removed comments.")
    guest_name: str | None = Field(
        default=None,
        description="The name of a guest (an imported comment by someone without an "
        "account; `author` is then null), else null.",
    )
    body_html: str = Field(default="", description="Sanitised HTML; empty for removed comments.")
    body: str | None = Field(
        default=None, description="Your own comment's Markdown (to edit it), else null."
    )
    status: str = Field(default="", description="`published`, or `held` (awaiting approval).")
    created_at: datetime | None = None
    edited_at: datetime | None = None
    deleted: bool = Field(default=False, description="A placeholder for a removed comment.")
    replies: list[CommentOut] = Field(
        default_factory=list, description="The thread below (empty in `?after=`)."
    )


COMMENT_FIELDS = frozenset(CommentOut.model_fields)
FIELDS_HELP = (
    "Comma-separated fields to return for every comment, replies included (`id` always "
    "comes back), e.g. `author,body_html,replies`."
)


class CommentCursorPage(Schema):
    items: list[CommentOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
    next: str | None = Field(description="The next page's URL; null at the end.")
    total: int | None = Field(
        default=None,
        description="How many comments of the post you can see, on every page (the count "
        "the post page shows); absent in `?after=`.",
    )


class ThreadParams(Schema):
    cursor: str | None = Field(default=None, max_length=500, description=CURSOR_HELP)
    limit: int = Field(
        default=serializers.DEFAULT_PAGE_SIZE,
        ge=1,
        le=serializers.MAX_PAGE_SIZE,
        description="Threads (a top-level comment with all its replies) per page.",
    )
    order: Literal["oldest", "newest"] = Field(
        default="oldest",
        description="Threads oldest or newest first, as on the post page (`?comments=newest`); "
        "replies stay oldest first.",
    )
    after: int | None = Field(
        default=None,
        ge=0,
        le=MAX_ID,
        description="Catch up: the comments after this id, as a flat list (at most 200 a page).",
    )
    fields: str | None = Field(
        default=None,
        max_length=500,
        description=FIELDS_HELP,
        json_schema_extra={"pattern": fields_pattern(COMMENT_FIELDS)},
    )


class Cursor:
    """Signed, opaque cursors holding one listing's position (a salt per listing)."""

    def __init__(self, salt: str) -> None:
        self.salt = salt

    def encode(self, position: list[Any]) -> str:
        return signing.dumps({"p": position}, salt=self.salt)

    def decode(self, cursor: str) -> list[Any]:
        invalid = ApiError(
            400, "invalid_cursor", _("The cursor is not valid; start again without it.")
        )
        try:
            payload = signing.loads(cursor, salt=self.salt)
        except signing.BadSignature:
            raise invalid from None
        if not isinstance(payload, dict) or not isinstance(payload.get("p"), list):
            raise invalid
        position: list[Any] = payload["p"]
        return position


THREAD_CURSOR = Cursor("inkwell.api.v2.cursor.comments")


def next_url(request: HttpRequest, **changes: str) -> str:
    """This request's URL with some query parameters changed (the `next` link)."""
    query = request.GET.copy()
    for name, value in changes.items():
        query[name] = value
    return serializers.absolute(request, f"{request.path}?{query.urlencode()}")


def _trimmed(data: dict[str, Any], selected: frozenset[str]) -> dict[str, Any]:
    if selected == COMMENT_FIELDS:
        return data
    out = {key: value for key, value in data.items() if key in selected}
    if "replies" in out:
        out["replies"] = [_trimmed(reply, selected) for reply in out["replies"]]
    return out


@router.get(
    "/posts/{slug}/comments",
    response={200: CommentCursorPage, 304: None, **error_responses(401, 404, 422)},
    auth=optional_token,
    openapi_extra=OPTIONAL_TOKEN_OPENAPI,
    exclude_unset=True,
    summary="A post's comments",
)
def list_comments(request: HttpRequest, slug: str, params: Query[ThreadParams]) -> dict[str, Any]:
    """Threads (top-level comments with their replies), oldest or newest first, a page at a
    time as the post page shows them; `?after=` for the comments newer than an id."""
    reader = viewer(request)
    selected = selected_fields(params.fields, COMMENT_FIELDS)
    post = comments.public_post(slug)
    if params.after is not None:
        items = comments.catch_up(post, reader, params.after)
        more = len(items) >= comments.MAX_CATCH_UP
        return {
            "items": [
                _trimmed(comments.representation(c, reader, comments.embedded), selected)
                for c in items
            ],
            "next_cursor": None,
            "next": next_url(request, after=str(items[-1].pk)) if more else None,
        }
    cursor: int | None = None
    if params.cursor:
        position = THREAD_CURSOR.decode(params.cursor)
        try:
            cursor = int(position[0])
            # A cursor continues the order it was made in ("oldest" for older cursors).
            made_for = str(position[1]) if len(position) > 1 else "oldest"
        except (TypeError, ValueError, IndexError):
            raise ApiError(
                400, "invalid_cursor", _("The cursor does not fit this listing.")
            ) from None
        if made_for != params.order:
            raise ApiError(400, "invalid_cursor", _("The cursor was made for the other order."))
    page = comments.thread_page(post, reader, order=params.order, cursor=cursor, limit=params.limit)
    next_cursor = (
        THREAD_CURSOR.encode([page.next_cursor, page.order])
        if page.next_cursor is not None
        else None
    )
    return {
        "items": [
            _trimmed(comments.representation(c, reader, comments.embedded, tree=True), selected)
            for c in page.threads
        ],
        "next_cursor": next_cursor,
        "next": next_url(request, cursor=next_cursor) if next_cursor else None,
        "total": page.total,
    }


# Posting, editing, deleting and reporting: shared with the other version.
add_comment_writes(router, CommentOut, comments.embedded)
