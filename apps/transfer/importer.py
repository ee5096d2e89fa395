"""The one writer of imports: neutral records (apps.transfer.records) in, posts out.

Items are written in batches of `BATCH_SIZE`, each batch in one transaction with a fixed
number of queries whatever its size (bulk lookups of source records, slugs and accounts,
then bulk inserts and updates; comments add one insert per level of reply nesting). The
run's checkpoint (items committed) is saved in the batch's own transaction, so a run killed
at any moment resumes exactly after its last committed batch.

Every object written is recorded as a `SourceRecord` keyed by (system, site, kind, source
id): a second import of the same site updates what the first one created.

A dry run does all of this inside one transaction that is rolled back at the end, so its
report counts exactly what a real run would do, and nothing stays.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Final
from urllib.parse import unquote

import structlog
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.blog.models import Category, Post, PostImage, PostSlug, Revision, Tag
from apps.blog.pages import POSTS, membership_tags
from apps.blog.services import reading_minutes
from apps.blog.services.schedule import enqueue_publication
from apps.comments import reasons as comment_reasons
from apps.comments.models import MAX_DEPTH, Comment
from apps.core.markdown import markdown_to_safe_html, markdown_to_safe_html_with_toc
from apps.core.pagecache import invalidate
from apps.transfer.html import comment_to_markdown, html_to_markdown
from apps.transfer.images import ImageStore
from apps.transfer.models import ImportRun, LegacyRedirect, SourceRecord
from apps.transfer.records import AuthorRecord, CommentRecord, ItemRecord, TermRecord

logger = structlog.get_logger("inkwell.transfer")

BATCH_SIZE: Final = 200
MAX_WARNINGS: Final = 2000
K = SourceRecord.Kind
S = Post.Status
_USERNAME_BAD = re.compile(r"[^a-z0-9_-]+")

# Source statuses → ours; anything else is skipped with a warning.
POST_STATUSES: Final = {
    "publish": S.PUBLISHED,
    "published": S.PUBLISHED,
    "draft": S.DRAFT,
    "pending": S.IN_REVIEW,
    "future": S.SCHEDULED,
    "scheduled": S.SCHEDULED,
    "private": S.DRAFT,
}
COMMENT_STATUSES: Final = {
    "1": Comment.Status.PUBLISHED,
    "approve": Comment.Status.PUBLISHED,
    "published": Comment.Status.PUBLISHED,
    "0": Comment.Status.HELD,
    "hold": Comment.Status.HELD,
    "hidden": Comment.Status.HELD,
    "spam": Comment.Status.SPAM,
}


class DryRunRollbackError(Exception):
    """Raised at the end of a dry run to undo everything it wrote."""


@dataclass
class _Item:
    record: ItemRecord
    label: str
    status: str
    published_at: datetime | None
    markdown: str
    images: list[str]


class Report:
    """Counts per kind and action, and one warning per item that needed a decision."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        data.setdefault("counts", {})
        data.setdefault("warnings", [])
        data.setdefault("errors", [])

    def count(self, kind: str, action: str, n: int = 1) -> None:
        if n:
            kinds = self.data["counts"].setdefault(kind, {})
            kinds[action] = kinds.get(action, 0) + n

    def warn(self, item: str, message: str) -> None:
        warnings = self.data["warnings"]
        if len(warnings) < MAX_WARNINGS:
            warnings.append({"item": item, "message": message})
        else:
            self.data["warnings_not_listed"] = self.data.get("warnings_not_listed", 0) + 1

    def error(self, message: str) -> None:
        self.data["errors"].append(message)


