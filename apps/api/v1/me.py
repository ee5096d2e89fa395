"""The signed-in user's own account: read it, change the public profile."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from apps.accounts.models import User
from apps.accounts.profile.services import ProfileChanges, update_profile
from apps.accounts.roles import role_of
from apps.accounts.selectors import has_verified_email
from apps.api import serializers
from apps.api.auth import current_user, require_token
from apps.api.errors import error_responses
from apps.api.schemas import MeOut, MePatchIn

router = Router(tags=["me"], auth=require_token)


def me_data(request: HttpRequest, user: User) -> dict[str, Any]:
    """The account as its owner sees it."""
    return {
        "id": user.pk,
        "email": user.email,
        "username": user.username,
        "display_name": user.display_name,
        "name": user.name,
        "bio": user.bio,
        "bio_html": user.bio_html,
        "avatar_url": serializers.avatar_url(request, user),
        "role": role_of(user).value,
        "email_verified": has_verified_email(user),
        "date_joined": user.date_joined,
    }


@router.get("/me", response={200: MeOut, 304: None, **error_responses(401)}, summary="Your account")
def get_me(request: HttpRequest) -> dict[str, Any]:
    return me_data(request, current_user(request))


@router.patch(
    "/me", response={200: MeOut, **error_responses(401, 403, 422)}, summary="Edit your profile"
)
def patch_me(request: HttpRequest, payload: MePatchIn) -> dict[str, Any]:
    """Change display name, username or bio with the profile page's rules; omitted fields stay."""
    user = current_user(request)
    changes = ProfileChanges(
        display_name=user.display_name if payload.display_name is None else payload.display_name,
        username=user.username if payload.username is None else payload.username,
        bio=user.bio if payload.bio is None else payload.bio,
    )
    updated = update_profile(actor=user, user=user, changes=changes, request=request)
    return me_data(request, updated)
