"""A streaming reader for WordPress export files (WXR 1.0, 1.1 and 1.2).

The file is read with lxml's `iterparse`, one `<item>` at a time: each element is cleared
once handled and the channel's earlier children are deleted, so memory stays flat for a
file of any size. Entities are never expanded, no DTD is loaded and nothing is fetched
from the network (billion laughs and external entities, XXE, do nothing); a file that
declares a DOCTYPE at all is refused, since a WordPress export never has one.

`read_wxr` yields neutral records (apps.transfer.records) in file order: the site's
address, authors and terms (the channel's header), then attachments and items.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import urlsplit

from lxml import etree

from apps.transfer.records import (
    AuthorRecord,
    CommentRecord,
    ItemRecord,
    SourceError,
    TermRecord,
)

WP_NS_PREFIX = "http://wordpress.org/export/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
# How much of the file's start is searched for a DOCTYPE (it must precede the root).
PROLOGUE_BYTES = 64 * 1024


@dataclass(frozen=True)
class SiteRecord:
    url: str


@dataclass(frozen=True)
class AttachmentRecord:
    source_id: str
    url: str


WxrRecord = SiteRecord | AuthorRecord | TermRecord | AttachmentRecord | ItemRecord


def _key(tag: Any) -> str:
    """`{http://wordpress.org/export/1.2/}post_id` → `wp:post_id` (any WXR version)."""
    if not isinstance(tag, str):
        return ""  # comments and processing instructions
    if not tag.startswith("{"):
        return tag
    namespace, _, local = tag[1:].partition("}")
    if namespace.startswith(WP_NS_PREFIX):
        return f"excerpt:{local}" if namespace.endswith("/excerpt/") else f"wp:{local}"
    if namespace == CONTENT_NS:
        return f"content:{local}"
    if namespace == DC_NS:
        return f"dc:{local}"
    return f"?:{local}"


def _text(element: Any) -> str:
    return (element.text or "").strip() if element is not None else ""


def _fields(element: Any) -> dict[str, str]:
    """The element's simple children by key (the first of each; CDATA arrives as text)."""
    found: dict[str, str] = {}
    for child in element:
        key = _key(child.tag)
        if key and key not in found:
            found[key] = child.text or ""
    return found


def parse_gmt(value: str) -> datetime | None:
    """WordPress's "2019-05-01 10:00:00" (GMT) as an aware datetime; None for "0000-…"."""
    value = value.strip()
    if not value or value.startswith("0000"):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def old_path(url: str) -> str:
    """The path (and query) of an old address, without a trailing slash: the redirect key."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/") or "/"
    return f"{path}?{parts.query}" if parts.query else path


class CountingReader:
    """Wraps a binary file and counts the bytes read, for the progress bar."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data

    def seek(self, offset: int) -> int:
        self.count = offset
        return self.raw.seek(offset)


