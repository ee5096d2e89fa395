"""A post's comments a page at a time: the threads the post page, its "load more" and the
API show, at a cost that does not grow with the post's comments.

A *thread* is a top-level comment with its replies. A page holds `threads` threads in the
reader's order (oldest or newest first, by the top-level comment's id), starting after a
cursor (the id of the last thread shown: keyset paging, so a comment posted meanwhile
never shifts the next page or shows a thread twice). Each thread shows its first
`replies` replies, oldest first; the rest load on demand (`replies_after`).

Replies are cut by id, never by position in the tree: a reply's `thread_parent` is older
than the reply, so the first N replies of a thread always include every comment they hang
from, and the next batch hangs below comments already shown.

Which comments count is the same as in `threads.comment_thread`: the viewer's visible
comments, plus hidden ones a visible reply hangs below (as "comment removed").
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, DenseRank, RowNumber
from django.db.models.lookups import GreaterThan, LessThan

from apps.blog.models import Post
from apps.comments.models import Comment, PostStream
from apps.comments.selectors.threads import (
    AnyUser,
    _annotate,
    _is_moderator,
    _sees,
    _visible_filter,
    thread_author_ids,
    thread_signature,
)

Order = Literal["oldest", "newest"]
ORDERS: tuple[Order, ...] = ("oldest", "newest")

# What a rendered comment shows, and nothing else: the window functions sort every
# comment of the post, so narrow rows keep that cheap (the Markdown source, the authors'
# passwords and bios stay behind). The parent is there for "in reply to @name" only.
_SHOWN_FIELDS = (
    "id",
    "post_id",
    "parent_id",
    "root_id",
    "thread_parent_id",
    "depth",
    "body_html",
    "guest_name",  # an imported guest comment's name (never guest_email)
    "status",
    "created_at",
    "edited_at",
    "deleted_at",
    "author__id",
    "author__username",
    "author__display_name",
    "author__avatar",
    "parent__id",
    "parent__author__id",
    "parent__author__username",
    "parent__guest_name",
)


@dataclass
class ThreadPage:
    """One page of a post's threads, and what the page around it needs to know."""

    threads: list[Comment]  # top-level comments with .thread_replies and .more_replies
    order: Order
    cursor: int | None  # the thread this page starts after (None: the first page)
    next_cursor: int | None  # where the next page starts; None on the last page
    total: int  # every comment of the post the viewer sees (not placeholders)
    last_id: int  # the newest comment the viewer sees: the deprecated ?after= starts after it
    # The post's live-stream number in the same snapshot as the comments: the page's socket
    # catches up from it (?since=), also when the page is served from the cache later.
    live_seq: int = 0
    author_ids: set[int] = field(default_factory=set)  # whose names the page shows


@dataclass
class ReplyBatch:
    """The next replies of one thread, as a forest: each hangs below a comment already shown."""

    thread: Comment
    replies: list[Comment]  # batch roots, each with the batch's replies below it
    shown: list[Comment]  # every reply of the batch, oldest first
    remaining: int  # replies still to load after this batch
    next_after: int | None  # the `after` of the next batch; None when none remain


# A cursor is a comment id: digits, and no longer than a bigint.
_CURSOR_DIGITS = 18


def parse_order(value: str | None) -> Order:
    """The reader's order from `?comments=`; anything else is the default, oldest first."""
    return "newest" if value == "newest" else "oldest"


def parse_cursor(value: str | None) -> int | None:
    """The comment id a page or batch continues after; None when absent; else ValueError."""
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or len(value) > _CURSOR_DIGITS:
        raise ValueError("A comments cursor is the id of a comment.")
    return int(value)


def post_page_threads(
    *, post: Post, viewer: AnyUser, order: Order = "oldest", cursor: int | None = None
) -> ThreadPage:
    """The page of threads a post page (or its "load more") shows, sized by the settings."""
    return thread_page(
        post=post,
        viewer=viewer,
        order=order,
        cursor=cursor,
        threads=settings.COMMENT_THREADS_PER_PAGE,
        replies=settings.COMMENT_REPLIES_PER_THREAD,
    )


def _number(row: Comment, annotation: str) -> int:
    """A number the query annotated the row with (None reads as 0)."""
    return int(getattr(row, annotation) or 0)


