"""Markdown to safe HTML: markdown-it-py renders, nh3 sanitises on an allowlist.

markdown-it's own raw-HTML support is off, and the output still goes through
nh3: the renderer is not a security boundary, the allowlist is.

Posts get two things beyond CommonMark: fenced code in a known language is highlighted by
Pygments on the server (apps.core.highlight, through markdown-it's `highlight` option), and
an image with a title, `![alt](src "Caption")`, alone in its paragraph becomes a
`<figure>` with that title as its `<figcaption>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.anchors import anchors_plugin

from apps.core.highlight import TOKEN_CLASSES, highlight

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
# Highlighted code: the block's marker class and Pygments' token classes, nothing else.
_POST_CLASSES = {"pre": {"highlight"}, "span": set(TOKEN_CLASSES)}
_COMMENT_ATTRIBUTES = {"a": {"href", "title"}}
_URL_SCHEMES = frozenset({"http", "https", "mailto"})


@lru_cache(maxsize=2)
def _renderer(profile: Profile) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True})
    if profile == "post":
        md.enable(["table", "strikethrough"])
        md.options["highlight"] = highlight
        # Headings get ids, so the table of contents can link to them.
        md.use(anchors_plugin, min_level=2, max_level=3)
        md.core.ruler.push("figures", _figures)
        md.add_render_rule("figure_open", _render_figure_open)
        md.add_render_rule("figure_close", _render_figure_close)
    else:
        # Comments get emphasis, links, code, lists and quotes: no headings or images.
        md.disable(["heading", "lheading", "image", "hr"])
    return md


def _figures(state: StateCore) -> None:
    """Turn a paragraph holding only a titled image into a figure with that caption.

    The paragraph's tokens become `figure_open`/`figure_close`; the caption is written by
    the figure's close renderer from the image's title, escaped like any text.
    """
    tokens = state.tokens
    for index in range(len(tokens) - 2):
        opening, inline, closing = tokens[index : index + 3]
        if not (
            opening.type == "paragraph_open"
            and closing.type == "paragraph_close"
            and inline.type == "inline"
            and inline.children is not None
            and len(inline.children) == 1
            and inline.children[0].type == "image"
            and inline.children[0].attrGet("title")
        ):
            continue
        caption = str(inline.children[0].attrGet("title"))
        opening.type, opening.tag = "figure_open", "figure"
        closing.type, closing.tag = "figure_close", "figure"
        closing.meta = {"caption": caption}


def _render_figure_open(
    renderer: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return "<figure>"


def _render_figure_close(
    renderer: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    caption = escapeHtml(tokens[idx].meta.get("caption", ""))
    return f"<figcaption>{caption}</figcaption></figure>\n"


def sanitize_html(html: str, *, profile: Profile = "post") -> str:
    """Strip everything outside the profile's allowlist (scripts, handlers, styles)."""
    if profile == "post":
        return nh3.clean(
            html,
            tags=set(_POST_TAGS | {"span"}),
            attributes={k: set(v) for k, v in _POST_ATTRIBUTES.items()},
            allowed_classes={k: set(v) for k, v in _POST_CLASSES.items()},
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
