"""The post editor: write, preview, autosave, insert images.

Parse → call a service → render. `save_post_draft` does the saving (tags, address, cover)
and checks permissions itself; the page only decides which controls to show. The saves
answer in two ways: editor.js posts them with `fetch` and swaps the HTML it gets back
(200 saved, 409 conflict, 422 invalid), and without JavaScript the form is an ordinary
POST. The workflow and preview-link panels are in `views.publishing`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from apps.accounts.permissions import can
from apps.blog.models import Post
from apps.blog.selectors import post_differences, post_revisions
from apps.blog.services import (
    EditConflictError,
    has_public_address,
    markdown_for,
    save_post_draft,
    upload_post_image,
)
from apps.blog.services.posts import MAX_BODY_CHARS
from apps.core.htmx import HtmxRequest, render_page_or_partial, wants_partial
from apps.core.markdown import markdown_to_safe_html
from apps.dashboard.forms.editor import ImageUploadForm, PostEditorForm, PreviewForm
from apps.dashboard.views.analytics import post_figures
from apps.dashboard.views.base import actor, dashboard_view, error_text, layout_context
from apps.dashboard.views.publishing import (
    editable_post,
    flat_errors,
    links_context,
    workflow_context,
)

TEMPLATE = "dashboard/editor/editor.html"
# Session key: a new post page's draft key → the post its first save created.
DRAFTS_SESSION_KEY = "editor_drafts"
REMEMBERED_DRAFTS = 20
# Services name some fields differently from the editor form.
FORM_FIELD_FOR = {"image": "cover_image", "name": "new_tags"}


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _urls(post: Post | None) -> dict[str, str]:
    if post is None:
        return {
            "save": reverse("dashboard:post_new"),
            "autosave": reverse("dashboard:post_autosave_new"),
            "upload": reverse("dashboard:post_image_new"),
            "edit": "",
        }
    edit = reverse("dashboard:post_edit", args=[post.pk])
    return {
        "save": edit,
        "autosave": reverse("dashboard:post_autosave", args=[post.pk]),
        "upload": reverse("dashboard:post_image", args=[post.pk]),
        "edit": edit,
    }


def _add_service_errors(form: PostEditorForm, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.message_dict.items():
        field = FORM_FIELD_FOR.get(name, name)
        form.add_error(field if field in form.fields else None, errors)


def _error_list(form: PostEditorForm) -> list[str]:
    labels = {name: field.label or name.capitalize() for name, field in form.fields.items()}
    return [
        str(message)
        if name == "__all__"
        else gettext("%(field)s: %(error)s") % {"field": labels.get(name, name), "error": message}
        for name, errors in form.errors.items()
        for message in errors
    ]


def _remembered_draft(request: HtmxRequest, key: str) -> Post | None:
    pk = request.session.get(DRAFTS_SESSION_KEY, {}).get(key) if key else None
    return Post.objects.select_related("author", "category").filter(pk=pk).first() if pk else None


def _remember_draft(request: HtmxRequest, key: str, post: Post) -> None:
    if not key:
        return
    drafts = dict(request.session.get(DRAFTS_SESSION_KEY, {}))
    drafts[key] = post.pk
    request.session[DRAFTS_SESSION_KEY] = dict(list(drafts.items())[-REMEMBERED_DRAFTS:])


# --------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------


@dataclass
class SaveResult:
    post: Post | None
    saved: bool = False
    created: bool = False
    conflict: EditConflictError | None = None
    warning: str = ""


def _save(request: HtmxRequest, form: PostEditorForm, post: Post | None) -> SaveResult:
    """Save a valid form through the service; its refusals land on the form."""
    try:
        result = save_post_draft(
            actor=actor(request),
            post=post,
            content=form.content(),
            # A first save retried after a lost response continues the post it already made.
            based_on_version=form.based_on_version if form.post is not None else 1,
            new_tag_names=form.new_tag_names,
            cover=form.cover_upload if not form.autosave else None,
            remove_cover=form.removes_cover if not form.autosave else False,
            autosave=form.autosave,
        )
    except EditConflictError as exc:
        return SaveResult(post, conflict=exc)
    except ValidationError as exc:
        _add_service_errors(form, exc)
        return SaveResult(post)
    if form.post is None:
        _remember_draft(request, form.cleaned_data.get("draft_key", ""), result.post)
    return SaveResult(result.post, saved=True, created=form.post is None, warning=result.slug_note)


def _conflict_context(exc: EditConflictError, form: PostEditorForm) -> dict[str, Any]:
    theirs = exc.post
    last = post_revisions(theirs).first()
    return {
        "conflict": {
            "theirs": theirs,
            "version": theirs.version,
            "based_on": exc.based_on,
            "saved_by": last.author.name if last and last.author else gettext("Someone"),
            "saved_at": theirs.updated_at,
            "differences": post_differences(
                post=theirs, content=form.content(), new_tag_names=form.new_tag_names
            ),
        }
    }


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------


def _form_context(
    request: HtmxRequest, post: Post | None, form: PostEditorForm, **extra: Any
) -> dict[str, Any]:
    body = form["body"].value() or ""
    return {
        "post": post,
        "form": form,
        "urls": _urls(post),
        "url_prefix": request.build_absolute_uri(
            reverse("blog:post_detail", kwargs={"slug": "slug"})
        ).removesuffix("slug/"),
        "public_address": has_public_address(post),
        "server_saved_ms": int(post.updated_at.timestamp() * 1000) if post else 0,
        "preview_title": form["title"].value() or "",
        "preview_excerpt": form["excerpt"].value() or "",
        "preview_html": markdown_to_safe_html(body) if len(body) <= MAX_BODY_CHARS else "",
        **extra,
    }


def _render_editor(
    request: HtmxRequest,
    post: Post | None,
    form: PostEditorForm,
    *,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    """The whole editor page, or the form region and its settings for editor.js's saves."""
    context = _form_context(request, post, form, **extra)
    if not wants_partial(request):
        # The layout, the menu and the workflow buttons each ask for the user's role.
        prefetch_related_objects([actor(request)], "groups")
        context |= {
            **layout_context(request, "posts"),
            "workflow": workflow_context(request, post),
            "preview_links": links_context(request, post),
            # Its readers, last 30 days (two queries, only once the post has been published).
            "post_figures": post_figures(post) if post is not None else None,
        }
    return render_page_or_partial(request, TEMPLATE, "editor-save-response", context, status=status)


