"""Markdown to safe HTML: markdown-it-py renders, nh3 sanitises on an allowlist.

markdown-it's own raw-HTML support is off, and the output still goes through
nh3: the renderer is not a security boundary, the allowlist is.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin

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
        # Headings get ids, so the table of contents can link to them.
        md.use(anchors_plugin, min_level=2, max_level=3)
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


@dataclass(frozen=True)
class Heading:
    """One entry of a post's table of contents."""

    level: int
    id: str
    text: str


def markdown_to_safe_html_with_toc(text: str) -> tuple[str, list[Heading]]:
    """Render a post body and list its h2/h3 headings (with their anchor ids)."""
    md = _renderer("post")
    tokens = md.parse(text)
    html = sanitize_html(md.renderer.render(tokens, md.options, {}), profile="post")
    return html, _headings(tokens)


def _headings(tokens: list[Token]) -> list[Heading]:
    headings = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag in {"h2", "h3"} and token.attrGet("id"):
            inline = tokens[index + 1]
            words = "".join(
                child.content
                for child in inline.children or []
                if child.type in {"text", "code_inline"}
            )
            headings.append(Heading(int(token.tag[1]), str(token.attrGet("id")), words.strip()))
    return headings
