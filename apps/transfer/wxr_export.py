"""The WordPress export: WXR 1.2 (WordPress eXtended RSS), written incrementally.

WordPress's importer (the "WordPress Importer" plugin) reads, per channel: `wp:wxr_version`,
`wp:base_site_url`, `wp:author`, `wp:category`, `wp:tag`; per `item`: `wp:post_id`,
`wp:post_date(_gmt)`, `wp:post_name`, `wp:status`, `wp:post_type`, `wp:is_sticky`,
`content:encoded`, `excerpt:encoded`, `dc:creator`, `category` (domain `category` or
`post_tag`, with `nicename`), `wp:postmeta`, and `wp:comment` (id, author, dates, content,
approved, parent). That is what is written here, with lxml's `xmlfile` so the document is
produced element by element while it is read (a 100,000-post site in flat memory).

Choices:

- Bodies are the rendered, sanitised HTML Inkwell shows (`body_html`), not the Markdown:
  WordPress stores HTML.
- Status: published → `publish` (`future` if its date is ahead), scheduled → `future`,
  in review → `pending`, draft → `draft`, archived → `private` (it was public once and is
  now hidden; WordPress's private posts are seen only by its editors).
- Commenters' email addresses are not written, neither a guest's nor a reader's: readers
  gave them to this site to sign in or be told of replies, not to be copied into another
  platform's comment table (WordPress shows them to every editor). Comments keep their
  name, date, text, status and threading; `wp:comment_user_id` is 0.
- Post authors *are* written with their email, since WordPress matches or creates its
  users by them, and they are the site's own staff.
- Cover images become `attachment` items with the post's `_thumbnail_id`, so WordPress
  fetches them from this site (`wp:attachment_url`) while it still runs.
"""

from __future__ import annotations

import gc
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Prefetch, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from apps.accounts.audit import Kind, record_event
from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.blog.models import Category, Post, Tag
from apps.comments.models import Comment
from apps.transfer.exporting.rows import keyset_chunks
from apps.transfer.exporting.services import check_rate

WXR_VERSION = "1.2"
NS = {
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wp": "http://wordpress.org/export/1.2/",
}
CHUNK = 500
# XML 1.0 refuses most control characters; a stray one in a body must not abort the export.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

STATUS = {
    Post.Status.PUBLISHED: "publish",
    Post.Status.SCHEDULED: "future",
    Post.Status.IN_REVIEW: "pending",
    Post.Status.DRAFT: "draft",
    Post.Status.ARCHIVED: "private",
}
COMMENT_APPROVED = {
    Comment.Status.PUBLISHED: "1",
    Comment.Status.HELD: "0",
    Comment.Status.SPAM: "spam",
    Comment.Status.REJECTED: "trash",
}


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _clean(text: str | None) -> str:
    return _INVALID_XML.sub("", text or "")


def _sub(parent: etree._Element, tag: str, text: Any = "", *, cdata: bool = False) -> None:
    element = etree.SubElement(parent, tag)
    value = _clean("" if text is None else str(text))
    # CDATA cannot hold "]]>"; such text is written escaped instead (same meaning to a parser).
    element.text = etree.CDATA(value) if cdata and value and "]]>" not in value else value


def _wp(parent: etree._Element, name: str, text: Any = "", *, cdata: bool = False) -> None:
    _sub(parent, _q("wp", name), text, cdata=cdata)


def _local(moment: datetime | None) -> str:
    if moment is None:
        return "0000-00-00 00:00:00"
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def _gmt(moment: datetime | None) -> str:
    if moment is None:
        return "0000-00-00 00:00:00"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _author(user: User) -> etree._Element:
    element = etree.Element(_q("wp", "author"))
    _wp(element, "author_id", user.pk)
    _wp(element, "author_login", user.username, cdata=True)
    _wp(element, "author_email", user.email, cdata=True)
    _wp(element, "author_display_name", user.name, cdata=True)
    _wp(element, "author_first_name", "", cdata=True)
    _wp(element, "author_last_name", "", cdata=True)
    return element


def _category(category: Category) -> etree._Element:
    element = etree.Element(_q("wp", "category"))
    _wp(element, "term_id", category.pk)
    _wp(element, "category_nicename", category.slug, cdata=True)
    _wp(element, "category_parent", "", cdata=True)
    _wp(element, "cat_name", category.name, cdata=True)
    _wp(element, "category_description", category.description, cdata=True)
    return element


def _tag(tag: Tag) -> etree._Element:
    element = etree.Element(_q("wp", "tag"))
    _wp(element, "term_id", tag.pk)
    _wp(element, "tag_slug", tag.slug, cdata=True)
    _wp(element, "tag_name", tag.name, cdata=True)
    _wp(element, "tag_description", tag.description, cdata=True)
    return element