def _fresh_form(request: HtmxRequest, post: Post) -> PostEditorForm:
    return PostEditorForm(actor=actor(request), post=post, initial=PostEditorForm.initial_for(post))


# --------------------------------------------------------------------------
# The page and its saves
# --------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@dashboard_view("post.create")
def post_new(request: HtmxRequest) -> HttpResponse:
    user = actor(request)
    if request.method != "POST":  # GET or HEAD: show, never act
        form = PostEditorForm(actor=user, initial={"draft_key": uuid.uuid4().hex})
        return _render_editor(request, None, form, save_state="new")
    form = PostEditorForm(request.POST, request.FILES, actor=user)
    if not form.is_valid():
        return _render_editor(request, None, form, save_state="invalid", status=422)
    earlier = _remembered_draft(request, form.cleaned_data.get("draft_key", ""))
    if earlier is not None and not can(user, "post.edit", earlier):
        earlier = None
    result = _save(request, form, earlier)
    if result.conflict is not None:
        return _render_editor(
            request, None, form, save_state="conflict", status=409,
            **_conflict_context(result.conflict, form),
        )  # fmt: skip
    if not result.saved or result.post is None:
        return _render_editor(request, None, form, save_state="invalid", status=422)
    url = reverse("dashboard:post_edit", args=[result.post.pk])
    messages.success(request, gettext("Draft saved. Keep writing: it saves itself as you go."))
    return HttpResponseClientRedirect(url) if wants_partial(request) else redirect(url)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@dashboard_view("post.create")
