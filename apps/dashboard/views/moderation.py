"""The comment moderation queue, its row and bulk actions, the settings, and comments per post.

Parse → call a service → render. Which buttons a comment gets comes from the services'
action table (`comments.services.moderation.ACTIONS`, via `allowed_actions`). The services
check `comment.moderate` themselves; the `dashboard_view` gate only keeps other roles off
the pages. Every action answers with the
queue's results region (htmx) or a redirect back to the queue with messages, so a moderated
comment leaves its tab at once and the tab counts stay right.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import unescape
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.accounts.models import User
from apps.blog.models import Post
from apps.comments.models import Comment, ModerationSettings
from apps.comments.selectors.moderation import (
    moderation_counts,
    moderation_queue,
    post_for_moderation,
    posts_comment_states,
)
from apps.comments.selectors.threads import moderation_settings
from apps.comments.services.moderation import (
    ACTIONS,
    BulkModerationResult,
    allowed_actions,
    bulk_moderate,
    set_comments_open,
    update_moderation_settings,
)
from apps.core.htmx import render_page_or_partial, wants_partial
from apps.dashboard.forms.moderation import (
    VIEW_LABELS,
    BulkModerationForm,
    CommentsOpenForm,
    ModerationSettingsForm,
    QueueFilterForm,
)
from apps.dashboard.views.base import actor, dashboard_view, error_text, render_section

COMMENTS_PER_PAGE = 25
POSTS_PER_PAGE = 25
EXCERPT_LENGTH = 280
SELECT_HEADER = "X-Select-Rows"
QUEUE_TEMPLATE = "dashboard/moderation/queue.html"
SETTINGS_TEMPLATE = "dashboard/moderation/settings.html"
POSTS_TEMPLATE = "dashboard/moderation/posts.html"
SECTION = "moderation"


def _load_roles(user: User) -> None:
    # `can` asks for the user's groups on every call; one prefetch keeps the page constant.
    prefetch_related_objects([user], "groups")


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    count: int
    url: str
    current: bool


@dataclass(frozen=True)
class QueueRow:
    comment: Comment
    actions: list[tuple[str, str]]  # (action, button label)
    selected: bool = False

    @property
    def excerpt(self) -> str:
        """The comment as plain text, shortened: the queue shows words, never markup."""
        text = " ".join(unescape(strip_tags(self.comment.body_html)).split())
        return Truncator(text).chars(EXCERPT_LENGTH)


@dataclass(frozen=True)
class ModerationReport:
    label: str
    succeeded: int
    failures: list[tuple[str, str]] = field(default_factory=list)  # (which comment, reason)


def _row_actions(comment: Comment, view: str) -> list[tuple[str, str]]:
    # Reports are dismissed from the reported view only; elsewhere the row is about status.
    return [
        (action.name, str(action.label))
        for action in allowed_actions(comment)
        if view == "reported" or not action.reported_only
    ]


def _rows(comments: Iterable[Comment], view: str, selected: Iterable[int] = ()) -> list[QueueRow]:
    chosen = set(selected)
    return [QueueRow(c, _row_actions(c, view), c.pk in chosen) for c in comments]


def _with_query(url_name: str, request: HttpRequest, *args: Any) -> str:
    """`url_name` with the queue's tab, filters and page, carried through a POST and back."""
    query = request.GET.urlencode()
    return reverse(url_name, args=args) + (f"?{query}" if query else "")


def _tabs(request: HttpRequest, current: str, counts: Mapping[str, int]) -> list[Tab]:
    query = request.GET.copy()
    query.pop("page", None)
    tabs = []
    for key, label in VIEW_LABELS.items():
        query["view"] = key
        url = f"{reverse('dashboard:moderation')}?{query.urlencode()}"
        tabs.append(Tab(key, str(label), counts[key], url, key == current))
    return tabs