def _status(post: Post) -> str:
    if (
        post.status == Post.Status.PUBLISHED
        and post.published_at
        and post.published_at > timezone.now()
    ):
        return "future"
    return STATUS.get(Post.Status(post.status), "draft")


def _comment_name(comment: Comment) -> str:
    if comment.author is not None:
        return comment.author.name
    # Imported guest comments keep a name (apps.transfer imports); else the author left.
    return str(getattr(comment, "guest_name", "") or "Anonymous")


def _comment(comment: Comment) -> etree._Element:
    element = etree.Element(_q("wp", "comment"))
    _wp(element, "comment_id", comment.pk)
    _wp(element, "comment_author", _comment_name(comment), cdata=True)
    _wp(element, "comment_author_email", "", cdata=True)  # private: see the module docstring
    _wp(element, "comment_author_url", "", cdata=True)
    _wp(element, "comment_author_IP", "", cdata=True)
    _wp(element, "comment_date", _local(comment.created_at))
    _wp(element, "comment_date_gmt", _gmt(comment.created_at))
    body = "" if comment.deleted_at else comment.body_html
    _wp(element, "comment_content", body, cdata=True)
    approved = (
        "trash" if comment.deleted_at else COMMENT_APPROVED.get(Comment.Status(comment.status), "0")
    )
    _wp(element, "comment_approved", approved)
    _wp(element, "comment_type", "comment")
    _wp(element, "comment_parent", comment.parent_id or 0)
    _wp(element, "comment_user_id", 0)
    return element


def _meta(parent: etree._Element, key: str, value: Any) -> None:
    meta = etree.SubElement(parent, _q("wp", "postmeta"))
    _wp(meta, "meta_key", key, cdata=True)
    _wp(meta, "meta_value", value, cdata=True)


def _item(post: Post, attachment_id: int | None) -> etree._Element:
    item = etree.Element("item")
    url = _absolute(post.get_absolute_url())
    published = post.published_at
    _sub(item, "title", post.title)
    _sub(item, "link", url)
    _sub(item, "pubDate", format_datetime(published.astimezone(UTC)) if published else "")
    _sub(item, _q("dc", "creator"), post.author.username, cdata=True)
    guid = etree.SubElement(item, "guid", isPermaLink="false")
    guid.text = url
    _sub(item, "description", "")
    _sub(item, _q("content", "encoded"), post.body_html, cdata=True)
    _sub(item, _q("excerpt", "encoded"), post.excerpt, cdata=True)
    _wp(item, "post_id", post.pk)
    date = published or post.created_at
    _wp(item, "post_date", _local(date), cdata=True)
    _wp(item, "post_date_gmt", _gmt(published), cdata=True)
    _wp(item, "post_modified", _local(post.updated_at), cdata=True)
    _wp(item, "post_modified_gmt", _gmt(post.updated_at), cdata=True)
    _wp(item, "comment_status", "open" if post.comments_open else "closed", cdata=True)
    _wp(item, "ping_status", "closed", cdata=True)
    _wp(item, "post_name", post.slug, cdata=True)
    _wp(item, "status", _status(post), cdata=True)
    _wp(item, "post_parent", 0)
    _wp(item, "menu_order", 0)
    _wp(item, "post_type", "post", cdata=True)
    _wp(item, "post_password", "", cdata=True)
    _wp(item, "is_sticky", 1 if post.featured else 0)
    if post.category is not None:
        category = etree.SubElement(item, "category", domain="category")
        category.set("nicename", post.category.slug)
        category.text = etree.CDATA(_clean(post.category.name))
    for tag in post.tags.all():
        element = etree.SubElement(item, "category", domain="post_tag")
        element.set("nicename", tag.slug)
        element.text = etree.CDATA(_clean(tag.name))
    if post.subtitle:
        _meta(item, "_inkwell_subtitle", post.subtitle)
    if post.seo_title:
        _meta(item, "_yoast_wpseo_title", post.seo_title)
    if post.seo_description:
        _meta(item, "_yoast_wpseo_metadesc", post.seo_description)
    if attachment_id is not None:
        _meta(item, "_thumbnail_id", attachment_id)
    for comment in post.comments.all():
        item.append(_comment(comment))
    return item


