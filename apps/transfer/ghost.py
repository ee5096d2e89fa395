"""A reader for Ghost's JSON export and its members CSV.

Ghost exports its whole database as one JSON document (`{"db": [{"meta": …, "data":
{"posts": […], "tags": […], "users": […], "posts_tags": […], "posts_authors": […],
"posts_meta": […]}}]}`). The standard library cannot stream JSON, so the file is read
whole, under a size cap (TRANSFER_GHOST_MAX_BYTES, checked before reading); the records it
yields go through the same batched importer as WordPress's.

`__GHOST_URL__` (Ghost's placeholder for its own address) becomes the site's root, so
internal links point here and resolve through the old-address redirects. Members become
newsletter subscribers through apps.newsletter.imports (consent recorded as an import)
when they had `subscribed_to_emails` on; the others are counted and left out.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.dateparse import parse_datetime

from apps.newsletter.imports import import_subscribers
from apps.newsletter.models import Newsletter
from apps.transfer.models import ImportRun
from apps.transfer.records import (
    AuthorRecord,
    CommentRecord,
    ItemRecord,
    SourceError,
    TermRecord,
)

GHOST_URL = "__GHOST_URL__"
MAX_MEMBERS_BYTES = 50 * 1024 * 1024


@dataclass
class GhostExport:
    site: str = ""
    authors: list[AuthorRecord] = field(default_factory=list)
    terms: list[TermRecord] = field(default_factory=list)
    items: list[ItemRecord] = field(default_factory=list)


def _when(value: Any) -> Any:
    if not value:
        return None
    try:
        return parse_datetime(str(value).replace(" ", "T"))
    except ValueError:
        return None


def _root(text: str, site: str) -> str:
    return (text or "").replace(GHOST_URL, site.rstrip("/") if site else "")


def read_ghost(stream: IO[bytes]) -> GhostExport:
    """Parse the export; raise SourceError for a file that is not one."""
    try:
        document = json.load(stream)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SourceError(f"The file is not valid JSON ({error}).") from error
    except RecursionError as error:
        raise SourceError("The file is not a Ghost export (nested too deeply).") from error
    try:
        data = document["db"][0]["data"]
        posts = data["posts"]
    except (KeyError, IndexError, TypeError) as error:
        raise SourceError(
            "This JSON file is not a Ghost export (no db[0].data.posts). Export it from "
            "Ghost’s Settings → Labs → Export your content."
        ) from error
    settings = {row.get("key"): row.get("value") for row in data.get("settings") or []}
    site = str(settings.get("url") or "")
    export = GhostExport(site=site or str(settings.get("title") or "ghost"))
    users = {str(u["id"]): u for u in data.get("users") or []}
    export.authors = [
        AuthorRecord(
            source_id=uid,
            login=str(u.get("slug") or u.get("name") or uid),
            email=str(u.get("email") or "").strip().lower(),
            display_name=str(u.get("name") or ""),
        )
        for uid, u in users.items()
    ]
    tags = {str(t["id"]): t for t in data.get("tags") or []}
    export.terms = [
        TermRecord(
            kind="tag",
            source_id=tid,
            slug=str(t.get("slug") or ""),
            name=str(t.get("name") or ""),
            description=str(t.get("description") or ""),
        )
        for tid, t in tags.items()
        if not str(t.get("name") or "").startswith("#")  # internal tags
    ]
    public_tags = {t.source_id for t in export.terms}
    post_tags: dict[str, list[str]] = {}
    for row in sorted(data.get("posts_tags") or [], key=lambda r: r.get("sort_order") or 0):
        if str(row["tag_id"]) in public_tags:
            post_tags.setdefault(str(row["post_id"]), []).append(str(row["tag_id"]))
    post_authors: dict[str, list[str]] = {}
    for row in sorted(data.get("posts_authors") or [], key=lambda r: r.get("sort_order") or 0):
        post_authors.setdefault(str(row["post_id"]), []).append(str(row["author_id"]))
    meta = {str(m["post_id"]): m for m in data.get("posts_meta") or []}
    members = {str(m["id"]): m for m in data.get("members") or []}
    comments: dict[str, list[CommentRecord]] = {}
    for c in data.get("comments") or []:
        member = members.get(str(c.get("member_id") or ""), {})
        comments.setdefault(str(c["post_id"]), []).append(
            CommentRecord(
                source_id=str(c["id"]),
                parent_id=str(c.get("parent_id") or ""),
                author_name=str(
                    member.get("name") or member.get("email", "").split("@")[0] or "Guest"
                ),
                author_email=str(member.get("email") or "").strip().lower(),
                created_at=_when(c.get("created_at")),
                html=_root(str(c.get("html") or ""), site),
                status=str(c.get("status") or "published"),
            )
        )
    for post in posts:
        pid = str(post["id"])
        extra = meta.get(pid, {})
        authors = post_authors.get(pid) or [str(post.get("author_id") or "")]
        slug = str(post.get("slug") or "")
        export.items.append(
            ItemRecord(
                kind="page" if post.get("type") == "page" or post.get("page") else "post",
                source_id=pid,
                title=str(post.get("title") or ""),
                slug=slug,
                html=_root(str(post.get("html") or ""), site),
                excerpt=str(post.get("custom_excerpt") or ""),
                status=str(post.get("status") or "draft"),
                published_at=_when(post.get("published_at")),
                author_id=authors[0],
                author_ids=authors[1:],
                tags=post_tags.get(pid, []),
                featured=bool(post.get("featured")),
                cover_url=_root(str(post.get("feature_image") or ""), site),
                cover_alt=str(extra.get("feature_image_alt") or ""),
                seo_title=str(
                    extra.get("meta_title") or post.get("meta_title") or extra.get("og_title") or ""
                ),
                seo_description=str(
                    extra.get("meta_description")
                    or post.get("meta_description")
                    or extra.get("og_description")
                    or ""
                ),
                old_paths=[f"/{slug}"] if slug else [],
                comments=comments.get(pid, []),
            )
        )
    return export


def import_members(*, run: ImportRun, file: IO[bytes], report: Any) -> None:
    """Subscribe the members who opted in to emails, through the newsletter's CSV import."""
    raw = file.read(MAX_MEMBERS_BYTES + 1)
    if len(raw) > MAX_MEMBERS_BYTES:
        report.error("The members CSV is larger than 50 MB; it was not imported.")
        return
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.error("The members CSV is not UTF-8 text; it was not imported.")
        return
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "email" not in [f.strip().lower() for f in reader.fieldnames]:
        report.error("The members CSV has no “email” column; it was not imported.")
        return
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "name", "created"])
    opted_in = 0
    for row in reader:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if row.get("deleted_at"):
            report.count("members", "deleted on the old site")
            continue
        if row.get("subscribed_to_emails", "").lower() not in {"true", "1", "yes"}:
            report.count("members", "not subscribed to emails (left out)")
            continue
        writer.writerow([row.get("email", ""), row.get("name", ""), row.get("created_at", "")[:19]])
        opted_in += 1
    if not opted_in:
        return
    newsletters = list(Newsletter.objects.filter(is_active=True, is_default=True)) or list(
        Newsletter.objects.filter(is_active=True)[:1]
    )
    if not newsletters or run.created_by is None:
        report.error("There is no active newsletter to subscribe members to; create one first.")
        return
    result = import_subscribers(
        actor=run.created_by,
        file=io.StringIO(out.getvalue()),
        newsletters=newsletters,
        consent_confirmed=True,
        note=f"Ghost members, import run {run.pk}",
    )
    for problem in result.errors_shown:
        report.warn(f"member line {problem.line}", f"{problem.value}: {problem.message}")
    for skipped in result.skipped:
        report.warn(f"member {skipped.email}", skipped.reason)
    if not result.ok:
        report.error("The members CSV has errors (listed above); no member was imported.")
        return
    report.count("members", "subscribers created", result.created)
    report.count("members", "subscriptions added", result.subscribed)
