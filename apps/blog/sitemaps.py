"""sitemap.xml: the home page, every published post, and the category, tag and author pages."""

from __future__ import annotations

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, QuerySet
from django.urls import reverse

from apps.accounts.models import User
from apps.blog.models import Category, Post, Tag
from apps.blog.selectors import published_posts


class HomeSitemap(Sitemap):  # type: ignore[type-arg]
    changefreq = "daily"
    priority = 1.0

    def items(self) -> list[str]:
        return ["blog:home"]

    def location(self, item: str) -> str:
        return reverse(item)


class PostSitemap(Sitemap):  # type: ignore[type-arg]
    changefreq = "weekly"
    priority = 0.8

    def items(self) -> QuerySet[Post]:
        return (
            published_posts()
            .prefetch_related(None)
            .select_related(None)
            .only("slug", "updated_at", "published_at")
        )

    def lastmod(self, item: Post) -> datetime:
        return item.updated_at


class _ListingSitemap(Sitemap):  # type: ignore[type-arg]
    changefreq = "weekly"
    priority = 0.5

    def lastmod(self, item: Category | Tag | User) -> datetime | None:
        return getattr(item, "last_published", None)


class CategorySitemap(_ListingSitemap):
    def items(self) -> QuerySet[Category]:
        return (
            Category.objects.filter(posts__in=published_posts().values("pk"))
            .annotate(last_published=Max("posts__published_at"))
            .order_by("name")
        )


class TagSitemap(_ListingSitemap):
    def items(self) -> QuerySet[Tag]:
        return (
            Tag.objects.filter(posts__in=published_posts().values("pk"))
            .annotate(last_published=Max("posts__published_at"))
            .order_by("name")
        )


class AuthorSitemap(_ListingSitemap):
    def items(self) -> QuerySet[User]:
        return (
            User.objects.filter(is_active=True, posts__in=published_posts().values("pk"))
            .annotate(last_published=Max("posts__published_at"))
            .order_by("username")
        )


SITEMAPS = {
    "home": HomeSitemap,
    "posts": PostSitemap,
    "categories": CategorySitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
}
