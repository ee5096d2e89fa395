"""Writes WordPress export (WXR 1.2) files, for tests and the benchmark.

It follows the format WordPress's own exporter writes (wp-admin/includes/export.php):
an RSS 2.0 channel with the `wp`, `content`, `excerpt` and `dc` namespaces, the authors
and terms first, then one `<item>` per post, page or attachment with its comments nested
inside. Written piece by piece to a binary file, so a file of any size takes no memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO
from xml.sax.saxutils import escape

HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0"
\txmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
\txmlns:content="http://purl.org/rss/1.0/modules/content/"
\txmlns:wfw="http://wellformedweb.org/CommentAPI/"
\txmlns:dc="http://purl.org/dc/elements/1.1/"
\txmlns:wp="http://wordpress.org/export/1.2/"
>
<channel>
\t<title>{title}</title>
\t<link>{link}</link>
\t<description>Just another WordPress site</description>
\t<pubDate>Mon, 01 Jan 2024 00:00:00 +0000</pubDate>
\t<language>en-US</language>
\t<wp:wxr_version>1.2</wp:wxr_version>
\t<wp:base_site_url>{link}</wp:base_site_url>
\t<wp:base_blog_url>{link}</wp:base_blog_url>
"""
FOOTER = "</channel>\n</rss>\n"


def cdata(text: str) -> str:
    """WordPress's wxr_cdata: CDATA, with any `]]>` inside split across two sections."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@dataclass
class WxrComment:
    id: int
    author: str
    email: str
    content: str
    date_gmt: str = "2024-01-02 10:00:00"
    approved: str = "1"
    parent: int = 0
    type: str = "comment"


@dataclass
class WxrItem:
    id: int
    title: str
    slug: str
    content: str
    author: str = "admin"
    post_type: str = "post"
    status: str = "publish"
    date_gmt: str = "2024-01-01 09:00:00"
    link: str = ""
    excerpt: str = ""
    sticky: bool = False
    categories: list[tuple[str, str]] = field(default_factory=list)  # (slug, name)
    tags: list[tuple[str, str]] = field(default_factory=list)
    thumbnail_id: int | None = None
    attachment_url: str = ""
    comments: list[WxrComment] = field(default_factory=list)


def write_header(
    out: IO[bytes],
    *,
    link: str = "https://old.example.com",
    title: str = "Old blog",
    authors: Iterable[tuple[str, str, str]] = (("admin", "admin@old.example.com", "Admin"),),
    categories: Iterable[tuple[str, str]] = (),
    tags: Iterable[tuple[str, str]] = (),
) -> None:
    """The channel's opening: site, authors (login, email, display name) and terms."""
    parts = [HEADER.format(title=escape(title), link=escape(link))]
    for n, (login, email, name) in enumerate(authors, start=1):
        parts.append(
            f"\t<wp:author><wp:author_id>{n}</wp:author_id>"
            f"<wp:author_login>{cdata(login)}</wp:author_login>"
            f"<wp:author_email>{cdata(email)}</wp:author_email>"
            f"<wp:author_display_name>{cdata(name)}</wp:author_display_name>"
            "<wp:author_first_name><![CDATA[]]></wp:author_first_name>"
            "<wp:author_last_name><![CDATA[]]></wp:author_last_name></wp:author>\n"
        )
    for n, (slug, name) in enumerate(categories, start=1):
        parts.append(
            f"\t<wp:category><wp:term_id>{n}</wp:term_id>"
            f"<wp:category_nicename>{cdata(slug)}</wp:category_nicename>"
            "<wp:category_parent><![CDATA[]]></wp:category_parent>"
            f"<wp:cat_name>{cdata(name)}</wp:cat_name></wp:category>\n"
        )
    for n, (slug, name) in enumerate(tags, start=1000):
        parts.append(
            f"\t<wp:tag><wp:term_id>{n}</wp:term_id><wp:tag_slug>{cdata(slug)}</wp:tag_slug>"
            f"<wp:tag_name>{cdata(name)}</wp:tag_name></wp:tag>\n"
        )
    out.write("".join(parts).encode())