def _queue_context(
    request: HttpRequest, *, selected: Iterable[int] = (), select_page: bool = False, **extra: Any
) -> dict[str, Any]:
    _load_roles(actor(request))
    form = QueueFilterForm(request.GET)
    filters = form.filters()
    view, post_id = filters["view"], filters["post_id"]
    paginator = Paginator(moderation_queue(**filters), COMMENTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    if select_page:
        selected = [comment.pk for comment in page.object_list]
    chosen = set(selected)
    return {
        "form": form,
        "view": view,
        "view_label": VIEW_LABELS[view],
        "page": page,
        "rows": _rows(page.object_list, view, chosen),
        "tabs": _tabs(request, view, moderation_counts(post_id=post_id)),
        "filter_post": post_for_moderation(post_id) if post_id else None,
        "all_selected": bool(page.object_list) and all(c.pk in chosen for c in page.object_list),
        "bulk_form": BulkModerationForm(view=view),
        "bulk_url": _with_query("dashboard:moderation_bulk", request),
        "list_url": _with_query("dashboard:moderation", request),
        "query": request.GET.urlencode(),
        **extra,
    }


@require_safe
@never_cache
@dashboard_view("comment.moderate")
def moderation(request: HttpRequest) -> HttpResponse:
    # As on the posts table, "select the whole page" asks in a header so links keep clean URLs.
    select_page = request.headers.get(SELECT_HEADER) == "page"
    context = _queue_context(request, select_page=select_page)
    return render_section(request, QUEUE_TEMPLATE, "moderation-results", SECTION, context)


def _describe(comment_ids: Sequence[int]) -> dict[int, str]:
    """A short name for each comment a report mentions ("Comment 12 by Ana on “Post”")."""
    found = Comment.objects.select_related("author").only(
        "id", "guest_name", "author__username", "author__display_name"
    )
    names = {}
    for pk, comment in found.in_bulk(comment_ids).items():
        who = (
            comment.author.name
            if comment.author
            else (
                gettext("%(name)s (guest)") % {"name": comment.guest_name}
                if comment.guest_name
                else gettext("a deleted account")
            )
        )
        names[pk] = gettext("Comment %(id)s by %(name)s") % {"id": pk, "name": who}
    return {pk: names.get(pk, gettext("Comment %(id)s") % {"id": pk}) for pk in comment_ids}


def _report(action: str, result: BulkModerationResult) -> ModerationReport:
    names = _describe(list(result.failed)) if result.failed else {}
    return ModerationReport(
        str(ACTIONS[action].done),
        len(result.done),
        [(names[pk], reason) for pk, reason in result.failed.items()],
    )


def _answer(
    request: HttpRequest,
    *,
    report: ModerationReport | None = None,
    error: str = "",
    selected: Sequence[int] = (),
) -> HttpResponse:
    if wants_partial(request):
        context = _queue_context(request, selected=selected, report=report, bulk_error=error)
        return render_page_or_partial(request, QUEUE_TEMPLATE, "moderation-results", context)
    if error:
        messages.error(request, error)
    if report is not None:
        if report.succeeded or not report.failures:
            messages.success(
                request,
                ngettext(
                    "%(action)s: %(count)s comment(s).",
                    "%(action)s: %(count)s comment(s).",
                    report.succeeded,
                )
                % {"action": report.label, "count": report.succeeded},
            )
        for name, reason in report.failures:
            messages.error(request, f"{name}: {reason}")
    return redirect(_with_query("dashboard:moderation", request))


@require_POST
@dashboard_view("comment.moderate")
def moderation_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("No such moderation action.")
    result = bulk_moderate(actor=actor(request), comment_ids=[pk], action=action)
    return _answer(request, report=_report(action, result))


@require_POST
@dashboard_view("comment.moderate")
def moderation_bulk(request: HttpRequest) -> HttpResponse:
    view = QueueFilterForm(request.GET).filters()["view"]
    form = BulkModerationForm(request.POST, view=view)
    if not form.is_valid():
        ticked = [int(pk) for pk in request.POST.getlist("comments") if pk.isdigit()]
        return _answer(request, error=form.error_text(), selected=ticked)
    action: str = form.cleaned_data["action"]
    result = bulk_moderate(
        actor=actor(request), comment_ids=form.cleaned_data["comments"], action=action
    )
    # The comments that failed stay ticked, so they can be dealt with another way.
    failed = list(result.failed) if action != "delete" else []
    return _answer(request, report=_report(action, result), selected=failed)


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@dashboard_view("comment.moderate")
def moderation_settings_page(request: HttpRequest) -> HttpResponse:
    rules = moderation_settings()
    notice = ""
    if request.method == "POST":
        form = ModerationSettingsForm(request.POST)
        if form.is_valid():
            try:
                rules = update_moderation_settings(actor=actor(request), **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                notice = gettext(
                    "Moderation settings saved. They apply to new comments from now on."
                )
                if not wants_partial(request):
                    messages.success(request, notice)
                    return redirect("dashboard:moderation_settings")
                form = _settings_form(rules)
    else:
        form = _settings_form(rules)
    context = {"form": form, "rules": rules, "notice": notice}
    return render_section(request, SETTINGS_TEMPLATE, "settings-form", SECTION, context)


def _settings_form(rules: ModerationSettings) -> ModerationSettingsForm:
    return ModerationSettingsForm(
        initial={"hold": rules.hold, "max_links": rules.max_links, "blocklist": rules.blocklist}
    )


# --------------------------------------------------------------------------
# Comments open or closed, per post
# --------------------------------------------------------------------------


def _posts_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    q = request.GET.get("q", "").strip()[:200]
    page = Paginator(posts_comment_states(q=q), POSTS_PER_PAGE).get_page(request.GET.get("page"))
    return {"page": page, "q": q, "query": request.GET.urlencode(), **extra}


@require_safe
@never_cache
@dashboard_view("comment.moderate")
def moderation_posts(request: HttpRequest) -> HttpResponse:
    return render_section(
        request, POSTS_TEMPLATE, "post-comment-results", SECTION, _posts_context(request)
    )


@require_POST
@dashboard_view("comment.moderate")
def moderation_post_comments(request: HttpRequest, pk: int) -> HttpResponse:
    post = post_for_moderation(pk)
    if post is None:
        raise Http404("No such post.")
    form = CommentsOpenForm(request.POST)
    error = notice = ""
    if form.is_valid():
        is_open: bool = form.cleaned_data["open"]
        try:
            set_comments_open(actor=actor(request), post=post, is_open=is_open)
        except (ValidationError, PermissionDenied) as exc:
            error = error_text(exc)
        else:
            notice = (
                gettext("Comments are open on “%(title)s”.")
                if is_open
                else gettext(
                    "Comments are closed on “%(title)s”: readers can read them but not add any."
                )
            ) % {"title": post.title}
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    from_queue = request.POST.get("from") == "queue"
    if wants_partial(request):
        if from_queue:
            context = _queue_context(request, post_notice=notice, bulk_error=error)
            return render_page_or_partial(request, QUEUE_TEMPLATE, "moderation-results", context)
        row = _post_row(pk)
        context = {"row": row, "row_notice": notice, "row_error": error, "query": ""}
        return render_page_or_partial(request, POSTS_TEMPLATE, "post-comment-row", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    if from_queue:
        return redirect(_with_query("dashboard:moderation", request))
    return redirect(_with_query("dashboard:moderation_posts", request))


def _post_row(pk: int) -> Post:
    row = posts_comment_states().filter(pk=pk).first()
    if row is None:
        # A post that is not published (the queue may filter on any post): no counts to show.
        raise Http404("No such published post.")
    return row
