"""Comments, v1: threads page by page number; comment authors are named by username."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from apps.api import comments, serializers
from apps.api.auth import OPTIONAL_TOKEN_OPENAPI, optional_token, require_token, viewer
from apps.api.comment_routes import add_comment_writes
from apps.api.errors import error_responses
from apps.api.schemas import Page
from apps.api.schemas_comments import (
    MAX_ID,
)

router = Router(tags=["comments"], auth=require_token)


class CommentOut(Schema):
    id: int
    post: int
    parent: int | None = Field(description="The comment replied to.")
    thread_parent: int | None = Field(
        description="The comment whose `replies` list shows this one (replies below the "
        "third level are shown beside the comment they answer)."
    )
    depth: int = Field(description="0 for top-level comments; at most 2.")
    author: str | None = Field(description="Username; null for removed comments.")
    guest_name: str | None = Field(
        default=None,
        description="The name of a guest (an imported comment by someone without an "
        "account; `author` is then null), else null.",
    )
    body_html: str = Field(description="Sanitised HTML; empty for removed comments.")
    body: str | None = Field(description="Your own comment's Markdown (to edit it), else null.")
    status: str = Field(description="`published`, or `held` (awaiting approval).")
    created_at: datetime
    edited_at: datetime | None
    deleted: bool = Field(description="A placeholder for a removed comment.")
    replies: list[CommentOut] = Field(description="The thread below (empty in `?after=`).")


class CommentPage(Page):
    items: list[CommentOut]


class ThreadParams(Schema):
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(
        default=serializers.DEFAULT_PAGE_SIZE, ge=1, le=serializers.MAX_PAGE_SIZE
    )
    after: int | None = Field(
        default=None,
        ge=0,
        le=MAX_ID,
        description="Catch up: the comments after this id, as a flat list (at most 200).",
    )


@router.get(
    "/posts/{slug}/comments",
    response={200: CommentPage, 304: None, **error_responses(401, 404, 422)},
    auth=optional_token,
    openapi_extra=OPTIONAL_TOKEN_OPENAPI,
    summary="A post's comments",
)
def list_comments(request: HttpRequest, slug: str, params: Query[ThreadParams]) -> dict[str, Any]:
    """Top-level comments, oldest first, with their replies; `?after=` for the newer ones."""
    reader = viewer(request)
    post = comments.public_post(slug)
    if params.after is not None:
        recent = comments.catch_up(post, reader, params.after)
        items, meta = serializers.paginate(request, recent, 1, max(1, len(recent)))
        if len(recent) >= comments.MAX_CATCH_UP:
            query = request.GET.copy()
            query["after"] = str(recent[-1].pk)
            meta["next"] = serializers.absolute(request, f"{request.path}?{query.urlencode()}")
    else:
        # Only the page's threads are read: a post with 1,000 comments costs what one with 10 does.
        threads, count = comments.numbered_threads(
            post, reader, number=params.page, size=params.page_size
        )
        items, meta = serializers.numbered_page(
            request, threads, count, params.page, params.page_size
        )
    tree = params.after is None
    return {
        **meta,
        "items": [
            comments.representation(c, reader, comments.username_only, tree=tree) for c in items
        ],
    }


# Posting, editing, deleting and reporting: shared with the other version.
add_comment_writes(router, CommentOut, comments.username_only)