def _relevant(viewer: AnyUser, *, moderator: bool) -> Q:
    # Shown: visible to the viewer, or hidden with a visible comment hanging below it
    # (a placeholder keeps the thread's shape). Below a top-level comment hangs its whole
    # thread (`root`); below a reply, the replies shown beside it (`thread_parent`).
    # Two EXISTS rather than one with an OR, so each can use its foreign key's index.
    visible = _visible_filter(viewer, moderator=moderator)
    shown = Comment.objects.filter(visible)
    in_thread = Exists(shown.filter(root=OuterRef("pk")))
    beside = Exists(shown.filter(thread_parent=OuterRef("pk")))
    return visible | Q(in_thread) | Q(beside)


def _post_totals(post: Post, viewer: AnyUser, *, moderator: bool) -> tuple[Subquery, Subquery]:
    visible = _visible_filter(viewer, moderator=moderator)
    seen = Comment.objects.filter(visible, post=post).order_by()
    total = Subquery(
        seen.filter(deleted_at__isnull=True)
        .values("post_id")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    last = Subquery(seen.order_by("-pk").values("pk")[:1])
    return total, last


def _stream_seq(post: Post) -> Subquery:
    return Subquery(PostStream.objects.filter(post_id=post.pk).values("last_seq")[:1])


def _totals_alone(post: Post, viewer: AnyUser, *, moderator: bool) -> tuple[int, int, int]:
    total, last = _post_totals(post, viewer, moderator=moderator)
    row = (
        Post.objects.filter(pk=post.pk)
        .annotate(total=total, last=last, seq=_stream_seq(post))
        .values("total", "last", "seq")
    )
    found = row.first() or {}
    return int(found.get("total") or 0), int(found.get("last") or 0), int(found.get("seq") or 0)


def _prepare(
    rows: Sequence[Comment], viewer: AnyUser, *, moderator: bool, attach_to: dict[int, Comment]
) -> list[Comment]:
    """Annotate rows (oldest first) for rendering; return those whose parent is not among them.

    `attach_to` maps ids of comments already prepared (this batch's and any shown before)
    to the comment; a row hanging below one of them joins its `thread_replies`.
    """
    loose: list[Comment] = []
    for comment in rows:
        shown = _sees(comment, viewer, moderator=moderator)
        _annotate(comment, [], placeholder=comment.is_deleted or not shown)
        comment.more_replies = 0
        holder = attach_to.get(comment.thread_parent_id or 0)
        if holder is not None:
            holder.thread_replies.append(comment)
        else:
            loose.append(comment)
        attach_to[comment.pk] = comment
    return loose


def thread_page(
    *,
    post: Post,
    viewer: AnyUser,
    order: Order = "oldest",
    cursor: int | None = None,
    threads: int,
    replies: int | None,
    with_source: bool = False,
) -> ThreadPage:
    """One page of the post's threads for the viewer, in one query whatever the post holds.

    `replies`: how many replies each thread shows (None: all of them). `with_source`: load
    the comments' Markdown too (the API gives authors their own, to edit).
    """
    newest = order == "newest"
    moderator = _is_moderator(viewer)  # asked once: it may query the viewer's roles
    thread_key = Coalesce(F("root_id"), F("id"))
    total, last = _post_totals(post, viewer, moderator=moderator)
    rows_qs: QuerySet[Comment] = Comment.objects.filter(
        _relevant(viewer, moderator=moderator), post=post
    ).annotate(thread_key=thread_key)
    if cursor is not None:
        # Keyset: the threads past the cursor in the reader's order.
        if newest:
            rows_qs = rows_qs.filter(LessThan(thread_key, cursor))
        else:
            rows_qs = rows_qs.filter(GreaterThan(thread_key, cursor))
    rows_qs = rows_qs.annotate(
        thread_rank=Window(
            DenseRank(), order_by=F("thread_key").desc() if newest else F("thread_key").asc()
        ),
        position=Window(RowNumber(), partition_by=F("thread_key"), order_by=F("id").asc()),
        thread_size=Window(Count("id"), partition_by=F("thread_key")),
        post_total=total,
        post_last=last,
        post_seq=_stream_seq(post),
    ).filter(thread_rank__lte=threads + 1)
    if replies is not None:
        rows_qs = rows_qs.filter(position__lte=replies + 1)
    fields = (*_SHOWN_FIELDS, "body") if with_source else _SHOWN_FIELDS
    rows = list(
        rows_qs.select_related("author", "parent__author")
        .only(*fields)
        .order_by("thread_rank", "id")
    )

    if rows:
        first = rows[0]
        total_count = _number(first, "post_total")
        last_id = _number(first, "post_last")
        live_seq = _number(first, "post_seq")
    else:
        total_count, last_id, live_seq = _totals_alone(post, viewer, moderator=moderator)

    by_thread: dict[int, list[Comment]] = {}
    for row in rows:
        by_thread.setdefault(_number(row, "thread_key"), []).append(row)
    keys = list(by_thread)
    next_cursor = keys[threads - 1] if len(keys) > threads else None
    tops: list[Comment] = []
    for key in keys[:threads]:
        top, *thread_replies = by_thread[key]
        if replies is not None:
            thread_replies = thread_replies[:replies]
        prepared: dict[int, Comment] = {}
        _prepare([top, *thread_replies], viewer, moderator=moderator, attach_to=prepared)
        top.more_replies = _number(top, "thread_size") - 1 - len(thread_replies)
        top.replies_after = thread_replies[-1].pk if thread_replies else top.pk
        tops.append(top)
    page = ThreadPage(
        threads=tops,
        order=order,
        cursor=cursor,
        next_cursor=next_cursor,
        total=total_count,
        last_id=last_id,
        live_seq=live_seq,
    )
    page.author_ids = thread_author_ids(tops)
    return page


def numbered_thread_page(
    *, post: Post, viewer: AnyUser, number: int, threads: int, with_source: bool = False
) -> tuple[ThreadPage | None, int]:
    """Page `number` (from 1) of whole threads, oldest first, and how many threads there are.

    For API v1's page numbers: the thread before the page is found by its position, then
    the page is `thread_page` after it, so a page costs the same whatever the post holds.
    None when the page is past the end (the first page always exists).
    """
    moderator = _is_moderator(viewer)
    keys = (
        Comment.objects.filter(_relevant(viewer, moderator=moderator), post=post)
        .annotate(thread_key=Coalesce(F("root_id"), F("id")))
        .values_list("thread_key", flat=True)
        .distinct()
        .order_by("thread_key")
    )
    count = keys.count()
    offset = (number - 1) * threads
    if number > 1 and offset >= count:
        return None, count
    cursor = keys[offset - 1] if offset else None
    page = thread_page(
        post=post,
        viewer=viewer,
        cursor=cursor,
        threads=threads,
        replies=None,
        with_source=with_source,
    )
    return page, count


def page_signature(page: ThreadPage) -> str:
    """A digest of everything the rendered page of threads shows (its cached HTML's key)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(thread_signature(page.threads).encode())
    digest.update(
        repr(
            (
                page.order,
                page.cursor,
                page.next_cursor,
                [(top.pk, top.more_replies) for top in page.threads],
            )
        ).encode()
    )
    return digest.hexdigest()


def thread_for_replies(*, viewer: AnyUser, comment_id: int) -> Comment | None:
    """A top-level comment on a public post whose thread the viewer sees, ready to render."""
    moderator = _is_moderator(viewer)
    top = (
        Comment.objects.filter(
            _relevant(viewer, moderator=moderator), pk=comment_id, parent__isnull=True
        )
        .select_related("post", "author")
        .first()
    )
    if top is None or not top.post.is_public:
        return None
    _prepare([top], viewer, moderator=moderator, attach_to={})
    return top


def replies_after(*, thread: Comment, viewer: AnyUser, after_id: int, limit: int) -> ReplyBatch:
    """The thread's next `limit` replies after `after_id`, oldest first, in one query."""
    moderator = _is_moderator(viewer)
    rows: list[Comment] = list(
        Comment.objects.filter(_relevant(viewer, moderator=moderator), root=thread, pk__gt=after_id)
        .annotate(remaining=Window(Count("id")))
        .select_related("author", "parent__author")
        .only(*_SHOWN_FIELDS)
        .order_by("id")[:limit]
    )
    remaining = _number(rows[0], "remaining") - len(rows) if rows else 0
    roots = _prepare(rows, viewer, moderator=moderator, attach_to={})
    return ReplyBatch(
        thread=thread,
        replies=roots,
        shown=rows,
        remaining=remaining,
        next_after=rows[-1].pk if rows and remaining > 0 else None,
    )


def batch_author_ids(batch: ReplyBatch) -> set[int]:
    """The accounts whose names a batch of replies shows."""
    return {c.author_id for c in batch.shown if c.author_id is not None}
