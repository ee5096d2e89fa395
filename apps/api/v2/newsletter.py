"""Newsletters, v2: list them (with the caller's status), subscribe or leave as the signed-in reader.

The same services as the site's pages (apps.newsletter.subscribers): a reader whose account
address is verified is subscribed at once; otherwise the address is sent a confirmation link
and the subscription is `pending` until it is followed.
"""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field

from apps.api.auth import (
    OPTIONAL_TOKEN_OPENAPI,
    current_user,
    optional_token,
    require_token,
    viewer,
)
from apps.api.errors import ApiError, error_responses
from apps.core.http import client_ip
from apps.newsletter import selectors, subscribers
from apps.newsletter.models import Newsletter, Source

router = Router(tags=["newsletters"])

Status = Literal["active", "pending", "unsubscribed"]


class NewsletterOut(Schema):
    slug: str
    name: str
    description: str
    is_default: bool = Field(description="Offered (and pre-ticked) by the site's sign-up boxes.")
    subscription: Status | None = Field(
        description="The signed-in reader's subscription: `active`, `pending` (waiting for the "
        "confirmation link mailed to them), `unsubscribed`; null if none or not signed in."
    )


class SubscriptionOut(Schema):
    newsletter: str = Field(description="The newsletter's slug.")
    status: Status = Field(
        description="`active` at once when your account address is verified; otherwise "
        "`pending` until you follow the link mailed to it."
    )


def _offered(slug: str) -> Newsletter:
    return get_object_or_404(selectors.newsletters_offered(), slug=slug)


@router.get(
    "/newsletters",
    auth=optional_token,
    response={200: list[NewsletterOut], 304: None, **error_responses(401, 403)},
    openapi_extra=OPTIONAL_TOKEN_OPENAPI,
    summary="List newsletters",
)
def list_newsletters(request: HttpRequest) -> list[dict[str, Any]]:
    """The newsletters readers may subscribe to, with your subscription to each."""
    mine = selectors.subscriptions_of(selectors.subscriber_for_user(viewer(request)))
    return [
        {
            "slug": n.slug,
            "name": n.name,
            "description": n.description,
            "is_default": n.is_default,
            "subscription": mine[n.pk].status if n.pk in mine else None,
        }
        for n in selectors.newsletters_offered()
    ]


@router.post(
    "/newsletters/{slug}/subscription",
    auth=require_token,
    response={200: SubscriptionOut, **error_responses(401, 403, 404, 409, 422)},
    summary="Subscribe to a newsletter",
)
def subscribe(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Subscribe your account's address. Doing it again changes nothing."""
    user = current_user(request)
    newsletter = _offered(slug)
    try:
        signup = subscribers.subscribe(
            email=user.email,
            newsletters=[newsletter],
            source=Source.API,
            user=user,
            ip=client_ip(request),
        )
    except ValidationError as error:
        if error.code == "rate_limited":
            retry = str((error.params or {}).get("retry_after", 60))
            raise ApiError(
                429, "rate_limited", " ".join(error.messages), headers={"Retry-After": retry}
            ) from None
        raise
    # Only the owner of a verified account address learns more than "pending" (no enumeration).
    if signup.suppressed and signup.owner:
        raise ApiError(
            409,
            "address_suppressed",
            _(
                "Mail to your address bounced or was reported as spam, so we no longer send to "
                "it. Contact the site to lift this."
            ),
        )
    status = "active" if signup.owner and not signup.pending else "pending"
    return {"newsletter": newsletter.slug, "status": status}


@router.delete(
    "/newsletters/{slug}/subscription",
    auth=require_token,
    response={204: None, **error_responses(401, 403, 404)},
    summary="Unsubscribe from a newsletter",
)
def unsubscribe(request: HttpRequest, slug: str) -> HttpResponse:
    """Leave the newsletter. Answers 204 whether or not you were subscribed."""
    user = current_user(request)
    newsletter = _offered(slug)
    subscriber = selectors.subscriber_for_user(user)
    if subscriber is not None:
        subscribers.unsubscribe(subscriber=subscriber, newsletters=[newsletter], source=Source.API)
    return HttpResponse(status=204)
