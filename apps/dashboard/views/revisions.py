"""Each post's revisions: the list, two of them compared, and restoring one.

Parse → call → render: `revision_diff` compares, `restore_revision` writes the new version.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from apps.accounts.permissions import can
from apps.blog.models import Post, Revision
from apps.blog.selectors import dashboard_posts, post_revisions, revision_diff
from apps.blog.services import restore_revision
from apps.core.htmx import HtmxRequest, render_page_or_partial, wants_partial
from apps.dashboard.forms.posts import RestoreForm, RevisionCompareForm
from apps.dashboard.views.base import actor, dashboard_view, error_text, render_section

REVISIONS_PER_PAGE = 50
REVISIONS_TEMPLATE = "dashboard/posts/revisions.html"


def _history_post(request: HtmxRequest, pk: int) -> Post:
    user = actor(request)
    post = get_object_or_404(dashboard_posts(viewer=user).defer(None), pk=pk)
    if not can(user, "post.edit", post):
        raise PermissionDenied(gettext("Only the post’s author and editors can see its history."))
    return post


def _revision_context(request: HtmxRequest, post: Post, **extra: Any) -> dict[str, Any]:
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
        "diff": revision_diff(older=older, newer=newer) if comparing and older and newer else None,
        "current_pk": current_pk,
        "restore_form": RestoreForm(initial={"version": post.version}),
        **extra,
    }


@require_safe
@never_cache
@dashboard_view("post.create")
def post_history(request: HtmxRequest, pk: int) -> HttpResponse:
    post = _history_post(request, pk)
    return render_section(
        request, REVISIONS_TEMPLATE, "revision-panel", "posts", _revision_context(request, post)
    )


@require_POST
@dashboard_view("post.create")
def revision_restore(request: HtmxRequest, pk: int, revision_pk: int) -> HttpResponse:
    user = actor(request)
    post = _history_post(request, pk)
    revision: Revision = get_object_or_404(post_revisions(post).defer(None), pk=revision_pk)
    form = RestoreForm(request.POST)
    based_on = form.cleaned_data["version"] if form.is_valid() else post.version
    notice, error = "", ""
    try:
        restore_revision(actor=user, post=post, revision=revision, based_on_version=based_on)
        notice = gettext("Restored the revision of %(when)s. It is now the current text.") % {
            "when": _when(revision)
        }
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
    # Translators: Django's date filter syntax, e.g. "Mar 5, 2025, 14:30".
    return date_format(timezone.localtime(revision.created_at), gettext("M j, Y, H:i"))
