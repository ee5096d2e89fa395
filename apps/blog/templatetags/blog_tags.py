"""Template helpers for reader pages: structured data for search engines."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from apps.blog.models import Post

register = template.Library()

# The same escaping as Django's json_script: the JSON cannot close the element.
_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag(takes_context=True)
def article_jsonld(context: template.Context, post: Post) -> SafeString:
    """A schema.org Article as JSON-LD (a data block: browsers never execute it)."""
    request: HttpRequest = context["request"]
    url = request.build_absolute_uri(post.get_absolute_url())
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": post.meta_title[:110],
        "description": post.meta_description,
        "datePublished": post.published_at.isoformat() if post.published_at else None,
        "dateModified": post.updated_at.isoformat(),
        "mainEntityOfPage": url,
        "url": url,
        "author": [
            {
                "@type": "Person",
                "name": author.name,
                "url": request.build_absolute_uri(author.get_absolute_url()),
            }
            for author in [post.author, *post.coauthors.all()]
        ],
        "publisher": {"@type": "Organization", "name": settings.SITE_NAME},
        "keywords": [tag.name for tag in post.tags.all()],
        "wordCount": len(post.body.split()),
    }
    if post.cover_image:
        data["image"] = request.build_absolute_uri(post.cover_image.url)
    payload = json.dumps({k: v for k, v in data.items() if v not in (None, "", [])}).translate(
        _ESCAPES
    )
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308
