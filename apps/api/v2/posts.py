"""Posts, v2: opaque cursors, embedded author/category/tags, and `fields=` to trim."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.decorators import decorate_view
from pydantic import Field

from apps.api import serializers
from apps.api.auth import OPTIONAL_TOKEN_OPENAPI, optional_token, viewer
from apps.api.errors import ApiError, error_responses
from apps.api.listing import PostFilters, listing_tags, post_by_slug, posts_for
from apps.api.v2.schemas import DETAIL_FIELDS, LIST_FIELDS, CursorPage, PostOut
from apps.blog import pages, selectors
from apps.blog.models import Post
from apps.core.pagecache import cached_for_readers, depend_on

router = Router(tags=["posts"], auth=optional_token)

_CURSOR_SALT = "inkwell.api.v2.cursor"
FIELDS_HELP = "Comma-separated fields to return (`id` always comes back), e.g. `title,url,author`."


def fields_pattern(allowed: frozenset[str]) -> str:
    """A regular expression for a comma-separated list of `allowed` names (or nothing).

    It goes into the OpenAPI document, so clients (and schemathesis) know the valid
    values, and `selected_fields` enforces the same expression (with a message that
    names the unknown fields), so the schema and the server agree exactly.
    """
    name = "(?:" + "|".join(sorted(allowed, key=lambda n: (-len(n), n))) + ")"
    return rf"^ *(?:{name} *(?:, *{name} *)*)?$"


class CursorParams(PostFilters):
    cursor: str | None = Field(default=None, max_length=500, description="From `next_cursor`.")
    limit: int = Field(default=serializers.DEFAULT_PAGE_SIZE, ge=1, le=serializers.MAX_PAGE_SIZE)
    fields: str | None = Field(
        default=None,
        max_length=500,
        description=FIELDS_HELP,
        json_schema_extra={"pattern": fields_pattern(LIST_FIELDS)},
    )


class FieldsParams(Schema):
    language: str | None = Field(
        default=None,
        max_length=12,
        pattern=r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$",
        description="The post's language (slugs are unique within a language); default: the "
        "site's default language.",
    )
    fields: str | None = Field(
        default=None,
        max_length=500,
        description=FIELDS_HELP,
        json_schema_extra={"pattern": fields_pattern(DETAIL_FIELDS)},
    )


def selected_fields(fields: str | None, allowed: frozenset[str]) -> frozenset[str]:
    """The fields a `fields=` parameter asks for (plus `id`); 422 for unknown names."""
    if not fields:
        return allowed
    wanted = {name.strip() for name in fields.split(",") if name.strip()}
    unknown = sorted(wanted - allowed)
    if unknown or not re.fullmatch(fields_pattern(allowed), fields):
        problem = f"Unknown field(s): {', '.join(unknown)}. " if unknown else ""
        raise ApiError(
            422,
            "validation_error",
            "Unknown fields.",
            {
                "fields": [
                    f"{problem}Give names separated by commas, from: {', '.join(sorted(allowed))}."
                ]
            },
        )
    return frozenset(wanted | {"id"})


def _translations(
    request: HttpRequest, post: Post, versions: list[selectors.Version]
) -> list[dict[str, str]]:
    return [
        {
            "language": version.language,
            "slug": version.slug,
            "url": serializers.absolute(request, version.url),
        }
        for version in versions
        if version.language != post.language
    ]


def representation(
    request: HttpRequest,
    post: Post,
    selected: frozenset[str],
    *,
    detail: bool,
    versions: list[selectors.Version] | None = None,
) -> dict[str, Any]:
    """A post embedding its author, category and tags, trimmed to `selected`."""
    data: dict[str, Any] = serializers.post_common(request, post)
    data["language"] = post.language
    if "translations" in selected:
        if versions is None:
            versions = selectors.published_versions(post)
        data["translations"] = _translations(request, post, versions)
    data["author"] = serializers.author(request, post.author)
    data["category"] = serializers.category(post.category) if post.category else None
    data["tags"] = [serializers.tag(tag) for tag in post.tags.all()]
    if detail:
        data.update(serializers.post_body(post))
    return {key: value for key, value in data.items() if key in selected}


def _encode(payload: dict[str, Any]) -> str:
    return signing.dumps(payload, salt=_CURSOR_SALT)


def _decode(cursor: str) -> dict[str, Any]:
    try:
        payload = signing.loads(cursor, salt=_CURSOR_SALT)
    except signing.BadSignature:
        raise ApiError(
            400, "invalid_cursor", "The cursor is not valid; start again without it."
        ) from None
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_cursor", "The cursor is not valid; start again without it.")
    return payload


def _page(
    posts: QuerySet[Post], *, keyset: bool, cursor: str | None, limit: int
) -> tuple[list[Post], str | None]:
    # Published listings page by (published_at, id), stable while posts are added; search
    # and status listings have other orders and page by offset.
    offset = 0
    if cursor:
        payload = _decode(cursor)
        try:
            if keyset and "k" in payload:
                published_at, pk = datetime.fromisoformat(payload["k"][0]), int(payload["k"][1])
                posts = posts.filter(
                    Q(published_at__lt=published_at) | Q(published_at=published_at, pk__lt=pk)
                )
            elif not keyset and "o" in payload:
                offset = max(0, int(payload["o"]))
            else:
                raise ValueError(payload)
        except (TypeError, ValueError, KeyError, IndexError):
            raise ApiError(400, "invalid_cursor", "The cursor does not fit this listing.") from None
    items = list(posts[offset : offset + limit + 1])
    more, items = len(items) > limit, items[:limit]
    if not more:
        return items, None
    last = items[-1]
    if keyset and last.published_at is not None:
        return items, _encode({"k": [last.published_at.isoformat(), last.pk]})
    return items, _encode({"o": offset + limit})


@router.get(
    "/posts",
    response={200: CursorPage, 304: None, **error_responses(401, 403, 422)},
    openapi_extra=OPTIONAL_TOKEN_OPENAPI,
    exclude_unset=True,
    summary="List posts",
)
@decorate_view(cached_for_readers)
def list_posts(request: HttpRequest, params: Query[CursorParams]) -> dict[str, Any]:
    """Published posts, newest first (search results best first); filter by category, tag, author."""
    selected = selected_fields(params.fields, LIST_FIELDS)
    posts, keyset = posts_for(viewer(request), params)
    items, next_cursor = _page(posts, keyset=keyset, cursor=params.cursor, limit=params.limit)
    depend_on(request, *listing_tags(params, items))
    versions = selectors.versions_by_source(items) if "translations" in selected else {}
    depend_on(request, *[pages.versions_tag(root) for root in versions])
    next_url = None
    if next_cursor:
        query = request.GET.copy()
        query["cursor"] = next_cursor
        next_url = serializers.absolute(request, f"{request.path}?{query.urlencode()}")
    return {
        "items": [
            representation(
                request, post, selected, detail=False, versions=versions.get(post.source_id, [])
            )
            for post in items
        ],
        "next_cursor": next_cursor,
        "next": next_url,
    }


@router.get(
    "/posts/{slug}",
    response={200: PostOut, 304: None, **error_responses(401, 404, 422)},
    openapi_extra=OPTIONAL_TOKEN_OPENAPI,
    exclude_unset=True,
    summary="One post",
)
@decorate_view(cached_for_readers)
def get_post(request: HttpRequest, slug: str, params: Query[FieldsParams]) -> dict[str, Any]:
    """A published post; its authors and editors also see it before it is published."""
    selected = selected_fields(params.fields, DETAIL_FIELDS)
    post = post_by_slug(viewer(request), slug, params.language)
    depend_on(request, *pages.card_tags([post]), pages.versions_tag(post.source_id))
    return representation(request, post, selected, detail=True)