def _attachment(post: Post, attachment_id: int) -> etree._Element:
    item = etree.Element("item")
    url = post.cover_image.url
    if url.startswith("/"):
        url = _absolute(url)
    _sub(item, "title", post.cover_alt or post.title)
    _sub(item, "link", url)
    guid = etree.SubElement(item, "guid", isPermaLink="false")
    guid.text = url
    _sub(item, _q("dc", "creator"), post.author.username, cdata=True)
    _sub(item, _q("content", "encoded"), "", cdata=True)
    _sub(item, _q("excerpt", "encoded"), post.cover_alt, cdata=True)
    _wp(item, "post_id", attachment_id)
    _wp(item, "post_date", _local(post.published_at or post.created_at), cdata=True)
    _wp(item, "post_date_gmt", _gmt(post.published_at), cdata=True)
    _wp(item, "post_name", f"{post.slug}-cover", cdata=True)
    _wp(item, "status", "inherit", cdata=True)
    _wp(item, "post_parent", post.pk)
    _wp(item, "post_type", "attachment", cdata=True)
    _wp(item, "attachment_url", url, cdata=True)
    _meta(item, "_wp_attachment_image_alt", post.cover_alt)
    return item


def _posts() -> Iterator[Post]:
    comments = Comment.objects.select_related("author").order_by("created_at", "pk")
    posts = Post.objects.select_related("author", "category").prefetch_related(
        "tags", Prefetch("comments", queryset=comments)
    )
    # Each page of posts is prefetched on its own: memory follows CHUNK, not the site.
    return keyset_chunks(posts, size=CHUNK)


def stream_wxr() -> Iterator[bytes]:
    """The WXR document as UTF-8 bytes, one post at a time."""
    buffer = io.BytesIO()

    def drain() -> bytes:
        data = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return data

    # Attachment ids sit above every post id, so the two never collide inside the file.
    offset = int(Post.objects.aggregate(top=Max("pk"))["top"] or 0)
    with etree.xmlfile(buffer, encoding="utf-8", buffered=False) as xf:
        xf.write_declaration()
        with xf.element("rss", version="2.0", nsmap=NS), xf.element("channel"):
            channel = etree.Element("head")
            _sub(channel, "title", settings.SITE_NAME)
            _sub(channel, "link", settings.SITE_URL)
            _sub(channel, "description", getattr(settings, "SITE_TAGLINE", ""))
            _sub(channel, "pubDate", format_datetime(datetime.now(tz=UTC)))
            _sub(channel, "language", settings.LANGUAGE_CODE)
            _wp(channel, "wxr_version", WXR_VERSION)
            _wp(channel, "base_site_url", settings.SITE_URL)
            _wp(channel, "base_blog_url", settings.SITE_URL)
            for child in channel:
                xf.write(child)
            authors = User.objects.filter(
                Q(posts__isnull=False) | Q(coauthored_posts__isnull=False)
            ).distinct()
            for user in keyset_chunks(authors, size=CHUNK):
                xf.write(_author(user))
            for category in keyset_chunks(Category.objects.all(), size=CHUNK):
                xf.write(_category(category))
            for tag in keyset_chunks(Tag.objects.all(), size=CHUNK):
                xf.write(_tag(tag))
            generator = etree.Element("generator")
            generator.text = "Inkwell"
            xf.write(generator)
            yield drain()
            for written, post in enumerate(_posts(), start=1):
                attachment_id = offset + post.pk if post.cover_image else None
                if attachment_id is not None:
                    xf.write(_attachment(post, attachment_id))
                xf.write(_item(post, attachment_id))
                if written % CHUNK == 0:
                    # Prefetched posts and comments point at each other (reference cycles):
                    # freed by a collection per page, else they pile up until a full one.
                    gc.collect()
                if buffer.tell() >= 64 * 1024:
                    yield drain()
    yield drain()


def wxr_filename() -> str:
    return f"inkwell-wordpress-{timezone.now():%Y%m%d-%H%M}.xml"


def start_wxr_export(*, actor: User | None, request: HttpRequest | None = None) -> Iterator[bytes]:
    """Check, rate-limit and audit a WXR export, then return its (lazy) stream.

    `actor` None is the operator's shell (`manage.py export_wxr`). The WXR file holds the
    post authors' email addresses, so it is an admin's download like the site export.
    """
    if actor is not None:
        if not can(actor, "site.export"):
            raise PermissionDenied(_("Only administrators can export the site."))
        check_rate(
            f"transfer:wxr-export:{actor.pk}",
            limit=getattr(settings, "SITE_EXPORT_RATE_LIMIT", 5),
            window=getattr(settings, "SITE_EXPORT_RATE_WINDOW", 3600),
            what=_("WordPress exports are limited"),
        )
    record_event(
        kind=Kind.SITE_EXPORTED,
        actor=actor,
        request=request,
        data={"format": "wxr", "via": "dashboard" if request is not None else "command"},
    )
    return stream_wxr()
