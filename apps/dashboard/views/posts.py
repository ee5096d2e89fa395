"""The posts table, its workflow buttons and bulk actions, and each post's revisions.

Parse → call a service → render. Every service checks permissions itself; the
pages only decide which buttons to show.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, Literal
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.blog.models import Category, Post, Revision
from apps.blog.selectors import (
    dashboard_posts,
    post_authors,
    post_revisions,
    sees_every_post,
)
from apps.blog.services import (
    Move,
    PostContent,
    allowed_moves,
    archive_post,
    bulk_apply,
    delete_post,
    publish_post,
    restore_revision,
    submit_post,
    unschedule_post,
    update_post,
)
from apps.core.htmx import render_page_or_partial, wants_partial
from apps.dashboard.forms.posts import (
    BULK_ACTIONS,
    SCOPE_ALL,
    SCOPE_MINE,
    BulkActionForm,
    PostFilterForm,
    RestoreForm,
    RevisionCompareForm,
    bulk_actions_for,
)
from apps.dashboard.views.base import actor, dashboard_view, error_text, render_section

POSTS_PER_PAGE = 25
SELECT_HEADER = "X-Select-Rows"
REVISIONS_PER_PAGE = 50
LIST_TEMPLATE = "dashboard/posts/list.html"
REVISIONS_TEMPLATE = "dashboard/posts/revisions.html"

# Moves the table makes in one click; "send back" (a note) and "schedule" (a time)
# need input, so their buttons open the post editor instead.
ROW_MOVES: dict[str, tuple[Callable[..., Post], str]] = {
    "submit": (submit_post, "Submitted for review."),
    "unschedule": (unschedule_post, "Unscheduled: back to draft."),
    "publish": (publish_post, "Published."),
    "archive": (archive_post, "Archived."),
}


def _load_roles(user: User) -> None:
    # `can` asks for the user's groups on every call; one prefetch keeps each row query-free.
    prefetch_related_objects([user], "groups")


# --------------------------------------------------------------------------
# The posts table
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PostRow:
    post: Post
    moves: list[Move]
    can_edit: bool
    selected: bool = False

    @property
    def primary_move(self) -> str:
        """The move to stress: publishing for editors, else submitting for review."""
        names = [move.name for move in self.moves]
        return next((name for name in ("publish", "submit") if name in names), "")


@dataclass(frozen=True)
class SortColumn:
    key: str
    label: str
    next_sort: str  # the `sort` a click on the header asks for
    aria_sort: str  # "ascending", "descending" or "" (not the sorted column)


# column → label, and the direction a first click sorts by
COLUMNS: dict[str, tuple[str, str]] = {
    "title": ("Title", ""),
    "status": ("Status", ""),
    "author": ("Author", ""),
    "updated": ("Updated", "-"),
    "published": ("Published", "-"),
}


@dataclass(frozen=True)
class BulkReport:
    label: str
    succeeded: int
    failures: list[tuple[str, str]] = field(default_factory=list)  # (title, reason)


def _columns(sort: str) -> dict[str, SortColumn]:
    current, descending = sort.removeprefix("-"), sort.startswith("-")
    columns = {}
    for key, (label, first) in COLUMNS.items():
        if key == current:
            columns[key] = SortColumn(
                key,
                label,
                key if descending else f"-{key}",
                "descending" if descending else "ascending",
            )
        else:
            columns[key] = SortColumn(key, label, f"{first}{key}", "")
    return columns


def _rows(user: User, posts: Iterable[Post], selected: Iterable[int] = ()) -> list[PostRow]:
    chosen = set(selected)
    return [
        PostRow(post, allowed_moves(user, post), can(user, "post.edit", post), post.pk in chosen)
        for post in posts
    ]


def _list_context(
    request: HttpRequest, *, selected: Iterable[int] = (), select_page: bool = False, **extra: Any
) -> dict[str, Any]:
    user = actor(request)
    _load_roles(user)
    sees_all = sees_every_post(user)
    form = PostFilterForm(request.GET, authors=post_authors() if sees_all else None)
    filters = form.filters()
    filters["everyone"] = sees_all and filters["everyone"]
    paginator = Paginator(dashboard_posts(viewer=user, **filters), POSTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    if select_page:
        selected = [post.pk for post in page.object_list]
    chosen = set(selected)
    actions = bulk_actions_for(user)
    return {
        "form": form,
        "page": page,
        "rows": _rows(user, page.object_list, chosen),
        "sort": filters["sort"],
        "columns": _columns(filters["sort"]),
        "scope": SCOPE_ALL if filters["everyone"] else SCOPE_MINE,
        "sees_all": sees_all,
        "all_selected": bool(page.object_list) and all(p.pk in chosen for p in page.object_list),
        "bulk_form": BulkActionForm(actions=actions, posts=Post.objects.none()),
        "can_recategorise": any(name == "category" for name, _ in actions),
        "can_delete": any(name == "delete" for name, _ in actions),
        "bulk_url": _with_query("dashboard:posts_bulk", request),
        "list_url": _with_query("dashboard:posts", request),
        **extra,
    }


def _with_query(url_name: str, request: HttpRequest) -> str:
    """`url_name` with the table's filters, sort and page, carried through a POST and back."""
    query = request.GET.urlencode()
    return reverse(url_name) + (f"?{query}" if query else "")


