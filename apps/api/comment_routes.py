"""The comment write routes, the same in every API version but for the comment's shape.

v1 and v2 differ only in how a comment is represented (its author as a username, or
embedded); posting, editing, deleting and reporting are otherwise one contract, so each
version's router gets them from here with its own `CommentOut` and author style.

No `from __future__ import annotations`: ninja reads these signatures at runtime.
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import Path, Router, Schema, Status

from apps.api import comments
from apps.api.auth import viewer
from apps.api.errors import error_responses
from apps.api.schemas_comments import CommentEditIn, CommentIn, CommentPath, ReportIn, ReportOut


def add_comment_writes(
    router: Router,
    comment_out: type[Schema],
    author_style: Callable[[Any], Any],
) -> None:
    """Add POST/PATCH/DELETE comment routes and reporting to `router`."""

    def one(request: HttpRequest, comment: Any) -> dict[str, Any]:
        return comments.representation(comment, viewer(request), author_style)

    @router.post(
        "/posts/{slug}/comments",
        response={201: comment_out, **error_responses(401, 403, 404, 409, 422)},
        summary="Post a comment",
    )
    def create_comment(
        request: HttpRequest, slug: str, payload: CommentIn
    ) -> Status[dict[str, Any]]:
        """Comment (or reply, with `parent`) as the signed-in, verified user; may be held."""
        comment = comments.create(request, slug, payload.body, payload.parent)
        return Status(201, one(request, comment))

    @router.patch(
        "/comments/{comment_id}",
        response={200: comment_out, **error_responses(401, 403, 404, 409, 422)},
        summary="Edit your comment",
    )
    def edit_comment(
        request: HttpRequest, path: Path[CommentPath], payload: CommentEditIn
    ) -> dict[str, Any]:
        """Change your own comment's text within 15 minutes of posting it."""
        return one(request, comments.edit(request, path.comment_id, payload.body))

    @router.delete(
        "/comments/{comment_id}",
        response={204: None, **error_responses(401, 403, 404, 409, 422)},
        summary="Delete a comment",
    )
    def delete_comment(request: HttpRequest, path: Path[CommentPath]) -> Status[None]:
        """Remove your own comment (moderators: any); the thread keeps a placeholder."""
        comments.delete(request, path.comment_id)
        return Status(204, None)

    @router.post(
        "/comments/{comment_id}/report",
        response={201: ReportOut, **error_responses(401, 403, 404, 409, 422)},
        summary="Report a comment",
    )
    def report_comment(
        request: HttpRequest, path: Path[CommentPath], payload: ReportIn | None = None
    ) -> Status[dict[str, Any]]:
        """Flag someone else's comment for the moderators, with an optional reason."""
        reason = payload.reason if payload is not None else ""
        return Status(201, comments.report(request, path.comment_id, reason))
