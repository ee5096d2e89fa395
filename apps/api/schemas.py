"""Schemas shared by every API version (accounts, taxonomy, authors, tokens)."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import ConfigDict, Field


class StrictIn(Schema):
    """Input schemas refuse fields they do not know (422), so typos never pass silently."""

    model_config = ConfigDict(extra="forbid")


class RegisterIn(StrictIn):
    email: str = Field(min_length=1, max_length=254)
    username: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=200)


class TokenIn(StrictIn):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=200)
    otp: str | None = Field(
        default=None,
        max_length=32,
        description="A current code from the authenticator app, or a backup code (2FA accounts).",
    )


class RefreshIn(StrictIn):
    refresh_token: str = Field(min_length=1, max_length=200)


class TokenOut(Schema):
    token_type: str = "Bearer"  # noqa: S105  # the scheme name, not a secret
    access_token: str
    refresh_token: str
    expires_in: int = Field(description="Seconds until the access token expires.")
    access_expires_at: datetime
    refresh_expires_at: datetime


class CategoryOut(Schema):
    slug: str
    name: str
    description: str


class TagOut(Schema):
    slug: str
    name: str
    description: str


class AuthorOut(Schema):
    username: str
    name: str
    display_name: str
    bio_html: str
    avatar_url: str | None
    url: str


class MeOut(Schema):
    id: int
    email: str
    username: str
    display_name: str
    name: str
    bio: str
    bio_html: str
    avatar_url: str | None
    role: str
    email_verified: bool
    date_joined: datetime


class MePatchIn(StrictIn):
    display_name: str | None = Field(default=None, max_length=200)
    username: str | None = Field(default=None, max_length=100)
    bio: str | None = Field(default=None, max_length=5000)


class RegisterOut(Schema):
    user: MeOut
    tokens: TokenOut


class Page(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    next: str | None
    previous: str | None


class CategoryPage(Page):
    items: list[CategoryOut]


class TagPage(Page):
    items: list[TagOut]


class AuthorPage(Page):
    items: list[AuthorOut]