class Importer:
    """Writes one run's records. Call `header` for authors and terms, then `items`."""

    def __init__(
        self,
        run: ImportRun,
        *,
        attachments: dict[str, str] | None = None,
        images: ImageStore | None = None,
    ) -> None:
        self.run = run
        self.system = run.source
        self.site = run.site
        self.report = Report(run.report)
        self.attachments = attachments or {}
        self.images = images
        self.authors: dict[str, int] = {}  # author source id → user id
        self.terms: dict[tuple[str, str], int] = {}  # (kind, source id) → term id
        self.claimed: set[str] = set()  # slugs given out by this run
        self.fallback_id = run.fallback_author_id or run.created_by_id
        self.content_types = {
            model: ContentType.objects.get_for_model(model)
            for model in (User, Category, Tag, Post, Comment, PostImage)
        }
        self.queries_per_batch: list[int] = []  # the write transaction's, per batch
        self._queries = 0

    # ------------------------------------------------------------------ records

    def _records(self, kind: str, source_ids: Iterable[str]) -> dict[str, SourceRecord]:
        ids = list(dict.fromkeys(source_ids))
        if not ids:
            return {}
        rows = SourceRecord.objects.filter(
            system=self.system, site=self.site, kind=kind, source_id__in=ids
        )
        return {row.source_id: row for row in rows}

    def _record(
        self, kind: str, source_id: str, obj: models.Model, *, created: bool
    ) -> SourceRecord:
        return SourceRecord(
            system=self.system,
            site=self.site,
            kind=kind,
            source_id=source_id[:500],
            content_type=self.content_types[type(obj)],  # type: ignore[index]
            object_id=obj.pk,
            run=self.run,
            created=created,
            last_run=self.run,
        )

    def _touch(self, records: Iterable[SourceRecord]) -> None:
        ids = [record.pk for record in records]
        if ids:
            SourceRecord.objects.filter(pk__in=ids).update(last_run=self.run)

    # ------------------------------------------------------------------ header

    @transaction.atomic
    def header(self, authors: list[AuthorRecord], terms: list[TermRecord]) -> None:
        """Match or create the accounts and terms the items will point to."""
        self._authors(authors)
        for kind in ("category", "tag"):
            self._terms(kind, [term for term in terms if term.kind == kind])

    def _authors(self, authors: list[AuthorRecord]) -> None:
        authors = list({a.source_id: a for a in authors if a.source_id}.values())
        known = self._records(K.AUTHOR, [a.source_id for a in authors])
        self.authors.update({sid: int(rec.object_id) for sid, rec in known.items()})
        self._touch(known.values())
        todo = [a for a in authors if a.source_id not in known]
        if not todo:
            return
        emails = {a.email for a in todo if a.email}
        by_email = {u.email: u for u in User.objects.filter(email__in=emails)}
        records: list[SourceRecord] = []
        new: list[tuple[AuthorRecord, User]] = []
        for author in todo:
            user = by_email.get(author.email)
            if user is not None:
                self.authors[author.source_id] = user.pk
                records.append(self._record(K.AUTHOR, author.source_id, user, created=False))
                self.report.count("authors", "matched")
                continue
            new.append((author, User(is_active=False)))
        if new:
            self._create_users(new)
            for author, user in new:
                self.authors[author.source_id] = user.pk
                records.append(self._record(K.AUTHOR, author.source_id, user, created=True))
                self.report.count("authors", "created")
        SourceRecord.objects.bulk_create(records)

    def _create_users(self, new: list[tuple[AuthorRecord, User]]) -> None:
        bases = {a.source_id: _username(a.login or a.display_name) for a, _ in new}
        candidates = {f"{b}{n}" for b in bases.values() for n in ("", *range(2, 10))}
        taken = set(User.objects.filter(username__in=candidates).values_list("username", flat=True))
        emails_taken = set(
            User.objects.filter(email__in=[a.email for a, _ in new if a.email]).values_list(
                "email", flat=True
            )
        )
        for author, user in new:
            base = bases[author.source_id]
            name = next(
                (f"{base}{n}" for n in ("", *range(2, 10)) if f"{base}{n}" not in taken),
                f"{base[:30]}-{len(taken)}",
            )
            taken.add(name)
            email = author.email
            if not email or email in emails_taken:
                email = f"{name}@imported.invalid"
                self.report.warn(
                    f"author {author.login}",
                    "no email address in the file: the account got a placeholder address; "
                    "set the real one before inviting them",
                )
            emails_taken.add(email)
            user.username = name
            user.email = email
            user.display_name = author.display_name[:80]
            user.set_unusable_password()
        User.objects.bulk_create([user for _, user in new])
        group = Group.objects.get(name=Role.AUTHOR.value)
        through = User.groups.through
        through.objects.bulk_create([through(user_id=u.pk, group_id=group.pk) for _, u in new])

    def _terms(self, kind: str, terms: list[TermRecord]) -> None:
        """Find or create categories or tags; remember their ids by source id."""
        model: type[Category] | type[Tag] = Category if kind == "category" else Tag
        terms = [
            t
            for t in {t.source_id: t for t in terms if t.source_id}.values()
            if (kind, t.source_id) not in self.terms
        ]
        if not terms:
            return
        known = self._records(kind, [t.source_id for t in terms])
        for sid, rec in known.items():
            self.terms[(kind, sid)] = int(rec.object_id)
        self._touch(known.values())
        todo = [t for t in terms if t.source_id not in known]
        if not todo:
            return
        max_slug = model._meta.get_field("slug").max_length or 60
        max_name = model._meta.get_field("name").max_length or 60
        slugs = {t.source_id: slugify(unquote(t.slug or t.name))[:max_slug] or "term" for t in todo}
        names = {t.source_id: (t.name or t.slug)[:max_name] for t in todo}
        existing = model.objects.filter(
            Q(slug__in=slugs.values()) | Q(name__in=names.values())
        ).only("pk", "slug", "name")
        by_slug = {term.slug: term.pk for term in existing}
        by_name = {term.name: term.pk for term in existing}
        records: list[SourceRecord] = []
        created: list[tuple[TermRecord, Category | Tag]] = []
        pending: dict[str, Category | Tag] = {}  # by slug
        pending_names: dict[str, Category | Tag] = {}  # names are unique too
        for term in todo:
            slug, name = slugs[term.source_id], names[term.source_id]
            pk = by_slug.get(slug) or by_name.get(name)
            if pk is not None:
                self.terms[(kind, term.source_id)] = pk
                records.append(self._record(kind, term.source_id, model(pk=pk), created=False))
                self.report.count(_plural(kind), "matched")
                continue
            obj = pending.get(slug) or pending_names.get(name)
            if obj is None:
                obj = model(slug=slug, name=name, description=term.description)
                pending[slug] = pending_names[name] = obj
            created.append((term, obj))
        model.objects.bulk_create(list(pending.values()))  # type: ignore[arg-type]
        for term, obj in created:
            self.terms[(kind, term.source_id)] = obj.pk
            records.append(self._record(kind, term.source_id, obj, created=True))
            self.report.count(_plural(kind), "created")
        SourceRecord.objects.bulk_create(records)

    # ------------------------------------------------------------------ items

    def items(self, records: Iterator[ItemRecord], *, on_batch: Any = None) -> None:
        """Import items from the stream in batches, skipping the first `checkpoint` ones."""
        skip = self.run.checkpoint
        batch: list[ItemRecord] = []
        index = 0
        for record in records:
            index += 1
            if index <= skip:
                continue
            batch.append(record)
            if len(batch) >= BATCH_SIZE:
                self.batch(batch)
                batch = []
                if on_batch is not None:
                    on_batch()
        if batch:
            self.batch(batch)
            if on_batch is not None:
                on_batch()

    def batch(self, records: list[ItemRecord]) -> None:
        """Write one batch (and advance the checkpoint) in one transaction."""
        prepared = [item for item in map(self._prepare, records) if item is not None]
        images = self._fetch_images(prepared)
        self._queries = 0
        with connection.execute_wrapper(self._count_query), transaction.atomic():
            self._write_items(prepared, images)
            self.run.checkpoint += len(records)
            self.run.items_done = self.run.checkpoint
            self.run.heartbeat_at = timezone.now()
            ImportRun.objects.filter(pk=self.run.pk).update(
                checkpoint=self.run.checkpoint,
                items_done=self.run.items_done,
                heartbeat_at=self.run.heartbeat_at,
                report=self.run.report,
            )
        self.queries_per_batch.append(self._queries)

    def _count_query(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self._queries += 1
        return execute(sql, params, many, context)

    def _prepare(self, record: ItemRecord) -> _Item | None:
        label = f"{record.kind} {record.source_id} “{record.title[:60]}”"
        status = POST_STATUSES.get(record.status)
        if status is None:
            self.report.warn(label, f"status “{record.status}” is not imported; skipped")
            self.report.count(_plural(record.kind), "skipped")
            return None
        if record.status == "private":
            self.report.warn(label, "private on the old site: imported as a draft")
        if record.kind == "page":
            self.report.warn(label, "a page: imported as a post (Inkwell has no separate pages)")
        published_at = record.published_at
        if status == S.PUBLISHED and published_at is None:
            published_at = timezone.now()
            self.report.warn(label, "published without a date: dated now")
        if status == S.SCHEDULED and published_at is None:
            status = S.DRAFT
            self.report.warn(label, "scheduled without a date: imported as a draft")
        converted = html_to_markdown(record.html)
        for problem in converted.problems:
            self.report.warn(label, problem)
        if record.cover_url and self.system == ImportRun.Source.WXR:
            # WXR names the featured image by attachment id; the first pass found its URL.
            url = self.attachments.get(record.cover_url, "")
            if not url:
                self.report.warn(label, f"featured image {record.cover_url} not in the file")
            record.cover_url = url
        images = [url for url in [record.cover_url, *converted.images] if url]
        return _Item(record, label, status, published_at, converted.markdown, images)

    def _fetch_images(self, items: list[_Item]) -> dict[str, PostImage]:
        urls = list(dict.fromkeys(url for item in items for url in item.images))
        if not urls:
            return {}
        if self.images is None or self.run.dry_run:
            self.report.count(
                "images",
                "not fetched (dry run)" if self.run.dry_run else "left as links",
                len(urls),
            )
            return {}
        known = self._records(K.IMAGE, urls)
        pictures = {
            p.pk: p for p in PostImage.objects.filter(pk__in=[r.object_id for r in known.values()])
        }
        found: dict[str, PostImage] = {}
        for url, record in known.items():
            if (picture := pictures.get(record.object_id)) is not None:
                found[url] = picture
                self.report.count("images", "already imported")
        for url in urls:
            if url in found:
                continue
            picture, problem = self.images.store(url, actor_id=self.run.created_by_id)
            if picture is None:
                labels = [item.label for item in items if url in item.images]
                self.report.warn(
                    labels[0] if labels else url, f"image {url} {problem}: left as a link"
                )
                self.report.count("images", "failed")
                continue
            SourceRecord.objects.create(
                **_fields(self._record(K.IMAGE, url, picture, created=True))
            )
            found[url] = picture
            self.report.count("images", "fetched")
        return found

    def _write_items(self, items: list[_Item], images: dict[str, PostImage]) -> None:
        if not items:
            return
        self._ensure_terms(items)
        records: dict[str, dict[str, SourceRecord]] = {
            kind: self._records(kind, [i.record.source_id for i in items if i.record.kind == kind])
            for kind in (K.POST, K.PAGE)
        }
        existing_ids = [int(r.object_id) for recs in records.values() for r in recs.values()]
        existing = Post.objects.in_bulk(existing_ids) if existing_ids else {}
        slugs = self._slugs([i for i in items if i.record.source_id not in records[i.record.kind]])
        new: list[tuple[_Item, Post]] = []
        updated: list[tuple[_Item, Post]] = []
        for item in items:
            rec = records[item.record.kind].get(item.record.source_id)
            post = existing.get(int(rec.object_id)) if rec is not None else None
            if post is None:
                post = Post(slug=slugs[id(item)], created_at=item.published_at or timezone.now())
                new.append((item, post))
            else:
                # An editor's open copy (based on the old version) must not overwrite this.
                post.version += 1
                post.updated_at = timezone.now()
                updated.append((item, post))
            self._fill(post, item, images)
        Post.objects.bulk_create([post for _, post in new])
        if updated:
            Post.objects.bulk_update([post for _, post in updated], _UPDATED_FIELDS)
        Revision.objects.bulk_create(
            [
                Revision(
                    post=post,
                    author_id=post.author_id,
                    title=post.title,
                    body=post.body,
                    note="imported",
                )
                for _, post in new + updated
            ]
        )
        SourceRecord.objects.bulk_create(
            [
                self._record(item.record.kind, item.record.source_id, post, created=True)
                for item, post in new
            ]
        )
        self._touch(r for recs in records.values() for r in recs.values())
        for kind in ("post", "page"):
            self.report.count(
                _plural(kind), "created", sum(1 for i, _ in new if i.record.kind == kind)
            )
            self.report.count(
                _plural(kind), "updated", sum(1 for i, _ in updated if i.record.kind == kind)
            )
        pairs = new + updated
        self._write_tags(pairs, updated)
        self._write_redirects(pairs)
        picture_ids = {
            images[url].pk: post.pk for item, post in pairs for url in item.images if url in images
        }
        if picture_ids:
            for pk, post_id in picture_ids.items():
                PostImage.objects.filter(pk=pk, post__isnull=True).update(post_id=post_id)
        self._write_comments(pairs)
        self._after_commit(pairs)
        invalidate(
            POSTS,
            *[f"post:{post.pk}" for _, post in updated],
            *[f"comments:{post.pk}" for _, post in updated],
        )

    def _after_commit(self, pairs: list[tuple[_Item, Post]]) -> None:
        """Queue scheduled posts' publication; make the listings they join stale."""
        tags: list[str] = []
        for item, post in pairs:
            if post.status == S.SCHEDULED and post.published_at is not None:
                transaction.on_commit(partial(enqueue_publication, post.pk, post.published_at))
            if post.status == S.PUBLISHED:
                tag_ids = [
                    self.terms[("tag", s)] for s in item.record.tags if ("tag", s) in self.terms
                ]
                tags += membership_tags(
                    category_id=post.category_id, tag_ids=tag_ids, author_ids=[post.author_id]
                )
        invalidate(*tags)

    def _ensure_terms(self, items: list[_Item]) -> None:
        for kind, attr in (("category", "categories"), ("tag", "tags")):
            wanted = {sid for item in items for sid in getattr(item.record, attr)}
            missing = [
                TermRecord(kind=kind, source_id=s, slug=s, name=s)
                for s in wanted
                if (kind, s) not in self.terms
            ]
            if missing:
                self._terms(kind, missing)

    def _slugs(self, items: list[_Item]) -> dict[int, str]:
        """A free slug for each new post: the old one, else with -2 … -9, else with its id."""
        bases = {
            id(i): slugify(unquote(i.record.slug or i.record.title))[:190].strip("-") or "post"
            for i in items
        }
        candidates = {
            f"{b}{n}" for b in bases.values() for n in ("", *(f"-{k}" for k in range(2, 10)))
        }
        taken = set(Post.objects.filter(slug__in=candidates).values_list("slug", flat=True))
        taken |= set(PostSlug.objects.filter(slug__in=candidates).values_list("slug", flat=True))
        taken |= self.claimed
        chosen: dict[int, str] = {}
        for item in items:
            base = bases[id(item)]
            slug = next(
                (
                    f"{base}{n}"
                    for n in ("", *(f"-{k}" for k in range(2, 10)))
                    if f"{base}{n}" not in taken
                ),
                f"{base[:170]}-{item.record.source_id[:20]}",
            )
            if slug != base:
                self.report.warn(item.label, f"the address “{base}” is taken: imported as “{slug}”")
            taken.add(slug)
            self.claimed.add(slug)
            chosen[id(item)] = slug
        return chosen

    def _fill(self, post: Post, item: _Item, images: dict[str, PostImage]) -> None:
        record = item.record
        markdown = item.markdown
        for url in item.images:
            if url in images:
                picture = images[url]
                markdown = markdown.replace(
                    url,
                    default_storage.url(picture.renditions.get("1280") or picture.original.name),
                )
        post.title = (record.title or "(untitled)")[:200]
        post.excerpt = _plain(record.excerpt)[:400]
        post.body = markdown
        post.body_html, headings = markdown_to_safe_html_with_toc(markdown)
        post.toc = [{"level": h.level, "id": h.id, "text": h.text} for h in headings]
        post.reading_minutes = reading_minutes(markdown)
        author_id = self.authors.get(record.author_id)
        if author_id is None:
            author_id = self.fallback_id
            self.report.warn(
                item.label, f"unknown author “{record.author_id}”: given to the importing account"
            )
        post.author_id = author_id  # type: ignore[assignment]  # fallback_id is set for runs
        category_ids = [
            self.terms[("category", s)] for s in record.categories if ("category", s) in self.terms
        ]
        post.category_id = category_ids[0] if category_ids else None
        if len(category_ids) > 1:
            self.report.warn(item.label, "several categories: only the first is kept")
        post.status = item.status
        post.published_at = item.published_at
        post.featured = record.featured
        post.seo_title = record.seo_title[:70]
        post.seo_description = record.seo_description[:160]
        cover = images.get(record.cover_url) if record.cover_url else None
        if cover is not None:
            post.cover_image.name = cover.renditions.get("1920") or cover.original.name
            post.cover_alt = record.cover_alt[:200]

    def _write_tags(
        self, pairs: list[tuple[_Item, Post]], updated: list[tuple[_Item, Post]]
    ) -> None:
        through = Post.tags.through
        if updated:
            through.objects.filter(post_id__in=[post.pk for _, post in updated]).delete()
        rows = {}
        for item, post in pairs:
            tag_ids = [self.terms[("tag", s)] for s in item.record.tags if ("tag", s) in self.terms]
            for tag_id in tag_ids:
                rows[(post.pk, tag_id)] = through(post_id=post.pk, tag_id=tag_id)
        through.objects.bulk_create(list(rows.values()), ignore_conflicts=True)
        coauthors = Post.coauthors.through
        co_rows = {}
        for item, post in pairs:
            for sid in item.record.author_ids:
                user_id = self.authors.get(sid)
                if user_id is not None and user_id != post.author_id:
                    co_rows[(post.pk, user_id)] = coauthors(post_id=post.pk, user_id=user_id)
        if co_rows:
            coauthors.objects.bulk_create(list(co_rows.values()), ignore_conflicts=True)

    def _write_redirects(self, pairs: list[tuple[_Item, Post]]) -> None:
        wanted: dict[str, Post] = {}
        for item, post in pairs:
            new_path = post.get_absolute_url().rstrip("/")
            for path in item.record.old_paths:
                if path and path != new_path and path not in {"/", ""}:
                    wanted[path[:500]] = post
        if not wanted:
            return
        have = set(
            LegacyRedirect.objects.filter(old_path__in=wanted).values_list("old_path", flat=True)
        )
        LegacyRedirect.objects.bulk_create(
            [
                LegacyRedirect(old_path=path, post=post, run=self.run)
                for path, post in wanted.items()
                if path not in have
            ],
            ignore_conflicts=True,
        )
        self.report.count("redirects", "created", len(wanted) - len(have))

    # ------------------------------------------------------------------ comments

    def _write_comments(self, pairs: list[tuple[_Item, Post]]) -> None:
        all_comments = [(item, post, c) for item, post in pairs for c in item.record.comments]
        if not all_comments:
            return
        known = self._records(K.COMMENT, [c.source_id for _, _, c in all_comments])
        self._touch(known.values())
        placed: dict[str, Comment] = {
            str(c.pk): c
            for c in Comment.objects.filter(pk__in=[r.object_id for r in known.values()]).only(
                "pk", "depth", "root_id", "thread_parent_id", "post_id"
            )
        }
        by_source: dict[str, Comment] = {
            sid: placed[str(r.object_id)] for sid, r in known.items() if str(r.object_id) in placed
        }
        self.report.count("comments", "unchanged", len(by_source))
        emails = {c.author_email for _, _, c in all_comments if c.author_email}
        users = (
            {u.email: u.pk for u in User.objects.filter(email__in=emails).only("pk", "email")}
            if emails
            else {}
        )
        todo: list[tuple[_Item, Post, CommentRecord]] = []
        for item, post, source in all_comments:
            if source.source_id in by_source:
                continue
            if source.status in {"trash", "deleted"}:
                self.report.warn(
                    item.label, f"comment {source.source_id} was in the trash: skipped"
                )
                self.report.count("comments", "skipped")
                continue
            if source.status in {"pingback", "trackback"}:
                self.report.warn(item.label, f"{source.status} {source.source_id}: skipped")
                self.report.count("comments", "skipped")
                continue
            if COMMENT_STATUSES.get(source.status) is None:
                self.report.warn(
                    item.label, f"comment {source.source_id} has status “{source.status}”: held"
                )
            todo.append((item, post, source))
        pending = {c.source_id: (item, post, c) for item, post, c in todo}
        records: list[SourceRecord] = []
        # One level of replies at a time: a reply needs its parent's id, depth and thread.
        while pending:
            level = [
                entry
                for sid, entry in pending.items()
                if _parent(entry[2]) not in pending or _parent(entry[2]) == sid
            ]
            if not level:  # replies that answer each other in a loop: break it at the top
                level = list(pending.values())
                for entry in level:
                    entry[2].parent_id = ""
            rows: list[tuple[str, Comment]] = []
            for item, post, record in level:
                parent_sid = _parent(record)
                parent = by_source.get(parent_sid) if parent_sid else None
                if parent_sid and parent is None:
                    self.report.warn(
                        item.label,
                        f"comment {record.source_id} replies to a missing comment: shown at the top level",
                    )
                comment = _build_comment(record, post, parent, users.get(record.author_email))
                rows.append((record.source_id, comment))
            Comment.objects.bulk_create([c for _, c in rows])
            for sid, comment in rows:
                by_source[sid] = comment
                pending.pop(sid, None)
                records.append(self._record(K.COMMENT, sid, comment, created=True))
                self.report.count("comments", "created")
                if comment.author_id is None:
                    self.report.count("comments", "by guests")
        SourceRecord.objects.bulk_create(records)


_UPDATED_FIELDS: Final = [
    "title", "excerpt", "body", "body_html", "toc", "reading_minutes", "author", "category",
    "status", "published_at", "featured", "seo_title", "seo_description", "cover_image",
    "cover_alt", "version", "updated_at",
]  # fmt: skip


def _parent(record: CommentRecord) -> str:
    return "" if record.parent_id in {"", "0"} else record.parent_id


def _build_comment(
    record: CommentRecord, post: Post, parent: Comment | None, user_id: int | None
) -> Comment:
    body = comment_to_markdown(record.html)[:5000] or "…"
    comment = Comment(
        post=post,
        author_id=user_id,
        body=body,
        body_html=markdown_to_safe_html(body, profile="comment"),
        status=COMMENT_STATUSES.get(record.status, Comment.Status.HELD),
        created_at=record.created_at or timezone.now(),
    )
    if user_id is None:
        comment.guest_name = (record.author_name or "Guest")[:150]
        comment.guest_email = record.author_email[:254]
    if comment.status == Comment.Status.HELD:
        comment.held_reason = comment_reasons.IMPORTED
    if parent is not None:
        comment.parent = parent
        comment.depth = min(parent.depth + 1, MAX_DEPTH)
        comment.root_id = parent.root_id or parent.pk
        comment.thread_parent_id = (
            parent.pk if parent.depth < MAX_DEPTH else parent.thread_parent_id
        )
    return comment


def _fields(record: SourceRecord) -> dict[str, Any]:
    return {
        f.attname: getattr(record, f.attname)
        for f in SourceRecord._meta.concrete_fields
        if f.attname != "id"
    }


def _plural(kind: str) -> str:
    return {"category": "categories", "tag": "tags", "post": "posts", "page": "pages"}.get(
        kind, kind
    )


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _username(login: str) -> str:
    name = _USERNAME_BAD.sub("-", slugify(login).lower()).strip("-_")[:30]
    return name or "author"
