"""Model → JSON-ready dicts, shared by the versions (no queries: selectors load everything)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.paginator import EmptyPage, Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from apps.accounts.models import User
from apps.accounts.tokens import TokenPair
from apps.api.errors import ApiError
from apps.blog.models import Category, Post, Tag

MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 20


def absolute(request: HttpRequest, path: str) -> str:
    """An absolute URL for a site path (the app opens posts in a browser)."""
    return request.build_absolute_uri(path)


def tokens(pair: TokenPair) -> dict[str, Any]:
    """A token pair as the API returns it."""
    return {
        "token_type": "Bearer",
        "access_token": pair.access,
        "refresh_token": pair.refresh,
        "expires_in": pair.expires_in,
        "access_expires_at": pair.access_expires_at,
        "refresh_expires_at": pair.refresh_expires_at,
    }


def avatar_url(request: HttpRequest, user: User) -> str | None:
    """The avatar's absolute URL, or None."""
    return absolute(request, user.avatar.url) if user.avatar else None


def author(request: HttpRequest, user: User) -> dict[str, Any]:
    """An author's public profile."""
    return {
        "username": user.username,
        "name": user.name,
        "display_name": user.display_name,
        "bio_html": user.bio_html,
        "avatar_url": avatar_url(request, user),
        "url": absolute(request, user.get_absolute_url()),
    }


def category(item: Category) -> dict[str, Any]:
    """A category."""
    return {"slug": item.slug, "name": item.name, "description": item.description}


def tag(item: Tag) -> dict[str, Any]:
    """A tag."""
    return {"slug": item.slug, "name": item.name, "description": item.description}


def post_common(request: HttpRequest, post: Post) -> dict[str, Any]:
    """The fields every post representation has."""
    return {
        "id": post.pk,
        "slug": post.slug,
        "title": post.title,
        "subtitle": post.subtitle,
        "excerpt": post.excerpt,
        "status": post.status,
        "featured": post.featured,
        "published_at": post.published_at,
        "reading_minutes": post.reading_minutes,
        "cover_image_url": absolute(request, post.cover_image.url) if post.cover_image else None,
        "cover_alt": post.cover_alt,
        "url": absolute(request, post.get_absolute_url()),
    }


def post_body(post: Post) -> dict[str, Any]:
    """The detail-only fields of a post."""
    return {
        "body_html": post.body_html,
        "toc": post.toc,
        "comments_open": post.comments_open,
        "updated_at": post.updated_at,
    }


def paginate(
    request: HttpRequest, items: QuerySet[Any] | Sequence[Any], page: int, page_size: int
) -> tuple[list[Any], dict[str, Any]]:
    """One page of `items` and the page-number envelope fields (v1 pagination)."""
    paginator: Paginator[Model] = Paginator(items, page_size)
    try:
        current = paginator.page(page)
    except EmptyPage:
        if page == 1:  # an empty list is a valid first page
            return [], _page_meta(request, 0, 1, 1, page_size, has_next=False)
        raise ApiError(404, "not_found", f"There is no page {page}.") from None
    meta = _page_meta(
        request,
        paginator.count,
        current.number,
        paginator.num_pages,
        page_size,
        has_next=current.has_next(),
    )
    return list(current.object_list), meta


def numbered_page(
    request: HttpRequest, items: list[Any] | None, count: int, page: int, page_size: int
) -> tuple[list[Any], dict[str, Any]]:
    """A page already cut by the database, and its page-number envelope fields (v1)."""
    if items is None:
        raise ApiError(404, "not_found", f"There is no page {page}.")
    pages = max(1, -(-count // page_size))
    meta = _page_meta(request, count, page, pages, page_size, has_next=page < pages)
    return items, meta


def _page_url(request: HttpRequest, number: int) -> str:
    query = request.GET.copy()
    query["page"] = str(number)
    return absolute(request, f"{request.path}?{query.urlencode()}")


def _page_meta(
    request: HttpRequest, count: int, number: int, pages: int, size: int, *, has_next: bool
) -> dict[str, Any]:
    return {
        "count": count,
        "page": number,
        "pages": pages,
        "page_size": size,
        "next": _page_url(request, number + 1) if has_next else None,
        "previous": _page_url(request, number - 1) if number > 1 else None,
    }
