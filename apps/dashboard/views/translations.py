"""A post's translations: every site language with its version's state, starting a
translation, and what changed in the source since a translation was last updated.

Parse → call → render: `translation_table`, `create_translation`, `changes_since_translated`
and `mark_translation_current` (apps.blog.services.translations) do the work.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from apps.accounts.permissions import can
from apps.blog.models import Post
from apps.blog.selectors import dashboard_posts
from apps.blog.services import (
    changes_since_translated,
    create_translation,
    mark_translation_current,
    translation_table,
)
from apps.blog.services.posts import language_name
from apps.blog.services.translations import may_write_in
from apps.core.htmx import HtmxRequest
from apps.dashboard.views.base import actor, dashboard_view, error_text, render_section

TEMPLATE = "dashboard/translations/index.html"
CHANGES_TEMPLATE = "dashboard/translations/changes.html"


def _post(request: HtmxRequest, pk: int) -> Post:
    user = actor(request)
    post = get_object_or_404(dashboard_posts(viewer=user).defer(None), pk=pk)
    if not can(user, "post.edit", post) and not can(user, "post.create"):
        raise PermissionDenied(gettext("You cannot see this post’s translations."))
    return post


@require_safe
@never_cache
@dashboard_view("post.create")
def post_translations(request: HtmxRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    user = actor(request)
    rows = [
        {
            "row": row,
            "may_translate": row.post is None and may_write_in(user, row.language),
            "may_edit": row.post is not None and can(user, "post.edit", row.post),
        }
        for row in translation_table(post)
    ]
    source = next((row.post for row in translation_table(post) if row.is_source), None) or post
    context = {"post": post, "source": source, "rows": rows}
    return render_section(request, TEMPLATE, "translations-panel", "posts", context)


@require_POST
@dashboard_view("post.create")
def translation_create(request: HtmxRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    language = request.POST.get("language", "")
    try:
        translation = create_translation(actor=actor(request), source=post, language=language)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return redirect("dashboard:post_translations", pk=pk)
    messages.success(
        request,
        gettext("Started the %(language)s translation: a draft copy of the original.")
        % {"language": language_name(language)},
    )
    return redirect("dashboard:post_edit", pk=translation.pk)


@require_safe
@never_cache
@dashboard_view("post.create")
def translation_changes(request: HtmxRequest, pk: int) -> HttpResponse:
    translation = _post(request, pk)
    if translation.translation_of_id is None:
        return redirect("dashboard:post_translations", pk=pk)
    context = {
        "post": translation,
        "source": translation.translation_of,
        "diff": changes_since_translated(translation),
        "language": language_name(translation.language),
    }
    return render_section(request, CHANGES_TEMPLATE, "changes-panel", "posts", context)


@require_POST
@dashboard_view("post.create")
def translation_mark_current(request: HtmxRequest, pk: int) -> HttpResponse:
    translation = _post(request, pk)
    try:
        mark_translation_current(actor=actor(request), translation=translation)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, gettext("Marked as up to date with the original."))
    return redirect("dashboard:post_translations", pk=translation.source_id)
