from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.accounts.models import User
from apps.blog.models import Category, Post, Tag
from apps.core.markdown import markdown_to_safe_html

WORDS_PER_MINUTE = 230
_WORD = re.compile(r"\w+")


def reading_minutes(markdown: str) -> int:
    """Minutes an average reader needs for this text; at least one."""
    return max(1, math.ceil(len(_WORD.findall(markdown)) / WORDS_PER_MINUTE))


@transaction.atomic
def get_or_create_category(*, name: str, description: str = "") -> Category:
    """The category with this name, created if it does not exist."""
    category, _ = Category.objects.get_or_create(
        slug=slugify(name), defaults={"name": name, "description": description}
    )
    return category


@transaction.atomic
def get_or_create_tags(*, names: Iterable[str]) -> list[Tag]:
    """The tags with these names, created where missing, in the given order."""
    tags = []
    for name in names:
        tag, _ = Tag.objects.get_or_create(slug=slugify(name), defaults={"name": name})
        tags.append(tag)
    return tags


@transaction.atomic
def create_post(
    *,
    author: User,
    title: str,
    body: str,
    excerpt: str = "",
    slug: str | None = None,
    category: Category | None = None,
    tags: Iterable[Tag] = (),
    status: str = Post.Status.DRAFT,
    published_at: datetime | None = None,
    featured: bool = False,
) -> Post:
    """Store a post with its body rendered and sanitised; publishing needs a date."""
    if status == Post.Status.PUBLISHED and published_at is None:
        published_at = timezone.now()
    post = Post(
        author=author,
        title=title,
        slug=slug or slugify(title)[:200],
        excerpt=excerpt,
        body=body,
        body_html=markdown_to_safe_html(body),
        reading_minutes=reading_minutes(body),
        category=category,
        status=status,
        published_at=published_at,
        featured=featured,
    )
    post.full_clean()
    post.save()
    post.tags.set(list(tags))
    return post