@require_GET
@never_cache
@dashboard_view("post.create")
def post_list(request: HttpRequest) -> HttpResponse:
    # The "select the whole page" checkbox asks in a header, not the query: the links the
    # page renders (sort, pages, scope) keep the query and must not tick every row.
    select_page = request.headers.get(SELECT_HEADER) == "page"
    context = _list_context(request, select_page=select_page)
    return render_section(request, LIST_TEMPLATE, "post-results", "posts", context)


def _render_row(request: HttpRequest, pk: int, **extra: Any) -> HttpResponse:
    user = actor(request)
    _load_roles(user)
    post = get_object_or_404(dashboard_posts(viewer=user), pk=pk)
    context = {"row": _rows(user, [post])[0], "list_url": _safe_next(request), **extra}
    return render_page_or_partial(request, LIST_TEMPLATE, "post-row", context)


def _safe_next(request: HttpRequest) -> str:
    """The posts table the user came from (its filters kept), never another page or site."""
    target = request.POST.get("next", "")
    posts_url = reverse("dashboard:posts")
    if urlsplit(target).path == posts_url and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return posts_url


@require_POST
@dashboard_view("post.create")
def post_row_move(request: HttpRequest, pk: int, move: str) -> HttpResponse:
    if move not in ROW_MOVES:
        raise Http404("No such move.")
    user = actor(request)
    post = get_object_or_404(dashboard_posts(viewer=user), pk=pk)
    service, done = ROW_MOVES[move]
    error = ""
    try:
        service(actor=user, post=post)
    except (ValidationError, PermissionDenied) as exc:
        error = error_text(exc)
    if wants_partial(request):
        # 200 either way: htmx swaps only successful responses, and the row shows the error.
        return _render_row(request, pk, row_error=error, row_notice="" if error else done)
    if error:
        messages.error(request, f"“{post.title}”: {error}")
    else:
        messages.success(request, f"“{post.title}”: {done}")
    return redirect(_safe_next(request))


def _content_with_category(post: Post, category: Category | None) -> PostContent:
    # Everything as it is, but the category: what the editor would send for this one change.
    return PostContent(
        title=post.title,
        body=post.body,
        slug=post.slug,
        subtitle=post.subtitle,
        excerpt=post.excerpt,
        category=category,
        tags=list(post.tags.all()),
        coauthors=list(post.coauthors.all()),
        cover_alt=post.cover_alt,
        seo_title=post.seo_title,
        seo_description=post.seo_description,
        canonical_url=post.canonical_url,
        featured=post.featured,
    )


def _bulk_action(user: User, name: str, category: Category | None) -> Callable[[Post], object]:
    def publish(post: Post) -> object:
        return publish_post(actor=user, post=post)

    def archive(post: Post) -> object:
        return archive_post(actor=user, post=post)

    def delete(post: Post) -> object:
        delete_post(actor=user, post=post)
        return None

    def recategorise(post: Post) -> object:
        return update_post(
            actor=user,
            post=post,
            content=_content_with_category(post, category),
            based_on_version=post.version,
            note="",
        )

    actions: dict[str, Callable[[Post], object]] = {
        "publish": publish,
        "archive": archive,
        "delete": delete,
        "category": recategorise,
    }
    return actions[name]


