"""Categories and tags: list with post counts, create, rename inline, delete, merge.

Parse → call apps.blog.services → render. The services check "taxonomy.manage"
themselves; the decorator keeps everyone else off the pages.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.blog.selectors import categories_with_post_counts, tags_with_post_counts
from apps.blog.services import delete_category, merge_tags, save_category, save_tag
from apps.core.htmx import HtmxRequest, render_page_or_partial, wants_partial
from apps.dashboard.forms.posts import CategoryForm, TagFilterForm, TagForm, TagMergeForm
from apps.dashboard.views.base import actor, dashboard_view, error_text, render_section

TAGS_PER_PAGE = 50
CATEGORIES_TEMPLATE = "dashboard/taxonomy/categories.html"
TAGS_TEMPLATE = "dashboard/taxonomy/tags.html"


def _with_query(url_name: str, request: HtmxRequest) -> str:
    query = request.GET.urlencode()
    return reverse(url_name) + (f"?{query}" if query else "")


# --------------------------------------------------------------------------
# Categories
# --------------------------------------------------------------------------


def _category_context(*, create_form: CategoryForm | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "categories": categories_with_post_counts(),
        "create_form": create_form
        if create_form is not None
        else CategoryForm(auto_id="new-category-%s"),
        **extra,
    }


def _category_answer(request: HtmxRequest, *, notice: str = "", **extra: Any) -> HttpResponse:
    """After a write: the list region for htmx, else back to the page with a message."""
    if wants_partial(request):
        context = _category_context(notice=notice, **extra)
        return render_page_or_partial(request, CATEGORIES_TEMPLATE, "category-panel", context)
    if notice:
        messages.success(request, notice)
    return redirect("dashboard:categories")


@require_safe
@never_cache
@dashboard_view("taxonomy.manage")
def categories(request: HtmxRequest) -> HttpResponse:
    return render_section(
        request, CATEGORIES_TEMPLATE, "category-panel", "categories", _category_context()
    )


@require_POST
@dashboard_view("taxonomy.manage")
def category_create(request: HtmxRequest) -> HttpResponse:
    form = CategoryForm(request.POST, auto_id="new-category-%s")
    if form.is_valid():
        try:
            category = save_category(actor=actor(request), **form.saved())
        except (ValidationError, PermissionDenied) as exc:
            _form_error(form, exc)
        else:
            return _category_answer(
                request,
                notice=gettext("Added the category “%(name)s”.") % {"name": category.name},
            )
    return render_section(
        request,
        CATEGORIES_TEMPLATE,
        "category-panel",
        "categories",
        _category_context(create_form=form),
    )


def _form_error(form: CategoryForm, exc: ValidationError | PermissionDenied) -> None:
    if isinstance(exc, ValidationError):
        form.add_service_error(exc)
    else:
        form.add_error(None, error_text(exc))


def _category_row(request: HtmxRequest, pk: int, **extra: Any) -> HttpResponse:
    row = get_object_or_404(categories_with_post_counts(), pk=pk)
    context = {"row": row, "open_pk": pk, **extra}
    if wants_partial(request):
        return render_page_or_partial(request, CATEGORIES_TEMPLATE, "category-row", context)
    # Without JavaScript the whole page shows, with this row open for editing or confirming.
    return render_section(
        request,
        CATEGORIES_TEMPLATE,
        "category-panel",
        "categories",
        _category_context(**context),
    )


@require_safe
@never_cache
@dashboard_view("taxonomy.manage")
def category_row(request: HtmxRequest, pk: int) -> HttpResponse:
    if not wants_partial(request):
        return redirect("dashboard:categories")
    return _category_row(request, pk)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@dashboard_view("taxonomy.manage")
def category_edit(request: HtmxRequest, pk: int) -> HttpResponse:
    """GET opens the row for renaming; POST saves the new name and description."""
    category = get_object_or_404(categories_with_post_counts(), pk=pk)
    prefix = f"category-{pk}"
    if request.method != "POST":  # GET or HEAD: show, never act
        form = CategoryForm(
            initial={"name": category.name, "description": category.description},
            prefix=prefix,
            item=category,
        )
        return _category_row(request, pk, editing=True, form=form)
    form = CategoryForm(request.POST, prefix=prefix, item=category)
    if form.is_valid():
        try:
            save_category(actor=actor(request), category=category, **form.saved())
        except (ValidationError, PermissionDenied) as exc:
            _form_error(form, exc)
        else:
            if wants_partial(request):
                return _category_row(request, pk, row_notice=gettext("Saved."))
            messages.success(
                request,
                gettext("Saved the category “%(name)s”.") % {"name": form.cleaned_data["name"]},
            )
            return redirect("dashboard:categories")
    return _category_row(request, pk, editing=True, form=form)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@dashboard_view("taxonomy.manage")
def category_delete(request: HtmxRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes (its posts stay, without a category)."""
    category = get_object_or_404(categories_with_post_counts(), pk=pk)
    if request.method != "POST":  # GET or HEAD: show, never act
        return _category_row(request, pk, confirming=True)
    name, count = category.name, int(getattr(category, "post_count", 0))  # the annotation
    try:
        delete_category(actor=actor(request), category=category)
    except (ValidationError, PermissionDenied) as exc:
        return _category_row(request, pk, row_error=error_text(exc))
    if count:
        notice = ngettext(
            "Deleted the category “%(name)s”. Its %(count)s post now has no category.",
            "Deleted the category “%(name)s”. Its %(count)s posts now have no category.",
            count,
        ) % {"name": name, "count": count}
    else:
        notice = gettext("Deleted the category “%(name)s”.") % {"name": name}
    return _category_answer(request, notice=notice)


