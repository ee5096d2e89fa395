"""v1 representations: posts name their author, category and tags by username and slugs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema

from apps.api.schemas import Page


class PostSummaryOut(Schema):
    id: int
    slug: str
    title: str
    subtitle: str
    excerpt: str
    status: str
    featured: bool
    published_at: datetime | None
    reading_minutes: int
    cover_image_url: str | None
    cover_alt: str
    url: str
    author: str
    category: str | None
    tags: list[str]


class PostOut(PostSummaryOut):
    body_html: str
    toc: list[dict[str, Any]]
    comments_open: bool
    updated_at: datetime


class PostPage(Page):
    items: list[PostSummaryOut]
