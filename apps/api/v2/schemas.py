"""v2 representations: posts embed their author, category and tags; `fields=` trims them.

Every field but `id` has a default, so a trimmed post still matches the schema;
operations dump with `exclude_unset`, so fields left out are absent, not null.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from apps.api.schemas import AuthorOut, CategoryOut, TagOut


class TranslationOut(Schema):
    language: str = Field(description="A language of the site (`SITE_LANGUAGES`).")
    slug: str
    url: str


class PostOut(Schema):
    id: int
    slug: str = ""
    language: str = Field(default="", description="The language the post is written in.")
    translations: list[TranslationOut] = Field(
        default_factory=list,
        description="Its published versions in the site's other languages (itself left out).",
    )
    title: str = ""
    subtitle: str = ""
    excerpt: str = ""
    status: str = ""
    featured: bool = False
    published_at: datetime | None = None
    reading_minutes: int = 0
    cover_image_url: str | None = None
    cover_alt: str = ""
    url: str = ""
    author: AuthorOut | None = None
    category: CategoryOut | None = None
    tags: list[TagOut] = Field(default_factory=list)
    body_html: str = Field(default="", description="Detail only.")
    toc: list[dict[str, Any]] = Field(default_factory=list, description="Detail only.")
    comments_open: bool = Field(default=True, description="Detail only.")
    updated_at: datetime | None = Field(default=None, description="Detail only.")


class CursorPage(Schema):
    items: list[PostOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
    next: str | None = Field(description="The next page's URL; null at the end.")


LIST_FIELDS = frozenset(PostOut.model_fields) - {"body_html", "toc", "comments_open", "updated_at"}
DETAIL_FIELDS = frozenset(PostOut.model_fields)