def _bulk_label(name: str, category: Category | None) -> str:
    if name == "category":
        return f"Move to {f'“{category.name}”' if category else 'no category'}"
    return BULK_ACTIONS[name][0]


@require_POST
@dashboard_view("post.create")
def posts_bulk(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    chosen = (
        dashboard_posts(viewer=user)
        .defer(None)  # changing the category saves the whole post, text included
        .prefetch_related("coauthors")
        .order_by("title", "pk")
    )
    form = BulkActionForm(request.POST, actions=bulk_actions_for(user), posts=chosen)
    if not form.is_valid():
        ticked = [int(pk) for pk in request.POST.getlist("posts") if pk.isdigit()]
        return _bulk_answer(request, error=form.error_text(), selected=ticked)
    name: str = form.cleaned_data["action"]
    posts_chosen: list[Post] = list(form.cleaned_data["posts"])
    if name == "delete" and not form.cleaned_data["confirm"]:
        context = {
            "posts": posts_chosen,
            "bulk_url": _with_query("dashboard:posts_bulk", request),
            "list_url": _with_query("dashboard:posts", request),
        }
        return render_section(
            request, "dashboard/posts/bulk_confirm.html", "bulk-confirm", "posts", context
        )
    category = form.chosen_category
    result = bulk_apply(posts=posts_chosen, action=_bulk_action(user, name, category))
    report = BulkReport(
        _bulk_label(name, category),
        result.succeeded,
        [(post.title, reason) for post, reason in result.failed],
    )
    failed = [post.pk for post, _ in result.failed] if name != "delete" else []
    return _bulk_answer(request, report=report, selected=failed)


def _bulk_answer(
    request: HttpRequest,
    *,
    report: BulkReport | None = None,
    error: str = "",
    selected: Sequence[int] = (),
) -> HttpResponse:
    if wants_partial(request):
        context = _list_context(request, selected=selected, bulk_report=report, bulk_error=error)
        return render_page_or_partial(request, LIST_TEMPLATE, "post-results", context)
    if error:
        messages.error(request, error)
    if report is not None:
        if report.succeeded or not report.failures:
            messages.success(request, f"{report.label}: {report.succeeded} succeeded.")
        for title, reason in report.failures:
            messages.error(request, f"“{title}”: {reason}")
    return redirect(_with_query("dashboard:posts", request))


# --------------------------------------------------------------------------
# Revisions: list, compare, restore
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool


@dataclass(frozen=True)
class DiffLine:
    kind: Literal["same", "added", "removed", "gap"]
    old_no: int | None = None
    new_no: int | None = None
    segments: tuple[Segment, ...] = ()
    skipped: int = 0  # for a gap: how many unchanged lines are not shown


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def word_diff(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """The old and the new text as segments, the words that differ marked `changed`."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    before: list[Segment] = []
    after: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            same = "".join(a[i1:i2])
            before.append(Segment(same, False))
            after.append(Segment(same, False))
            continue
        if i2 > i1:
            before.append(Segment("".join(a[i1:i2]), True))
        if j2 > j1:
            after.append(Segment("".join(b[j1:j2]), True))
    return tuple(before), tuple(after)


def line_diff(old: str, new: str, context: int = 3) -> list[DiffLine]:
    """A unified diff of two texts: changed lines with `context` lines around them.

    Lines replaced one for one are compared word by word, so a fixed typo shows as
    that word and not as a whole new paragraph. Empty when the texts are equal.
    """
    a, b = old.splitlines(), new.splitlines()
    if a == b:
        return []
    lines: list[DiffLine] = []
    shown_to = 0  # old lines before this index are shown or reported as a gap
    for group in SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        if group[0][1] > shown_to:
            lines.append(DiffLine("gap", skipped=group[0][1] - shown_to))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(
                    DiffLine("same", i1 + k + 1, j1 + k + 1, (Segment(a[i1 + k], False),))
                    for k in range(i2 - i1)
                )
                continue
            pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            words = [word_diff(a[i1 + k], b[j1 + k]) for k in range(pairs)]
            lines.extend(
                DiffLine(
                    "removed",
                    old_no=i1 + k + 1,
                    segments=words[k][0] if k < pairs else (Segment(a[i1 + k], False),),
                )
                for k in range(i2 - i1)
            )
            lines.extend(
                DiffLine(
                    "added",
                    new_no=j1 + k + 1,
                    segments=words[k][1] if k < pairs else (Segment(b[j1 + k], False),),
                )
                for k in range(j2 - j1)
            )
        shown_to = group[-1][2]
    if shown_to < len(a):
        lines.append(DiffLine("gap", skipped=len(a) - shown_to))
    return lines


def _history_post(request: HttpRequest, pk: int) -> Post:
    user = actor(request)
    post = get_object_or_404(dashboard_posts(viewer=user).defer(None), pk=pk)
    if not can(user, "post.edit", post):
        raise PermissionDenied("Only the post’s author and editors can see its history.")
    return post


def _revision_context(request: HttpRequest, post: Post, **extra: Any) -> dict[str, Any]:
    revisions = post_revisions(post)
    page = Paginator(revisions, REVISIONS_PER_PAGE).get_page(request.GET.get("page"))
    newest = list(revisions.values_list("pk", flat=True)[:2])
    a, b = RevisionCompareForm(request.GET).chosen()
    b = b or (newest[0] if newest else None)
    a = a or (newest[1] if len(newest) > 1 else None)
    loaded = {
        revision.pk: revision
        for revision in revisions.defer(None).filter(
            pk__in=[pk for pk in (a, b, *newest[:1]) if pk]
        )
    }
    older, newer = loaded.get(a or 0), loaded.get(b or 0)
    if older and newer and (newer.created_at, newer.pk) < (older.created_at, older.pk):
        older, newer = newer, older
    latest = loaded.get(newest[0]) if newest else None
    current_pk = (
        latest.pk if latest and (latest.title, latest.body) == (post.title, post.body) else None
    )
    comparing = bool(older and newer and older.pk != newer.pk)
    return {
        "post": post,
        "page": page,
        "a": older.pk if older else None,
        "b": newer.pk if newer else None,
        "older": older if comparing else None,
        "newer": newer if comparing else None,
        "title_diff": word_diff(older.title, newer.title)
        if comparing and older and newer
        else None,
        "body_diff": line_diff(older.body, newer.body) if comparing and older and newer else [],
        "current_pk": current_pk,
        "restore_form": RestoreForm(initial={"version": post.version}),
        **extra,
    }


@require_GET
@never_cache
@dashboard_view("post.create")
def post_history(request: HttpRequest, pk: int) -> HttpResponse:
    post = _history_post(request, pk)
    return render_section(
        request, REVISIONS_TEMPLATE, "revision-panel", "posts", _revision_context(request, post)
    )


@require_POST
@dashboard_view("post.create")
def revision_restore(request: HttpRequest, pk: int, revision_pk: int) -> HttpResponse:
    user = actor(request)
    post = _history_post(request, pk)
    revision: Revision = get_object_or_404(post_revisions(post).defer(None), pk=revision_pk)
    form = RestoreForm(request.POST)
    based_on = form.cleaned_data["version"] if form.is_valid() else post.version
    notice, error = "", ""
    try:
        restore_revision(actor=user, post=post, revision=revision, based_on_version=based_on)
        notice = f"Restored the revision of {_when(revision)}. It is now the current text."
    except (ValidationError, PermissionDenied) as exc:  # EditConflictError is a ValidationError
        error = error_text(exc)
    if wants_partial(request):
        post = _history_post(request, pk)
        context = _revision_context(request, post, notice=notice, error=error)
        return render_page_or_partial(request, REVISIONS_TEMPLATE, "revision-panel", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect("dashboard:post_revisions", pk=pk)


def _when(revision: Revision) -> str:
    return date_format(timezone.localtime(revision.created_at), "M j, Y, H:i")
