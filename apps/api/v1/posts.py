"""Posts, v1: page-number pagination; author, category and tags by name."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router
from pydantic import Field

from apps.api import serializers
from apps.api.auth import OPTIONAL_TOKEN_OPENAPI, optional_token, viewer
from apps.api.errors import error_responses
from apps.api.listing import PostFilters, post_by_slug, posts_for
from apps.api.v1.schemas import PostOut, PostPage
from apps.blog.models import Post

router = Router(tags=["posts"], auth=optional_token)


class PageParams(PostFilters):
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(
        default=serializers.DEFAULT_PAGE_SIZE, ge=1, le=serializers.MAX_PAGE_SIZE
    )


def summary(request: HttpRequest, post: Post) -> dict[str, Any]:
    """A post in a v1 list."""
    return {
        **serializers.post_common(request, post),
        "author": post.author.username,
        "category": post.category.slug if post.category else None,
        "tags": [tag.slug for tag in post.tags.all()],
    }


@router.get(
    "/posts",
    response={200: PostPage, 304: None, **error_responses(401, 403, 404, 422)},
    openapi_extra=OPTIONAL_TOKEN_OPENAPI,
    summary="List posts",
)
def list_posts(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    """Published posts, newest first (search results best first); filter by category, tag, author."""
    posts, _ = posts_for(viewer(request), params)
    items, meta = serializers.paginate(request, posts, params.page, params.page_size)
    return {**meta, "items": [summary(request, post) for post in items]}


@router.get(
    "/posts/{slug}",
    response={200: PostOut, 304: None, **error_responses(401, 404, 422)},
    openapi_extra=OPTIONAL_TOKEN_OPENAPI,
    summary="One post",
)
def get_post(request: HttpRequest, slug: str) -> dict[str, Any]:
    """A published post; its authors and editors also see it before it is published."""
    post = post_by_slug(viewer(request), slug)
    return {**summary(request, post), **serializers.post_body(post)}
