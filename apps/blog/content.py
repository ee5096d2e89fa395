"""Value types the blog's services, selectors, forms and the API share (no queries here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from apps.accounts.models import User
from apps.blog.models import Category, Tag


@dataclass
class PostContent:
    """Everything an author edits, as one value the editor form, API and commands share."""

    title: str
    body: str
    slug: str = ""
    subtitle: str = ""
    excerpt: str = ""
    category: Category | None = None
    tags: list[Tag] = field(default_factory=list)
    coauthors: list[User] = field(default_factory=list)
    cover_alt: str = ""
    seo_title: str = ""
    seo_description: str = ""
    canonical_url: str = ""
    featured: bool = False
    # A new post's language (one of SITE_LANGUAGES; "" the default). Fixed once created.
    language: str = ""
