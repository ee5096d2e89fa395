"""Which selector answers a posts request: shared by v1 and v2 (parse → call, no rules here)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.api.errors import ApiError
from apps.blog import pages, selectors
from apps.blog.models import Category, Post, Tag
from apps.blog.search import search_posts


class PostFilters(Schema):
    language: str | None = Field(
        default=None,
        max_length=12,
        pattern=r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$",
        description="Only posts in this language (one of the site's languages).",
    )
    category: str | None = Field(default=None, max_length=80, description="A category slug.")
    tag: str | None = Field(default=None, max_length=60, description="A tag slug.")
    author: str | None = Field(default=None, max_length=40, description="An author's username.")
    q: str | None = Field(default=None, max_length=200, description="Search words, as on the site.")
    status: Post.Status | None = Field(
        default=None,
        description="Unpublished work: authors see their own posts, editors everyone's. "
        "Needs a token with the author role or higher.",
    )


def _require_dashboard(viewer: User | AnonymousUser) -> User:
    if not isinstance(viewer, User):
        raise ApiError(401, "not_authenticated", _("Sign in to see unpublished posts."))
    if not can(viewer, "dashboard.access"):
        raise ApiError(403, "forbidden", _("Only authors and editors see unpublished posts."))
    return viewer


def check_language(language: str | None) -> None:
    """422 for a language the site does not publish in."""
    if language is not None and language not in settings.SITE_LANGUAGES:
        raise ApiError(
            422,
            "validation_error",
            _("Unknown language."),
            {
                "language": [
                    _("Use one of: %(languages)s.")
                    % {"languages": ", ".join(settings.SITE_LANGUAGES)}
                ]
            },
        )


def posts_for(viewer: User | AnonymousUser, filters: PostFilters) -> tuple[QuerySet[Post], bool]:
    """The posts a listing shows, and whether they are in published order (keyset-pageable)."""
    check_language(filters.language)
    if filters.status is not None:
        user = _require_dashboard(viewer)
        posts = selectors.dashboard_posts(
            viewer=user, status=filters.status, search=filters.q or ""
        )
        keyset = False
    elif filters.q:
        posts, keyset = search_posts(filters.q, filters.language), False
    else:
        posts, keyset = selectors.published_posts(), True
    if filters.language:
        posts = posts.filter(language=filters.language)
    if filters.category:
        posts = posts.filter(category__slug=filters.category)
    if filters.tag:
        posts = posts.filter(tags__slug=filters.tag)
    if filters.author:
        posts = posts.filter(author__username=filters.author.lower())
    return posts, keyset


def listing_tags(filters: PostFilters, posts: list[Post]) -> list[str]:
    """Page-cache tags of a public listing: its posts' cards and the listings it filters by.

    A filter names a listing (`tag-posts:<id>` …), so a post that joins it makes the cached
    answer stale even though that post was not in it. An unknown slug matches nothing: the
    empty answer then depends on every post (`posts`), which a new category or tag needs.
    """
    tags = [pages.POSTS, *pages.card_tags(posts)]
    if filters.category:
        categories = Category.objects.filter(slug=filters.category).values_list("pk", flat=True)
        tags += [pages.category_posts_tag(pk) for pk in categories]
    if filters.tag:
        tag_ids = Tag.objects.filter(slug=filters.tag).values_list("pk", flat=True)
        tags += [pages.tag_posts_tag(pk) for pk in tag_ids]
    if filters.author:
        users = User.objects.filter(username=filters.author.lower()).values_list("pk", flat=True)
        tags += [pages.author_posts_tag(pk) for pk in users]
    return tags


def post_by_slug(viewer: User | AnonymousUser, slug: str, language: str | None = None) -> Post:
    """The published post with this slug, or an unpublished one its viewer may edit; else 404.

    Slugs are unique within a language: `language` (default: the site's default) says which.
    """
    check_language(language)
    language = language or settings.LANGUAGE_CODE
    post = selectors.published_post_by_slug(slug, language)
    if post is not None:
        return post
    if isinstance(viewer, User) and can(viewer, "dashboard.access"):
        mine = selectors.dashboard_posts(viewer=viewer).defer(None)
        own = mine.filter(slug=slug, language=language).first()
        if own is not None and can(viewer, "post.edit", own):
            return own
    raise ApiError(404, "not_found", _("No such post."))
