"""Comments for both API versions: lookups, the services' refusals as API errors, the JSON.

Parse → call → represent, no rules: who may read, write, edit, delete or report is decided
by apps.comments.selectors and apps.comments.services, exactly as for the web pages. A
comment's JSON is the WebSocket event's (`broadcasts.comment_data`), so the app keeps one
model for both, plus `replies` (the thread) and `body` (your own Markdown, to edit it).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.selectors import has_verified_email
from apps.accounts.tokens import access_token_passed_second_factor
from apps.api.auth import bearer_token, current_user
from apps.api.errors import ApiError
from apps.blog import selectors as blog_selectors
from apps.blog.models import Post
from apps.comments import broadcasts, selectors, services
from apps.comments.models import Comment

AnyUser = User | AnonymousUser

# What a refusal's ValidationError code means for each operation: (status, code, field).
Refusals = Mapping[str, tuple[int, str, str | None]]

CREATE_REFUSALS: Refusals = {
    "empty": (422, "validation_error", "body"),
    "too_long": (422, "validation_error", "body"),
    "wrong_post": (422, "invalid_parent", "parent"),
    "deleted": (422, "invalid_parent", "parent"),
    "not_public": (422, "invalid_parent", "parent"),
    "closed": (409, "comments_closed", None),
    "not_published": (404, "not_found", None),
}
EDIT_REFUSALS: Refusals = {
    "empty": (422, "validation_error", "body"),
    "too_long": (422, "validation_error", "body"),
    "deleted": (409, "comment_deleted", None),
    "removed": (409, "comment_removed", None),
    "too_late": (409, "edit_window_closed", None),
}
DELETE_REFUSALS: Refusals = {
    "deleted": (409, "comment_deleted", None),
}
REPORT_REFUSALS: Refusals = {
    "own": (403, "own_comment", None),
    "not_public": (409, "comment_not_public", None),
    "too_long": (422, "validation_error", "reason"),
    "duplicate": (409, "already_reported", None),
}


def _retry_after() -> int:
    # apps.core.ratelimit aligns windows to the epoch, so when the commenter's window ends
    # is known without the service's private key.
    window = int(settings.COMMENT_RATE_WINDOW)
    return max(1, math.ceil(window - time.time() % window))


def refusal(error: ValidationError, refusals: Refusals) -> ApiError:
    """The API error for a service's ValidationError (by its `code`)."""
    message = " ".join(error.messages)
    code = getattr(error, "code", None)
    if code == "rate_limited":
        return ApiError(429, "rate_limited", message, headers={"Retry-After": str(_retry_after())})
    status, api_code, field = refusals.get(code or "", (422, "validation_error", None))
    return ApiError(status, api_code, message, {field: error.messages} if field else None)


def denied(error: PermissionDenied) -> ApiError:
    """The API error for a service's PermissionDenied."""
    return ApiError(403, "forbidden", str(error) or _("You do not have permission to do that."))


def call(func: Callable[[], Any], refusals: Refusals) -> Any:
    """Run a service call; turn its refusals into API errors."""
    try:
        return func()
    except ValidationError as error:
        raise refusal(error, refusals) from None
    except PermissionDenied as error:
        raise denied(error) from None


# --------------------------------------------------------------------------
# Lookups
# --------------------------------------------------------------------------


def public_post(slug: str) -> Post:
    """The published post whose comments a request names; else 404."""
    post = blog_selectors.published_posts().prefetch_related(None).filter(slug=slug).first()
    if post is None or not post.is_public:
        raise ApiError(404, "not_found", _("No such post."))
    return post


def comment_to_change(actor: User, comment_id: int) -> Comment:
    """A comment the actor may try to change: their own, or one they can see; else 404.

    The services then decide (own only, edit window, moderators…); a comment the actor
    cannot see is "not found", never "forbidden", so its existence does not leak.
    """
    comment = selectors.comment_on_public_post(comment_id)
    if comment is None or (
        comment.author_id != actor.pk
        and selectors.visible_comment(viewer=actor, comment_id=comment_id) is None
    ):
        raise ApiError(404, "not_found", _("No such comment."))
    return comment


# --------------------------------------------------------------------------
# Operations (the versions' routes call these and represent the result)
# --------------------------------------------------------------------------


