from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from apps.blog.models import Category, Post, Tag


def published_posts() -> QuerySet[Post]:
    """Posts a reader may see, newest first, with author, category and tags loaded."""
    return (
        Post.objects.filter(status=Post.Status.PUBLISHED, published_at__lte=timezone.now())
        .select_related("author", "category")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
        .order_by("-published_at", "-id")
    )


def featured_posts(limit: int = 3) -> QuerySet[Post]:
    """The newest featured posts, for the top of the home page."""
    return published_posts().filter(featured=True)[:limit]


def published_post_by_slug(slug: str) -> Post | None:
    """The published post with this slug, or None."""
    return published_posts().filter(slug=slug).first()


def adjacent_posts(post: Post) -> tuple[Post | None, Post | None]:
    """The published posts just before and just after this one."""
    older = (
        published_posts()
        .filter(published_at__lt=post.published_at)
        .only("title", "slug", "published_at")
        .order_by("-published_at")
        .prefetch_related(None)
        .select_related(None)
        .first()
    )
    newer = (
        published_posts()
        .filter(published_at__gt=post.published_at)
        .only("title", "slug", "published_at")
        .order_by("published_at")
        .prefetch_related(None)
        .select_related(None)
        .first()
    )
    return older, newer


def navigation_categories(limit: int = 6) -> QuerySet[Category]:
    """The categories with the most published posts, for the site header."""
    return (
        Category.objects.filter(posts__status=Post.Status.PUBLISHED)
        .annotate(post_count=Count("posts"))
        .order_by("-post_count", "name")[:limit]
    )