# --------------------------------------------------------------------------
# Tags
# --------------------------------------------------------------------------


def _tag_context(
    request: HtmxRequest,
    *,
    create_form: TagForm | None = None,
    merge_form: TagMergeForm | None = None,
    **extra: Any,
) -> dict[str, Any]:
    filters = TagFilterForm(request.GET)
    page = Paginator(tags_with_post_counts(filters.search()), TAGS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return {
        "filter_form": filters,
        "page": page,
        "create_form": create_form if create_form is not None else TagForm(auto_id="new-tag-%s"),
        "merge_form": merge_form if merge_form is not None else TagMergeForm(auto_id="merge-%s"),
        "create_url": _with_query("dashboard:tag_create", request),
        "merge_url": _with_query("dashboard:tags_merge", request),
        **extra,
    }


def _tag_answer(request: HtmxRequest, *, notice: str = "", **extra: Any) -> HttpResponse:
    if wants_partial(request):
        context = _tag_context(request, notice=notice, **extra)
        return render_page_or_partial(request, TAGS_TEMPLATE, "tag-panel", context)
    if notice:
        messages.success(request, notice)
    return redirect(_with_query("dashboard:tags", request))


@require_safe
@never_cache
@dashboard_view("taxonomy.manage")
def tags(request: HtmxRequest) -> HttpResponse:
    return render_section(request, TAGS_TEMPLATE, "tag-panel", "tags", _tag_context(request))


@require_POST
@dashboard_view("taxonomy.manage")
def tag_create(request: HtmxRequest) -> HttpResponse:
    form = TagForm(request.POST, auto_id="new-tag-%s")
    if form.is_valid():
        try:
            tag = save_tag(actor=actor(request), **form.saved())
        except (ValidationError, PermissionDenied) as exc:
            _form_error(form, exc)
        else:
            return _tag_answer(
                request, notice=gettext("Added the tag “%(name)s”.") % {"name": tag.name}
            )
    return render_section(
        request, TAGS_TEMPLATE, "tag-panel", "tags", _tag_context(request, create_form=form)
    )


def _tag_row(request: HtmxRequest, pk: int, **extra: Any) -> HttpResponse:
    row = get_object_or_404(tags_with_post_counts(), pk=pk)
    context = {"row": row, "open_pk": pk, **extra}
    if wants_partial(request):
        return render_page_or_partial(request, TAGS_TEMPLATE, "tag-row", context)
    return render_section(
        request, TAGS_TEMPLATE, "tag-panel", "tags", _tag_context(request, **context)
    )


@require_safe
@never_cache
@dashboard_view("taxonomy.manage")
def tag_row(request: HtmxRequest, pk: int) -> HttpResponse:
    if not wants_partial(request):
        return redirect("dashboard:tags")
    return _tag_row(request, pk)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@dashboard_view("taxonomy.manage")
def tag_edit(request: HtmxRequest, pk: int) -> HttpResponse:
    """GET opens the row for renaming; POST saves the new name and description."""
    tag = get_object_or_404(tags_with_post_counts(), pk=pk)
    prefix = f"tag-{pk}"
    if request.method != "POST":  # GET or HEAD: show, never act
        form = TagForm(
            initial={"name": tag.name, "description": tag.description}, prefix=prefix, item=tag
        )
        return _tag_row(request, pk, editing=True, form=form)
    form = TagForm(request.POST, prefix=prefix, item=tag)
    if form.is_valid():
        try:
            save_tag(actor=actor(request), tag=tag, **form.saved())
        except (ValidationError, PermissionDenied) as exc:
            _form_error(form, exc)
        else:
            if wants_partial(request):
                return _tag_row(request, pk, row_notice=gettext("Saved."))
            messages.success(
                request,
                gettext("Saved the tag “%(name)s”.") % {"name": form.cleaned_data["name"]},
            )
            return redirect(_with_query("dashboard:tags", request))
    return _tag_row(request, pk, editing=True, form=form)


@require_POST
@dashboard_view("taxonomy.manage")
def tags_merge(request: HtmxRequest) -> HttpResponse:
    form = TagMergeForm(request.POST, auto_id="merge-%s")
    error = ""
    if form.is_valid():
        sources = list(form.cleaned_data["sources"])
        target = form.cleaned_data["target"]
        merged = [tag.name for tag in sources if tag.pk != target.pk]
        try:
            moved = merge_tags(actor=actor(request), sources=sources, target=target)
        except (ValidationError, PermissionDenied) as exc:
            error = error_text(exc)
        else:
            names = ", ".join(f"“{name}”" for name in merged)
            notice = ngettext(
                "Merged %(tags)s into “%(target)s”: %(count)s post moved.",
                "Merged %(tags)s into “%(target)s”: %(count)s posts moved.",
                moved,
            ) % {"tags": names, "target": target.name, "count": moved}
            return _tag_answer(request, notice=notice)
    else:
        error = form.error_text()
    if wants_partial(request):
        ticked = [int(pk) for pk in request.POST.getlist("sources") if pk.isdigit()]
        return _tag_answer(request, merge_error=error, merge_form=form, ticked=ticked)
    messages.error(request, error)
    return redirect(_with_query("dashboard:tags", request))