def write_item(out: IO[bytes], item: WxrItem, *, link: str = "https://old.example.com") -> None:
    """One <item>, its terms, postmeta and nested comments."""
    url = item.link or f"{link}/{item.date_gmt[:4]}/{item.date_gmt[5:7]}/{item.slug}/"
    parts = [
        "\t<item>\n",
        f"\t\t<title>{escape(item.title)}</title>\n",
        f"\t\t<link>{escape(url)}</link>\n",
        "\t\t<pubDate>Mon, 01 Jan 2024 09:00:00 +0000</pubDate>\n",
        f"\t\t<dc:creator>{cdata(item.author)}</dc:creator>\n",
        f'\t\t<guid isPermaLink="false">{escape(link)}/?p={item.id}</guid>\n',
        "\t\t<description></description>\n",
        f"\t\t<content:encoded>{cdata(item.content)}</content:encoded>\n",
        f"\t\t<excerpt:encoded>{cdata(item.excerpt)}</excerpt:encoded>\n",
        f"\t\t<wp:post_id>{item.id}</wp:post_id>\n",
        f"\t\t<wp:post_date>{cdata(item.date_gmt)}</wp:post_date>\n",
        f"\t\t<wp:post_date_gmt>{cdata(item.date_gmt)}</wp:post_date_gmt>\n",
        "\t\t<wp:comment_status><![CDATA[open]]></wp:comment_status>\n",
        "\t\t<wp:ping_status><![CDATA[open]]></wp:ping_status>\n",
        f"\t\t<wp:post_name>{cdata(item.slug)}</wp:post_name>\n",
        f"\t\t<wp:status>{cdata(item.status)}</wp:status>\n",
        "\t\t<wp:post_parent>0</wp:post_parent>\n",
        "\t\t<wp:menu_order>0</wp:menu_order>\n",
        f"\t\t<wp:post_type>{cdata(item.post_type)}</wp:post_type>\n",
        "\t\t<wp:post_password><![CDATA[]]></wp:post_password>\n",
        f"\t\t<wp:is_sticky>{1 if item.sticky else 0}</wp:is_sticky>\n",
    ]
    if item.attachment_url:
        parts.append(f"\t\t<wp:attachment_url>{cdata(item.attachment_url)}</wp:attachment_url>\n")
    for slug, name in item.categories:
        parts.append(
            f'\t\t<category domain="category" nicename="{escape(slug)}">{cdata(name)}</category>\n'
        )
    for slug, name in item.tags:
        parts.append(
            f'\t\t<category domain="post_tag" nicename="{escape(slug)}">{cdata(name)}</category>\n'
        )
    if item.thumbnail_id is not None:
        parts.append(
            "\t\t<wp:postmeta><wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key>"
            f"<wp:meta_value>{cdata(str(item.thumbnail_id))}</wp:meta_value></wp:postmeta>\n"
        )
    parts.extend(
        "\t\t<wp:comment>\n"
        f"\t\t\t<wp:comment_id>{c.id}</wp:comment_id>\n"
        f"\t\t\t<wp:comment_author>{cdata(c.author)}</wp:comment_author>\n"
        f"\t\t\t<wp:comment_author_email>{cdata(c.email)}</wp:comment_author_email>\n"
        "\t\t\t<wp:comment_author_url></wp:comment_author_url>\n"
        "\t\t\t<wp:comment_author_IP><![CDATA[127.0.0.1]]></wp:comment_author_IP>\n"
        f"\t\t\t<wp:comment_date>{cdata(c.date_gmt)}</wp:comment_date>\n"
        f"\t\t\t<wp:comment_date_gmt>{cdata(c.date_gmt)}</wp:comment_date_gmt>\n"
        f"\t\t\t<wp:comment_content>{cdata(c.content)}</wp:comment_content>\n"
        f"\t\t\t<wp:comment_approved>{cdata(c.approved)}</wp:comment_approved>\n"
        f"\t\t\t<wp:comment_type>{cdata(c.type)}</wp:comment_type>\n"
        f"\t\t\t<wp:comment_parent>{c.parent}</wp:comment_parent>\n"
        "\t\t\t<wp:comment_user_id>0</wp:comment_user_id>\n"
        "\t\t</wp:comment>\n"
        for c in item.comments
    )
    parts.append("\t</item>\n")
    out.write("".join(parts).encode())


def write_footer(out: IO[bytes]) -> None:
    out.write(FOOTER.encode())


def write_wxr(
    out: IO[bytes],
    items: Iterable[WxrItem],
    *,
    link: str = "https://old.example.com",
    authors: Iterable[tuple[str, str, str]] = (("admin", "admin@old.example.com", "Admin"),),
    categories: Iterable[tuple[str, str]] = (),
    tags: Iterable[tuple[str, str]] = (),
) -> None:
    """A whole file."""
    write_header(out, link=link, authors=authors, categories=categories, tags=tags)
    for item in items:
        write_item(out, item, link=link)
    write_footer(out)