def create(request: HttpRequest, slug: str, body: str, parent_id: int | None) -> Comment:
    """Post a comment or reply as the caller, through the web's service."""
    actor = current_user(request)
    post = public_post(slug)
    parent: Comment | None = None
    if parent_id is not None:
        parent = selectors.reply_target(post=post, comment_id=parent_id)
        if parent is None:
            raise ApiError(
                422,
                "invalid_parent",
                _("The comment you replied to does not exist on this post."),
                {"parent": [_("No such comment on this post.")]},
            )
    try:
        comment: Comment = services.create_comment(actor=actor, post=post, body=body, parent=parent)
    except ValidationError as error:
        raise refusal(error, CREATE_REFUSALS) from None
    except PermissionDenied as error:
        if not has_verified_email(actor):
            raise ApiError(403, "email_unverified", str(error)) from None
        raise denied(error) from None
    return selectors.prepare_single(comment)


def edit(request: HttpRequest, comment_id: int, body: str) -> Comment:
    """Change the caller's own comment within the edit window."""
    actor = current_user(request)
    comment = comment_to_change(actor, comment_id)
    edited: Comment = call(
        lambda: services.edit_comment(actor=actor, comment=comment, body=body), EDIT_REFUSALS
    )
    return selectors.prepare_single(edited)


def delete(request: HttpRequest, comment_id: int) -> None:
    """Remove the caller's comment (any, for moderators), leaving a placeholder."""
    actor = current_user(request)
    comment = comment_to_change(actor, comment_id)
    # Editors and admins get tokens only after enrolling and passing the second factor at
    # sign-in; the token says whether its sign-in did (a reader's token kept after promotion
    # to editor did not), as the web asks the session (apps.accounts.tokens).
    second_factor = access_token_passed_second_factor(bearer_token(request))
    call(
        lambda: services.delete_comment(actor=actor, comment=comment, second_factor=second_factor),
        DELETE_REFUSALS,
    )


def report(request: HttpRequest, comment_id: int, reason: str) -> dict[str, Any]:
    """Flag someone else's comment for the moderators (once per reader)."""
    actor = current_user(request)
    comment = comment_to_change(actor, comment_id)
    try:
        flagged = call(
            lambda: services.report_comment(actor=actor, comment=comment, reason=reason),
            REPORT_REFUSALS,
        )
    except ApiError as error:
        if error.status == 403 and not has_verified_email(actor):
            raise ApiError(403, "email_unverified", error.message) from None
        raise
    return {"comment": comment.pk, "reason": flagged.reason, "created_at": flagged.created_at}


# --------------------------------------------------------------------------
# Representation
# --------------------------------------------------------------------------


def username_only(author: dict[str, Any] | None) -> str | None:
    """v1 names the author by username."""
    return author["username"] if author else None


def embedded(author: dict[str, Any] | None) -> dict[str, Any] | None:
    """v2 embeds the author (as the WebSocket events do)."""
    return author


AuthorStyle = Callable[[dict[str, Any] | None], Any]


def representation(
    comment: Comment, viewer: AnyUser, author_style: AuthorStyle, *, tree: bool = False
) -> dict[str, Any]:
    """A comment as the WebSocket sends it, with `body` for its author and `replies`."""
    data: dict[str, Any] = broadcasts.comment_data(comment, "")["comment"]
    data["author"] = author_style(data["author"])
    own = viewer.is_authenticated and comment.author_id == viewer.pk
    data["body"] = comment.body if own and not data["deleted"] else None
    replies = getattr(comment, "thread_replies", []) if tree else []
    data["replies"] = [representation(r, viewer, author_style, tree=True) for r in replies]
    return data


def numbered_threads(
    post: Post, viewer: AnyUser, *, number: int, size: int
) -> tuple[list[Comment] | None, int]:
    """Page `number` of whole threads, oldest first (v1), and how many threads there are."""
    page, count = selectors.numbered_thread_page(
        post=post, viewer=viewer, number=number, threads=size, with_source=True
    )
    return (page.threads if page is not None else None), count


def thread_page(
    post: Post, viewer: AnyUser, *, order: str, cursor: int | None, limit: int
) -> selectors.ThreadPage:
    """A page of whole threads in the web page's order and paging (keyset on the top id)."""
    return selectors.thread_page(
        post=post,
        viewer=viewer,
        order=selectors.parse_order(order),
        cursor=cursor,
        threads=limit,
        replies=None,  # the app gets whole threads and renders them as it likes
        with_source=True,  # `body`: an author's own Markdown, to edit it
    )


def catch_up(post: Post, viewer: AnyUser, after_id: int) -> list[Comment]:
    """The comments after `after_id` the viewer may see, oldest first (flat, at most 200)."""
    return selectors.comments_after(post=post, viewer=viewer, after_id=after_id)


MAX_CATCH_UP = selectors.MAX_REPLAY
