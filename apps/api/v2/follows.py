"""Following authors, v2: follow, unfollow and check, as the signed-in reader.

The same services as the site's follow button (apps.accounts.services): following an
author means a notification (and mail, if chosen) whenever they publish.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field

from apps.accounts import selectors, services
from apps.accounts.models import User
from apps.api.auth import current_user, require_token
from apps.api.errors import ApiError, error_responses

router = Router(tags=["authors"])


class FollowOut(Schema):
    author: str = Field(description="The author's username.")
    following: bool = Field(description="Whether you follow the author.")
    followers: int = Field(description="How many readers follow the author.")


def _author(username: str) -> User:
    author = selectors.followable_author(username)
    if author is None:
        raise Http404(_("No such author."))
    return author


def _state(user: User, author: User) -> dict[str, Any]:
    return {
        "author": author.username,
        "following": selectors.is_following(follower=user, author_id=author.pk),
        "followers": selectors.follower_count(author),
    }


@router.get(
    "/authors/{username}/follow",
    auth=require_token,
    response={200: FollowOut, **error_responses(401, 403, 404)},
    summary="Whether you follow an author",
)
def follow_state(request: HttpRequest, username: str) -> dict[str, Any]:
    """Whether you follow the author, and how many readers do."""
    return _state(current_user(request), _author(username))


@router.post(
    "/authors/{username}/follow",
    auth=require_token,
    response={200: FollowOut, **error_responses(401, 403, 404, 422)},
    summary="Follow an author",
)
def follow(request: HttpRequest, username: str) -> dict[str, Any]:
    """Follow the author: you are notified when they publish. Doing it again changes nothing."""
    user = current_user(request)
    author = _author(username)
    try:
        services.follow_author(actor=user, author=author)
    except ValidationError as error:
        raise ApiError(422, "validation_error", " ".join(error.messages)) from None
    return _state(user, author)


@router.delete(
    "/authors/{username}/follow",
    auth=require_token,
    response={204: None, **error_responses(401, 403, 404)},
    summary="Unfollow an author",
)
def unfollow(request: HttpRequest, username: str) -> HttpResponse:
    """Stop following the author. Answers 204 whether or not you followed them."""
    services.unfollow_author(actor=current_user(request), author=_author(username))
    return HttpResponse(status=204)
