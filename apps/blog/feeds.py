"""RSS 2.0 and Atom feeds for the whole site, each category, each tag and each author."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, SyndicationFeed
from django.utils.translation import get_language

from apps.accounts.models import User
from apps.accounts.pages import profile_tag
from apps.blog import pages
from apps.blog.models import Category, Post, Tag
from apps.blog.selectors import published_posts
from apps.core.pagecache import depend_on

FEED_SIZE = 20


class LatestPostsFeed(Feed):  # type: ignore[type-arg]
    """The newest published posts, with their full (sanitised) body."""

    def title(self, obj: Any = None) -> str:
        return str(settings.SITE_NAME)

    def description(self, obj: Any = None) -> str:
        return str(settings.SITE_TAGLINE)

    def link(self, obj: Any = None) -> str:
        return reverse("blog:home")

    def get_posts(self, obj: Any) -> QuerySet[Post]:
        return published_posts(get_language())

    def listing_tags(self, obj: Any) -> list[str]:
        """The page-cache tags of which posts this feed lists (apps.blog.pages)."""
        return [pages.POSTS]

    def get_feed(self, obj: Any, request: HttpRequest) -> SyndicationFeed:
        # The page cache (urls.py) keeps the rendered feed until a post it lists, its
        # author, category or tags change.
        depend_on(request, *self.listing_tags(obj), *pages.card_tags(self.items(obj)))
        return super().get_feed(obj, request)

    def items(self, obj: Any = None) -> list[Post]:
        return list(self.get_posts(obj)[:FEED_SIZE])

    def item_title(self, item: Post) -> str:
        return item.title

    def item_description(self, item: Post) -> str:
        return item.body_html

    def item_link(self, item: Post) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Post) -> datetime | None:
        return item.published_at

    def item_updateddate(self, item: Post) -> datetime:
        return item.updated_at

    def item_author_name(self, item: Post) -> str:
        return item.author.name

    def item_categories(self, item: Post) -> list[str]:
        return [tag.name for tag in item.tags.all()]


class LatestPostsAtomFeed(LatestPostsFeed):
    feed_type = Atom1Feed
    subtitle = LatestPostsFeed.description


class CategoryFeed(LatestPostsFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Category:
        return get_object_or_404(Category, slug=slug)

    def title(self, obj: Category | None = None) -> str:
        return f"{settings.SITE_NAME}: {obj.name}" if obj else str(settings.SITE_NAME)

    def link(self, obj: Category | None = None) -> str:
        return obj.get_absolute_url() if obj else reverse("blog:home")

    def get_posts(self, obj: Category) -> QuerySet[Post]:
        return published_posts(get_language()).filter(category=obj)

    def listing_tags(self, obj: Category) -> list[str]:
        return [pages.category_tag(obj.pk), pages.category_posts_tag(obj.pk)]


class CategoryAtomFeed(CategoryFeed):
    feed_type = Atom1Feed
    subtitle = LatestPostsFeed.description


class TagFeed(LatestPostsFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Tag:
        return get_object_or_404(Tag, slug=slug)

    def title(self, obj: Tag | None = None) -> str:
        return f"{settings.SITE_NAME}: #{obj.name}" if obj else str(settings.SITE_NAME)

    def link(self, obj: Tag | None = None) -> str:
        return obj.get_absolute_url() if obj else reverse("blog:home")

    def get_posts(self, obj: Tag) -> QuerySet[Post]:
        return published_posts(get_language()).filter(tags=obj)

    def listing_tags(self, obj: Tag) -> list[str]:
        return [pages.tag_tag(obj.pk), pages.tag_posts_tag(obj.pk)]


class TagAtomFeed(TagFeed):
    feed_type = Atom1Feed
    subtitle = LatestPostsFeed.description


class AuthorFeed(LatestPostsFeed):
    def get_object(self, request: HttpRequest, username: str) -> User:
        return get_object_or_404(User, username=username, is_active=True)

    def title(self, obj: User | None = None) -> str:
        return f"{settings.SITE_NAME}: {obj.name}" if obj else str(settings.SITE_NAME)

    def link(self, obj: User | None = None) -> str:
        return obj.get_absolute_url() if obj else reverse("blog:home")

    def get_posts(self, obj: User) -> QuerySet[Post]:
        return published_posts(get_language()).filter(author=obj)

    def listing_tags(self, obj: User) -> list[str]:
        return [profile_tag(obj.pk), pages.author_posts_tag(obj.pk)]


class AuthorAtomFeed(AuthorFeed):
    feed_type = Atom1Feed
    subtitle = LatestPostsFeed.description
