"""Markdown to safe HTML: markdown-it-py renders, nh3 sanitises on an allowlist.

markdown-it's own raw-HTML support is off, and the output still goes through
nh3: the renderer is not a security boundary, the allowlist is.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import nh3
from markdown_it import MarkdownIt

Profile = Literal["post", "comment"]

_POST_TAGS = frozenset(
    {
        "a", "abbr", "blockquote", "br", "code", "del", "em", "figcaption", "figure",
        "h2", "h3", "h4", "h5", "h6", "hr", "img", "kbd", "li", "ol", "p", "pre",
        "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_COMMENT_TAGS = frozenset(
    {"a", "blockquote", "br", "code", "em", "li", "ol", "p", "pre", "strong", "ul"}
)
_POST_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "th": {"align"},
    "td": {"align"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "ol": {"start"},
    "code": {"class"},
}
_COMMENT_ATTRIBUTES = {"a": {"href", "title"}}
_URL_SCHEMES = frozenset({"http", "https", "mailto"})


@lru_cache(maxsize=2)
def _renderer(profile: Profile) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True})
    if profile == "post":
        md.enable(["table", "strikethrough"])
    else:
        # Comments get emphasis, links, code, lists and quotes: no headings or images.
        md.disable(["heading", "lheading", "image", "hr"])
    return md


def sanitize_html(html: str, *, profile: Profile = "post") -> str:
    """Strip everything outside the profile's allowlist (scripts, handlers, styles)."""
    if profile == "post":
        return nh3.clean(
            html,
            tags=set(_POST_TAGS),
            attributes={k: set(v) for k, v in _POST_ATTRIBUTES.items()},
            url_schemes=set(_URL_SCHEMES),
            link_rel="noopener noreferrer",
        )
    return nh3.clean(
        html,
        tags=set(_COMMENT_TAGS),
        attributes={k: set(v) for k, v in _COMMENT_ATTRIBUTES.items()},
        url_schemes=set(_URL_SCHEMES),
        link_rel="nofollow ugc noopener noreferrer",
    )


def markdown_to_safe_html(text: str, *, profile: Profile = "post") -> str:
    """Render Markdown and sanitise the result; safe to mark_safe in templates."""
    return sanitize_html(_renderer(profile).render(text), profile=profile)
