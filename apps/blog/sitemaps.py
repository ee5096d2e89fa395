"""sitemap.xml: the home page, every published post, and the category, tag and author pages.

Every language's pages are listed, each with its alternates (`xhtml:link hreflang`): a post
with the published versions of it (its translations), the other pages in every language.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Max, QuerySet
from django.urls import reverse

from apps.accounts.models import User
from apps.blog.models import Category, Post, Tag
from apps.blog.selectors import published_posts


class HomeSitemap(Sitemap):  # type: ignore[type-arg]
    changefreq = "daily"
    priority = 1.0
    i18n = alternates = x_default = True

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
            .only("slug", "updated_at", "published_at", "language", "translation_of_id")
        )

    def lastmod(self, item: Post) -> datetime:
        return item.updated_at

    def _urls(self, page: int | str, protocol: str, domain: str) -> list[dict[str, Any]]:
        urls: list[dict[str, Any]] = super()._urls(page, protocol, domain)  # type: ignore[misc]
        groups: dict[int, list[Post]] = defaultdict(list)
        for post in self.items().filter(language__in=settings.SITE_LANGUAGES):
            groups[post.source_id].append(post)
        for info in urls:
            versions = groups.get(info["item"].source_id, [])
            if len(versions) < 2:
                continue
            info["alternates"] = [
                {
                    "location": f"{protocol}://{domain}{post.get_absolute_url()}",
                    "lang_code": post.language,
                }
                for post in versions
            ]
            default = next((p for p in versions if p.language == settings.LANGUAGE_CODE), None)
            if default is not None:
                info["alternates"].append(
                    {
                        "location": f"{protocol}://{domain}{default.get_absolute_url()}",
                        "lang_code": "x-default",
                    }
                )
        return urls


class _ListingSitemap(Sitemap):  # type: ignore[type-arg]
    changefreq = "weekly"
    priority = 0.5
    i18n = alternates = x_default = True

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
