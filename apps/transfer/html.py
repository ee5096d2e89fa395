"""Old platforms' HTML bodies to our Markdown, and what could not be converted.

markdownify converts what Markdown can say (headings, emphasis, links, lists, quotes,
code, simple tables, images). What it cannot say is kept, sanitised by our allowlist, in
a fenced ```html block the author can see and fix in the editor, and reported: tables
with merged cells, embeds (iframes, video, audio: kept as a link to their source) and
WordPress shortcodes other than [caption] and [embed]. Our renderer never passes raw HTML
through (apps.core.markdown), so the fenced block shows as code, never as markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Tag
from markdownify import MarkdownConverter

from apps.core.markdown import sanitize_html

_SHORTCODE = re.compile(r"\[(/?)([a-z_][\w-]*)([^\]]*)\]", re.IGNORECASE)
_CAPTION = re.compile(r"\[caption[^\]]*\](.*?)\[/caption\]", re.IGNORECASE | re.DOTALL)
_EMBED = re.compile(r"\[embed[^\]]*\](.*?)\[/embed\]", re.IGNORECASE | re.DOTALL)
_BLOCK_TAGS = re.compile(
    r"<(p|div|h[1-6]|ul|ol|table|blockquote|pre|figure|iframe|video|audio|hr)\b", re.IGNORECASE
)
_EMBEDS = ("iframe", "video", "audio", "embed", "object")
_DROPPED = ("script", "style", "form", "noscript")
_PLACEHOLDER = "INKWELLKEPT{}X"


@dataclass
class Converted:
    markdown: str
    problems: list[str] = field(default_factory=list)  # one line per thing kept or dropped
    images: list[str] = field(default_factory=list)  # <img src> addresses, in order


def autop(html: str) -> str:
    """WordPress stores bodies without <p>: blank lines separate paragraphs (wpautop)."""
    if "<p" in html.lower():
        return html  # already paragraphed (Gutenberg blocks, Ghost)
    blocks = [block.strip() for block in re.split(r"\n\s*\n", html) if block.strip()]
    return "".join(
        block if _BLOCK_TAGS.match(block) else f"<p>{block.replace(chr(10), '<br>')}</p>"
        for block in blocks
    )


def _shortcodes(html: str, problems: list[str]) -> str:
    html = _CAPTION.sub(r"\1", html)  # [caption]<img> text[/caption]: keep the image and text
    html = _EMBED.sub(
        lambda m: f'<p><a href="{m.group(1).strip()}">{m.group(1).strip()}</a></p>', html
    )
    seen: set[str] = set()

    def note(match: re.Match[str]) -> str:
        name = match.group(2).lower()
        if name not in seen:
            seen.add(name)
            problems.append(f"shortcode [{name}] kept as text")
        return match.group(0)

    return _SHORTCODE.sub(note, html)


def html_to_markdown(html: str) -> Converted:
    """Convert a body; unconvertible parts are kept (sanitised, fenced) and listed."""
    problems: list[str] = []
    html = _shortcodes(autop(html or ""), problems)
    soup = BeautifulSoup(html, "html.parser")
    kept: list[str] = []

    def keep(element: Tag, text: str) -> None:
        kept.append(text)
        element.replace_with(soup.new_string(_PLACEHOLDER.format(len(kept) - 1)))

    for element in soup.find_all(list(_DROPPED)):
        problems.append(f"<{element.name}> removed")
        element.decompose()
    for element in soup.find_all(list(_EMBEDS)):
        if not isinstance(element, Tag) or element.parent is None:
            continue
        src = str(element.get("src") or "")
        if not src and (source := element.find("source")) is not None and isinstance(source, Tag):
            src = str(source.get("src") or "")
        problems.append(f"<{element.name}> kept as a link" if src else f"<{element.name}> removed")
        if src.startswith(("http://", "https://", "//")):
            keep(element, f"[Embedded content: {src}]({src})")
        else:
            element.decompose()
    for table in soup.find_all("table"):
        if not isinstance(table, Tag):
            continue
        if table.find(attrs={"colspan": True}) or table.find(attrs={"rowspan": True}):
            problems.append("table with merged cells kept as HTML")
            keep(table, f"```html\n{sanitize_html(str(table)).strip()}\n```")
    images = [
        str(img.get("src"))
        for img in soup.find_all("img")
        if isinstance(img, Tag) and str(img.get("src") or "").startswith(("http://", "https://"))
    ]
    markdown = MarkdownConverter(heading_style="ATX", bullets="-", escape_misc=False).convert_soup(
        soup
    )
    for index, text in enumerate(kept):
        markdown = markdown.replace(_PLACEHOLDER.format(index), f"\n\n{text}\n\n")
    markdown = re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n"
    return Converted(markdown=markdown, problems=problems, images=images)


def comment_to_markdown(html: str) -> str:
    """A comment's HTML (links, emphasis, line breaks) as our comment Markdown."""
    soup = BeautifulSoup(autop(html or ""), "html.parser")
    for element in soup.find_all(list(_DROPPED + _EMBEDS)):
        element.decompose()
    markdown: str = MarkdownConverter(bullets="-", escape_misc=False).convert_soup(soup)
    return re.sub(r"\n{3,}", "\n\n", markdown).strip()
