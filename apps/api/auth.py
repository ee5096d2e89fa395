"""Bearer-token authentication for the API: the access token check lives in apps.accounts.tokens.

The API never looks at cookies, so no request it accepts can be forged by another site:
it is CSRF-exempt by construction (ninja adds no CSRF check without cookie auth).
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from apps.accounts.models import User
from apps.accounts.tokens import user_for_access_token
from apps.api.errors import ApiError


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an `Authorization: Bearer …` header, if the request has one."""
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class JWTAuth(HttpBearer):
    """Requires a valid access token; a bad one is answered 401 with the reason's code."""

    def __call__(self, request: HttpRequest) -> User | AnonymousUser | None:
        token = bearer_token(request)
        if token is None:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> User | AnonymousUser | None:
        # TokenError propagates: the error handlers answer 401 with its code.
        return user_for_access_token(token)


class OptionalJWTAuth(JWTAuth):
    """Anonymous callers pass (as AnonymousUser); a token that is sent must be valid."""

    def __call__(self, request: HttpRequest) -> User | AnonymousUser | None:
        if bearer_token(request) is None and not request.headers.get("Authorization"):
            return AnonymousUser()
        return super().__call__(request)


def current_user(request: HttpRequest) -> User:
    """The authenticated caller of an operation that requires a token."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise ApiError(401, "not_authenticated", _("Send an access token."))
    return user


def viewer(request: HttpRequest) -> User | AnonymousUser:
    """The caller of an operation open to everyone: a user, or AnonymousUser."""
    user = getattr(request, "auth", None)
    return user if isinstance(user, User) else AnonymousUser()


require_token = JWTAuth()
optional_token = OptionalJWTAuth()

# For `openapi_extra=` on operations with `auth=optional_token`: the token may be left out.
# ninja appends this list to the operation's own `[{"OptionalJWTAuth": []}]`.
OPTIONAL_TOKEN_OPENAPI: dict[str, list[dict[str, list[str]]]] = {"security": [{}]}
