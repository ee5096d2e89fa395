"""The posts table, its workflow buttons and bulk actions.

Parse → call a service → render. Every service checks permissions itself; the
pages only decide which buttons to show. Each post's revisions are in `views.revisions`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.blog.models import Category, Post
from apps.blog.selectors import dashboard_posts, post_authors, sees_every_post
from apps.blog.services import (
    Move,
    allowed_moves,
    apply_move,
    bulk_apply,
    delete_post,
    set_post_category,
)
from apps.core.htmx import HtmxRequest, render_page_or_partial, wants_partial
from apps.dashboard.forms.posts import (
    BULK_ACTIONS,
    SCOPE_ALL,
    SCOPE_MINE,
    BulkActionForm,
    PostFilterForm,
    bulk_actions_for,
)
from apps.dashboard.views.base import actor, dashboard_view, error_text, render_section

POSTS_PER_PAGE = 25
SELECT_HEADER = "X-Select-Rows"
LIST_TEMPLATE = "dashboard/posts/list.html"

# What each one-click move from a row tells the user once it is done ("send back" needs
# a note and "schedule" a time, so their buttons open the post editor instead).
ROW_NOTICES: dict[str, str | Promise] = {
    "submit": _("Submitted for review."),
    "unschedule": _("Unscheduled: back to draft."),
    "publish": _("Published."),
    "archive": _("Archived."),
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
COLUMNS: dict[str, tuple[str | Promise, str]] = {
    "title": (_("Title"), ""),
    "status": (_("Status"), ""),
    "author": (_("Author"), ""),
    "updated": (_("Updated"), "-"),
    "published": (_("Published"), "-"),
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
                str(label),
                key if descending else f"-{key}",
                "descending" if descending else "ascending",
            )
        else:
            columns[key] = SortColumn(key, str(label), f"{first}{key}", "")
    return columns


def _rows(user: User, posts: Iterable[Post], selected: Iterable[int] = ()) -> list[PostRow]:
    chosen = set(selected)
    return [
        PostRow(post, allowed_moves(user, post), can(user, "post.edit", post), post.pk in chosen)
        for post in posts
    ]


def _list_context(
    request: HtmxRequest, *, selected: Iterable[int] = (), select_page: bool = False, **extra: Any
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


def _with_query(url_name: str, request: HtmxRequest) -> str:
    """`url_name` with the table's filters, sort and page, carried through a POST and back."""
    query = request.GET.urlencode()
    return reverse(url_name) + (f"?{query}" if query else "")


@require_safe
@never_cache
@dashboard_view("post.create")
def post_list(request: HtmxRequest) -> HttpResponse:
    # The "select the whole page" checkbox asks in a header, not the query: the links the
    # page renders (sort, pages, scope) keep the query and must not tick every row.
    select_page = request.headers.get(SELECT_HEADER) == "page"
    context = _list_context(request, select_page=select_page)
    return render_section(request, LIST_TEMPLATE, "post-results", "posts", context)


def _render_row(request: HtmxRequest, pk: int, **extra: Any) -> HttpResponse:
    user = actor(request)
    _load_roles(user)
    post = get_object_or_404(dashboard_posts(viewer=user), pk=pk)
    context = {"row": _rows(user, [post])[0], "list_url": _safe_next(request), **extra}
    return render_page_or_partial(request, LIST_TEMPLATE, "post-row", context)


def _safe_next(request: HtmxRequest) -> str:
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
def post_row_move(request: HtmxRequest, pk: int, move: str) -> HttpResponse:
    if move not in ROW_NOTICES:
        raise Http404("No such move.")
    user = actor(request)
    post = get_object_or_404(dashboard_posts(viewer=user), pk=pk)
    done = str(ROW_NOTICES[move])
    error = ""
    try:
        apply_move(actor=user, post=post, move=move)
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


def _bulk_action(
    user: User, name: str, category: Category | None, *, with_translations: bool = False
) -> Callable[[Post], object]:
    def delete(post: Post) -> object:
        delete_post(actor=user, post=post, with_translations=with_translations)
        return None

    def recategorise(post: Post) -> object:
        return set_post_category(
            actor=user, post=post, category=category, based_on_version=post.version
        )

    def move(post: Post) -> object:  # publish, archive
        return apply_move(actor=user, post=post, move=name)

    return {"delete": delete, "category": recategorise}.get(name, move)


def _bulk_label(name: str, category: Category | None) -> str:
    if name == "category":
        if category is None:
            return gettext("Move to no category")
        return gettext("Move to “%(category)s”") % {"category": category.name}
    return str(BULK_ACTIONS[name][0])


@require_POST
@dashboard_view("post.create")
def posts_bulk(request: HtmxRequest) -> HttpResponse:
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
    with_translations = request.POST.get("translations") == "delete"
    if name == "delete" and not form.cleaned_data["confirm"]:
        translated = Post.objects.filter(translation_of__in=posts_chosen).values("translation_of")
        context = {
            "posts": posts_chosen,
            # Originals with translations: the page asks what happens to those.
            "with_translations": [
                p for p in posts_chosen if p.pk in {row["translation_of"] for row in translated}
            ],
            "bulk_url": _with_query("dashboard:posts_bulk", request),
            "list_url": _with_query("dashboard:posts", request),
        }
        return render_section(
            request, "dashboard/posts/bulk_confirm.html", "bulk-confirm", "posts", context
        )
    category = form.chosen_category
    result = bulk_apply(
        posts=posts_chosen,
        action=_bulk_action(user, name, category, with_translations=with_translations),
    )
    report = BulkReport(
        _bulk_label(name, category),
        result.succeeded,
        [(post.title, reason) for post, reason in result.failed],
    )
    failed = [post.pk for post, _ in result.failed] if name != "delete" else []
    return _bulk_answer(request, report=report, selected=failed)


def _bulk_answer(
    request: HtmxRequest,
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
            messages.success(
                request,
                ngettext(
                    "%(action)s: %(count)s succeeded.",
                    "%(action)s: %(count)s succeeded.",
                    report.succeeded,
                )
                % {"action": report.label, "count": report.succeeded},
            )
        for title, reason in report.failures:
            messages.error(request, f"“{title}”: {reason}")
    return redirect(_with_query("dashboard:posts", request))
