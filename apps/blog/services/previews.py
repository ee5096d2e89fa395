"""Shareable preview links for unpublished posts: signed, expiring and revocable."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.permissions import require
from apps.blog.models import Post, PreviewLink

SALT = "inkwell.blog.preview"
MAX_HOURS = 24 * 14


@transaction.atomic
def create_preview_link(*, actor: User, post: Post, hours: int = 72) -> tuple[PreviewLink, str]:
    """A new preview link for `post`; returns it and the signed token for its URL."""
    require(actor, "post.edit", post)
    if not 1 <= hours <= MAX_HOURS:
        raise ValidationError({"hours": f"A preview link lasts between 1 and {MAX_HOURS} hours."})
    link = PreviewLink.objects.create(
        post=post,
        token=secrets.token_urlsafe(32),
        created_by=actor,
        expires_at=timezone.now() + timedelta(hours=hours),
    )
    return link, signed_token(link)


def signed_token(link: PreviewLink) -> str:
    """The value that goes in the preview URL: the link's id and secret, signed."""
    return signing.dumps({"id": link.pk, "t": link.token}, salt=SALT, compress=True)


@transaction.atomic
def revoke_preview_link(*, actor: User, link: PreviewLink) -> PreviewLink:
    """Stop a preview link from working, now."""
    require(actor, "post.edit", link.post)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    return link


def post_for_preview(token: str) -> Post | None:
    """The post a preview token opens, or None when it is forged, expired or revoked."""
    try:
        data = signing.loads(token, salt=SALT, max_age=timedelta(hours=MAX_HOURS))
    except signing.BadSignature:
        return None
    link = (
        PreviewLink.objects.select_related("post", "post__author", "post__category")
        .filter(pk=data.get("id"), token=data.get("t"))
        .first()
    )
    if link is None or not link.is_active:
        return None
    return link.post