def post_edit(request: HtmxRequest, pk: int) -> HttpResponse:
    post = editable_post(request, pk)
    user = actor(request)
    if request.method != "POST":  # GET or HEAD: show, never act
        return _render_editor(request, post, _fresh_form(request, post), save_state="idle")
    form = PostEditorForm(request.POST, request.FILES, actor=user, post=post)
    if not form.is_valid():
        return _render_editor(request, post, form, save_state="invalid", status=422)
    result = _save(request, form, post)
    if result.conflict is not None:
        return _render_editor(
            request, post, form, save_state="conflict", status=409,
            **_conflict_context(result.conflict, form),
        )  # fmt: skip
    if not result.saved or result.post is None:
        return _render_editor(request, post, form, save_state="invalid", status=422)
    if not wants_partial(request):
        messages.success(request, gettext("Saved."))
        return redirect("dashboard:post_edit", pk=post.pk)
    saved = result.post
    return _render_editor(
        request, saved, _fresh_form(request, saved), save_state="saved", saved_at=timezone.now()
    )


def _autosave(request: HtmxRequest, post: Post | None) -> HttpResponse:
    user = actor(request)
    form = PostEditorForm(request.POST, actor=user, post=post, autosave=True)
    target = post
    if post is None and form.is_valid():
        target = _remembered_draft(request, form.cleaned_data.get("draft_key", ""))
        if target is not None and not can(user, "post.edit", target):
            target = None
    context: dict[str, Any] = {"post": post, "urls": _urls(post)}
    if not form.is_valid():
        context |= {"save_state": "invalid", "save_errors": _error_list(form)}
        return render(request, f"{TEMPLATE}#autosave-response", context, status=422)
    result = _save(request, form, target)
    if result.conflict is not None:
        context |= {
            "save_state": "conflict",
            "urls": _urls(target),
            **_conflict_context(result.conflict, form),
        }
        return render(request, f"{TEMPLATE}#autosave-response", context, status=409)
    if not result.saved or result.post is None:
        context |= {"save_state": "invalid", "save_errors": _error_list(form)}
        return render(request, f"{TEMPLATE}#autosave-response", context, status=422)
    saved = result.post
    context |= {
        "post": saved,
        "urls": _urls(saved),
        "save_state": "saved",
        "saved_at": timezone.now(),
        "save_warning": result.warning,
        "created": result.created,
    }
    if result.created:
        # The page carries on as the edit page: its side panels now belong to the post.
        context |= {
            "workflow": workflow_context(request, saved),
            "preview_links": links_context(request, saved),
        }
    return render(request, f"{TEMPLATE}#autosave-response", context)


@require_POST
@dashboard_view("post.create")
def post_autosave_new(request: HtmxRequest) -> HttpResponse:
    return _autosave(request, None)


@require_POST
@dashboard_view("post.create")
def post_autosave(request: HtmxRequest, pk: int) -> HttpResponse:
    return _autosave(request, editable_post(request, pk))


@require_POST
@dashboard_view("post.create")
def post_preview(request: HtmxRequest) -> HttpResponse:
    form = PreviewForm(request.POST)
    valid = form.is_valid()
    data = form.cleaned_data if valid else {}
    context = {
        "preview_title": data.get("title", ""),
        "preview_excerpt": data.get("excerpt", ""),
        "preview_html": markdown_to_safe_html(data.get("body", "")) if valid else "",
        "preview_error": "" if valid else gettext("The text is too long to preview."),
    }
    return render(request, f"{TEMPLATE}#editor-preview", context)


@require_POST
@dashboard_view("post.create")
def post_image_upload(request: HtmxRequest, pk: int | None = None) -> JsonResponse:
    post = editable_post(request, pk) if pk is not None else None
    form = ImageUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return JsonResponse({"error": flat_errors(form.errors)}, status=400)
    try:
        picture = upload_post_image(
            actor=actor(request),
            post=post,
            upload=form.cleaned_data["image"],
            alt=form.cleaned_data["alt"],
        )
    except ValidationError as exc:
        return JsonResponse({"error": error_text(exc)}, status=400)
    return JsonResponse({"markdown": markdown_for(picture), "width": picture.width})