class _LineCounter:
    """Counts the newlines read and notices the end of the file: an error on the file's
    last line, once everything was read, means the file was cut short."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.newlines = 0
        self.eof = False

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        if not data:
            self.eof = True
        self.newlines += data.count(b"\n")
        return data


def _check_prologue(stream: IO[bytes]) -> None:
    head = stream.read(PROLOGUE_BYTES)
    stream.seek(0)
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise SourceError(
            "The file declares a DOCTYPE or entities, which a WordPress export never does; "
            "it was refused (entity expansion and external entities are not allowed)."
        )
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise SourceError("This is not an XML file. Upload the .xml file WordPress exported.")


def read_wxr(stream: IO[bytes], *, scan: bool = False) -> Iterator[WxrRecord]:
    """Yield the file's records in order; raise SourceError for a file that cannot be read.

    `scan`: a quick first pass that yields only the site, attachments and bare items
    (their kind and id), to count the work and find featured images before importing.
    """
    _check_prologue(stream)
    counter = _LineCounter(stream)
    context = etree.iterparse(
        counter,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    depth = 0
    root_seen = False
    try:
        for event, element in context:
            if event == "start":
                depth += 1
                if not root_seen:
                    root_seen = True
                    if _key(element.tag) != "rss":
                        raise SourceError(
                            "This is not a WordPress export (WXR): the file starts with "
                            f"<{etree.QName(element).localname}>, not <rss>."
                        )
                continue
            depth -= 1
            # Only the channel's children (depth 2) are records; everything deeper is read
            # as part of its record, when that record ends.
            if depth != 2:
                continue
            key = _key(element.tag)
            record = _record(key, element, scan=scan)
            if record is not None:
                yield record
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as error:
        message = str(error.msg or error)
        at_end = counter.eof and (error.lineno or 0) >= counter.newlines
        if at_end or "end of data" in message.lower() or "premature" in message.lower():
            raise SourceError(
                f"The file ends too early (line {error.lineno}): it looks truncated. "
                "Export it again and upload the whole file."
            ) from error
        raise SourceError(
            f"The file is not well-formed XML (line {error.lineno}): {message}"
        ) from error
    if not root_seen:
        raise SourceError("The file is empty.")


def _record(key: str, element: Any, *, scan: bool) -> WxrRecord | None:
    if key == "link":
        return SiteRecord(url=_text(element))
    if key == "item":
        return _item(element, scan=scan)
    if scan:
        return None
    if key == "wp:author":
        fields = _fields(element)
        login = fields.get("wp:author_login", "").strip()
        return AuthorRecord(
            source_id=login,
            login=login,
            email=fields.get("wp:author_email", "").strip().lower(),
            display_name=fields.get("wp:author_display_name", "").strip(),
        )
    if key == "wp:category":
        fields = _fields(element)
        slug = fields.get("wp:category_nicename", "").strip()
        return TermRecord(
            kind="category",
            source_id=slug,
            slug=slug,
            name=fields.get("wp:cat_name", "").strip() or slug,
            description=fields.get("wp:category_description", "").strip(),
        )
    if key == "wp:tag":
        fields = _fields(element)
        slug = fields.get("wp:tag_slug", "").strip()
        return TermRecord(
            kind="tag",
            source_id=slug,
            slug=slug,
            name=fields.get("wp:tag_name", "").strip() or slug,
            description=fields.get("wp:tag_description", "").strip(),
        )
    return None


def _item(element: Any, *, scan: bool) -> WxrRecord:
    fields = _fields(element)
    post_type = fields.get("wp:post_type", "post").strip()
    source_id = fields.get("wp:post_id", "").strip()
    if post_type == "attachment":
        url = fields.get("wp:attachment_url", "").strip() or fields.get("guid", "").strip()
        return AttachmentRecord(source_id=source_id, url=url)
    if scan:
        return ItemRecord(kind=post_type, source_id=source_id, title="", slug="", html="")
    categories: list[str] = []
    tags: list[str] = []
    meta: dict[str, str] = {}
    comments: list[CommentRecord] = []
    for child in element:
        key = _key(child.tag)
        if key == "category":
            domain = child.get("domain", "")
            nicename = (child.get("nicename") or _text(child)).strip()
            if domain == "category":
                categories.append(nicename)
            elif domain == "post_tag":
                tags.append(nicename)
        elif key == "wp:postmeta":
            sub = _fields(child)
            meta[sub.get("wp:meta_key", "")] = sub.get("wp:meta_value", "")
        elif key == "wp:comment":
            comments.append(_comment(child))
    link = fields.get("link", "").strip()
    query_key = "page_id" if post_type == "page" else "p"
    paths = [f"/?{query_key}={source_id}"] if source_id else []
    if link and "?" not in link:
        paths.insert(0, old_path(link))
    return ItemRecord(
        kind=post_type,
        source_id=source_id,
        title=fields.get("title", "").strip(),
        slug=fields.get("wp:post_name", "").strip(),
        html=fields.get("content:encoded", ""),
        excerpt=fields.get("excerpt:encoded", "").strip(),
        status=fields.get("wp:status", "draft").strip(),
        published_at=parse_gmt(fields.get("wp:post_date_gmt", ""))
        or parse_gmt(fields.get("wp:post_date", "")),
        author_id=fields.get("dc:creator", "").strip(),
        categories=categories,
        tags=tags,
        featured=fields.get("wp:is_sticky", "0").strip() == "1",
        cover_url=meta.get("_thumbnail_id", "").strip(),  # an attachment id until resolved
        seo_title=meta.get("_yoast_wpseo_title", "").strip(),
        seo_description=meta.get("_yoast_wpseo_metadesc", "").strip(),
        old_paths=paths,
        comments=comments,
    )


def _comment(element: Any) -> CommentRecord:
    fields = _fields(element)
    status = fields.get("wp:comment_approved", "0").strip()
    kind = fields.get("wp:comment_type", "").strip()
    if kind in {"pingback", "trackback"}:
        status = kind
    return CommentRecord(
        source_id=fields.get("wp:comment_id", "").strip(),
        parent_id=fields.get("wp:comment_parent", "").strip(),
        author_name=fields.get("wp:comment_author", "").strip(),
        author_email=fields.get("wp:comment_author_email", "").strip().lower(),
        created_at=parse_gmt(fields.get("wp:comment_date_gmt", ""))
        or parse_gmt(fields.get("wp:comment_date", "")),
        html=fields.get("wp:comment_content", ""),
        status=status,
    )
