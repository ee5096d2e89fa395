"""Template helpers for reader pages: structured data for search engines, sharing."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from apps.blog.cards import card_digest
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


@register.simple_tag(takes_context=True)
def share_image_url(context: template.Context, post: Post) -> str:
    """The absolute URL of the image shown when the post is shared: its cover, else its card.

    The card's URL names what it shows (apps.blog.cards), so a new title is a new URL.
    """
    request: HttpRequest = context["request"]
    if post.cover_image:
        return request.build_absolute_uri(post.cover_image.url)
    path = reverse("blog:social_card", kwargs={"slug": post.slug, "digest": card_digest(post)})
    return request.build_absolute_uri(path)


@register.simple_tag(takes_context=True)
def share_links(context: template.Context, post: Post) -> list[dict[str, str]]:
    """Plain share-intent links for the common networks: no third-party script on the page."""
    request: HttpRequest = context["request"]
    url = request.build_absolute_uri(post.get_absolute_url())
    title = post.title
    return [
        {
            "name": "Bluesky",
            "href": "https://bsky.app/intent/compose?" + urlencode({"text": f"{title} {url}"}),
        },
        {
            "name": "X",
            "href": "https://x.com/intent/post?" + urlencode({"text": title, "url": url}),
        },
        {
            "name": "LinkedIn",
            "href": "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url}),
        },
        {
            "name": "Facebook",
            "href": "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url}),
        },
        {
            "name": "Reddit",
            "href": "https://www.reddit.com/submit?" + urlencode({"url": url, "title": title}),
        },
        {
            "name": _("Email"),
            "href": "mailto:?" + urlencode({"subject": title, "body": url}, quote_via=quote),
        },
    ]
