"""Sign-up, sign-in (with the second factor), refresh rotation and sign-out for token clients."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Status

from apps.accounts import tokens as token_service
from apps.accounts.tokens import EmailTakenError
from apps.api import serializers
from apps.api.errors import ApiError, error_responses
from apps.api.schemas import RefreshIn, RegisterIn, RegisterOut, TokenIn, TokenOut
from apps.api.v1.me import me_data

router = Router(tags=["auth"])


@router.post(
    "/auth/register",
    response={201: RegisterOut, **error_responses(403, 409, 422)},
    auth=None,
    summary="Create an account",
)
def register(request: HttpRequest, payload: RegisterIn) -> Status[dict[str, Any]]:
    """Same rules as the sign-up page; a verification email is sent. Returns the first tokens."""
    try:
        user = token_service.register_account(
            request=request,
            email=payload.email,
            username=payload.username,
            password=payload.password,
        )
    except EmailTakenError as error:
        raise ApiError(409, "email_taken", str(error), {"email": [str(error)]}) from None
    except PermissionDenied as error:
        raise ApiError(403, "forbidden", str(error)) from None
    pair = token_service.issue_token_pair(user=user)
    return Status(201, {"user": me_data(request, user), "tokens": serializers.tokens(pair)})


@router.post(
    "/auth/token",
    response={200: TokenOut, **error_responses(401, 403, 422)},
    auth=None,
    summary="Sign in",
)
def token(request: HttpRequest, payload: TokenIn) -> dict[str, Any]:
    """Email and password (plus `otp` for two-factor accounts: else 401 `otp_required`)."""
    pair = token_service.obtain_token_pair(
        request=request, email=payload.email, password=payload.password, otp=payload.otp or ""
    )
    return serializers.tokens(pair)


@router.post(
    "/auth/refresh",
    response={200: TokenOut, **error_responses(401, 403, 422)},
    auth=None,
    summary="Rotate the refresh token",
)
def refresh(request: HttpRequest, payload: RefreshIn) -> dict[str, Any]:
    """Spend the refresh token for a new pair. Reusing a spent one revokes the whole sign-in."""
    pair = token_service.rotate_refresh_token(token=payload.refresh_token, request=request)
    return serializers.tokens(pair)


@router.post(
    "/auth/logout",
    response={204: None, **error_responses(401, 422)},
    auth=None,
    summary="Sign out",
)
def logout(request: HttpRequest, payload: RefreshIn) -> Status[None]:
    """Revoke the refresh token's sign-in: its refresh and access tokens stop working."""
    token_service.revoke_refresh_family(token=payload.refresh_token, request=request)
    return Status(204, None)
