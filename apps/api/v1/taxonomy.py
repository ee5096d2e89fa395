"""Categories, tags and authors: what the app's filters offer."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from pydantic import Field

from apps.accounts.models import User
from apps.api import serializers
from apps.api.errors import error_responses
from apps.api.schemas import AuthorOut, AuthorPage, CategoryOut, CategoryPage, TagOut, TagPage
from apps.blog import selectors

router = Router(auth=None)


class PageParams(Schema):
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(
        default=serializers.DEFAULT_PAGE_SIZE, ge=1, le=serializers.MAX_PAGE_SIZE
    )


class TagParams(PageParams):
    q: str | None = Field(default=None, max_length=60, description="Part of the tag's name.")


READ = {304: None, **error_responses(404, 422)}


@router.get("/categories", response={200: CategoryPage, **READ}, tags=["categories"])
def list_categories(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    items, meta = serializers.paginate(
        request, selectors.categories_with_post_counts(), params.page, params.page_size
    )
    return {**meta, "items": [serializers.category(item) for item in items]}


@router.get("/categories/{slug}", response={200: CategoryOut, **READ}, tags=["categories"])
def get_category(request: HttpRequest, slug: str) -> dict[str, Any]:
    return serializers.category(
        get_object_or_404(selectors.categories_with_post_counts(), slug=slug)
    )


@router.get("/tags", response={200: TagPage, **READ}, tags=["tags"])
def list_tags(request: HttpRequest, params: Query[TagParams]) -> dict[str, Any]:
    items, meta = serializers.paginate(
        request, selectors.tags_with_post_counts(params.q or ""), params.page, params.page_size
    )
    return {**meta, "items": [serializers.tag(item) for item in items]}


@router.get("/tags/{slug}", response={200: TagOut, **READ}, tags=["tags"])
def get_tag(request: HttpRequest, slug: str) -> dict[str, Any]:
    return serializers.tag(get_object_or_404(selectors.tags_with_post_counts(), slug=slug))


def _public_authors() -> Any:
    # The web's author pages: active accounts with posts (deactivated ones have no page).
    return selectors.post_authors().filter(is_active=True)


@router.get("/authors", response={200: AuthorPage, **READ}, tags=["authors"])
def list_authors(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    items, meta = serializers.paginate(request, _public_authors(), params.page, params.page_size)
    return {**meta, "items": [serializers.author(request, user) for user in items]}


@router.get("/authors/{username}", response={200: AuthorOut, **READ}, tags=["authors"])
def get_author(request: HttpRequest, username: str) -> dict[str, Any]:
    user: User = get_object_or_404(_public_authors(), username=username.lower())
    return serializers.author(request, user)
