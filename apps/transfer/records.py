"""What the readers of other platforms' files hand to the importer: plain, neutral records.

The WXR reader (apps.transfer.wxr) and the Ghost reader (apps.transfer.ghost) both turn
their format into these, so one importer (apps.transfer.importer) writes them, with the
same batching, idempotency, resume and report for both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class SourceError(Exception):
    """The file cannot be read (malformed, truncated, refused): the report's one error line."""


@dataclass
class AuthorRecord:
    source_id: str  # WXR: the login; Ghost: the user id
    login: str
    email: str
    display_name: str = ""


@dataclass
class TermRecord:
    kind: str  # "category" or "tag"
    source_id: str  # the old slug (WXR) or id (Ghost)
    slug: str
    name: str
    description: str = ""


@dataclass
class CommentRecord:
    source_id: str
    parent_id: str  # "" or "0" for a top-level comment
    author_name: str
    author_email: str
    created_at: datetime | None
    html: str
    status: str  # raw: WXR "1"/"0"/"spam"/"trash"; Ghost "published"/"hidden"/"deleted"


@dataclass
class ItemRecord:
    """A post or a page of the old site, with its comments."""

    kind: str  # "post" or "page"
    source_id: str
    title: str
    slug: str
    html: str
    excerpt: str = ""
    status: str = "draft"  # raw status of the source system
    published_at: datetime | None = None
    author_id: str = ""  # an AuthorRecord.source_id
    author_ids: list[str] = field(default_factory=list)  # further authors (Ghost)
    categories: list[str] = field(default_factory=list)  # TermRecord.source_id values
    tags: list[str] = field(default_factory=list)
    featured: bool = False
    cover_url: str = ""
    cover_alt: str = ""
    seo_title: str = ""
    seo_description: str = ""
    old_paths: list[str] = field(default_factory=list)  # addresses that redirect here
    comments: list[CommentRecord] = field(default_factory=list)
