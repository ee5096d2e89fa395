"""The post editor: write, preview, autosave, insert images, move through the workflow.

Parse → call a service → render. Every service checks permissions itself; the page
only decides which controls to show. The saves answer in two ways: editor.js posts
them with `fetch` and swaps the HTML it gets back (200 saved, 409 conflict, 422
invalid), and without JavaScript the form is an ordinary POST.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from apps.accounts.permissions import can
from apps.blog.models import Post, PreviewLink, Revision
from apps.blog.services import (
    EditConflictError,
    allowed_moves,
    archive_post,
    create_preview_link,
    markdown_for,
    publish_post,
    revoke_preview_link,
    save_tag,
    schedule_post,
    send_back_post,
    set_post_cover,
    set_unpublish_time,
    signed_token,
    slug_is_taken,
    start_post,
    submit_post,
    unique_slug,
    unschedule_post,
    update_post,
    upload_post_image,
)
from apps.blog.services.posts import MAX_BODY_CHARS
from apps.core.htmx import render_page_or_partial, wants_partial
from apps.core.markdown import markdown_to_safe_html
from apps.dashboard.forms.editor import (
    ImageUploadForm,
    PostEditorForm,
    PreviewForm,
    PreviewLinkForm,
    ScheduleForm,
    SendBackForm,
    UnpublishForm,
    compare_versions,
    has_public_address,
)
from apps.dashboard.views.base import actor, dashboard_view, error_text, layout_context

TEMPLATE = "dashboard/editor/editor.html"
# Session key: a new post page's draft key → the post its first save created.
DRAFTS_SESSION_KEY = "editor_drafts"
REMEMBERED_DRAFTS = 20
# Services name some fields differently from the editor form.
FORM_FIELD_FOR = {"image": "cover_image", "name": "new_tags"}
SIMPLE_MOVES: dict[str, tuple[Callable[..., Post], str]] = {
    "submit": (submit_post, "Submitted for review. An editor will pick it up."),
    "publish": (publish_post, "Published: it is on the site now."),
    "unschedule": (unschedule_post, "Unscheduled: the post is a draft again."),
    "archive": (archive_post, "Archived: it is no longer on the site."),
}


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _editable_post(request: HttpRequest, pk: int) -> Post:
    post = get_object_or_404(Post.objects.select_related("author", "category"), pk=pk)
    if not can(actor(request), "post.edit", post):
        raise PermissionDenied("You can edit only your own posts.")
    return post


def _site_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _site_time(moment: datetime) -> str:
    return f"{date_format(timezone.localtime(moment, _site_zone()), 'M j, Y, H:i')} ({settings.TIME_ZONE})"


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
        str(message) if name == "__all__" else f"{labels.get(name, name)}: {message}"
        for name, errors in form.errors.items()
        for message in errors
    ]


def _remembered_draft(request: HttpRequest, key: str) -> Post | None:
    pk = request.session.get(DRAFTS_SESSION_KEY, {}).get(key) if key else None
    return Post.objects.select_related("author", "category").filter(pk=pk).first() if pk else None


def _remember_draft(request: HttpRequest, key: str, post: Post) -> None:
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


def _slug_for(form: PostEditorForm, post: Post | None) -> tuple[str, str]:
    """The address to save, and a note when an autosave could not use the one asked for.

    An empty field follows the title until the post is public. Changing a public address
    leaves a redirect behind, so autosaves never do it; and a taken address never stops
    an autosave from saving the text (an explicit save reports it on the field instead).
    """
    wanted: str = form.cleaned_data["slug"]
    public = has_public_address(post)
    if post is not None and public and (form.autosave or not wanted):
        changed = wanted not in ("", post.slug)
        return post.slug, "the new address is applied when you press Save" if changed else ""
    if not wanted:
        return unique_slug(form.cleaned_data["title"], exclude_post=post), ""
    if form.autosave and slug_is_taken(wanted, exclude_post=post):
        kept = post.slug if post else unique_slug(form.cleaned_data["title"])
        return (
            kept,
            f"the address “{wanted}” belongs to another post, so this one stays at “{kept}”",
        )
    return wanted, ""


def _save(request: HttpRequest, form: PostEditorForm, post: Post | None) -> SaveResult:
    """Create or update the post from a valid form; service errors land on the form."""
    user = actor(request)
    slug, warning = _slug_for(form, post)
    # A first save retried after a lost response continues the post it already made.
    based_on = form.based_on_version if form.post is not None else 1
    try:
        # One transaction: a refused save leaves no new tags or cover behind.
        with transaction.atomic():
            extra_tags = form.existing_new_tags + [
                save_tag(actor=user, name=name) for name in form.missing_tag_names
            ]
            content = form.content(extra_tags=extra_tags, slug=slug)
            if post is None:
                saved = start_post(actor=user, content=content)
            else:
                saved = update_post(
                    actor=user,
                    post=post,
                    content=content,
                    based_on_version=based_on,
                    autosave=form.autosave,
                )
            changed, upload = (False, None) if form.autosave else form.cover_change()
            if changed:
                saved = set_post_cover(actor=user, post=saved, upload=upload, alt=content.cover_alt)
    except EditConflictError as exc:
        return SaveResult(post, conflict=exc)
    except ValidationError as exc:
        _add_service_errors(form, exc)
        return SaveResult(post)
    if form.post is None:
        _remember_draft(request, form.cleaned_data.get("draft_key", ""), saved)
    return SaveResult(saved, saved=True, created=form.post is None, warning=warning)


def _conflict_context(exc: EditConflictError, form: PostEditorForm) -> dict[str, Any]:
    theirs = exc.post
    last = Revision.objects.filter(post=theirs).select_related("author").first()
    return {
        "conflict": {
            "theirs": theirs,
            "version": theirs.version,
            "based_on": exc.based_on,
            "saved_by": last.author.name if last and last.author else "Someone",
            "saved_at": theirs.updated_at,
            "differences": compare_versions(theirs, form),
        }
    }


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------


def _form_context(
    request: HttpRequest, post: Post | None, form: PostEditorForm, **extra: Any
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


def _workflow_context(request: HttpRequest, post: Post | None, **extra: Any) -> dict[str, Any]:
    if post is None:
        return {"post": None, **extra}
    user = actor(request)
    moves = {move.name: move for move in allowed_moves(user, post)}
    scheduled = post.status == Post.Status.SCHEDULED
    schedule_form = extra.pop("schedule_form", None) or ScheduleForm(
        initial={
            "publish_at": post.published_at if scheduled else None,
            "unpublish_at": post.unpublish_at,
        }
    )
    can_unpublish_later = can(user, "post.publish", post) and post.status in {
        Post.Status.PUBLISHED,
        Post.Status.SCHEDULED,
    }
    return {
        "post": post,
        "moves": moves,
        "simple_moves": [moves[name] for name in SIMPLE_MOVES if name in moves],
        "schedule_form": schedule_form,
        "send_back_form": extra.pop("send_back_form", None) or SendBackForm(),
        "unpublish_form": (
            extra.pop("unpublish_form", None)
            or UnpublishForm(initial={"unpublish_at": post.unpublish_at})
        )
        if can_unpublish_later
        else None,
        "site_time_zone": settings.TIME_ZONE,
        "published_at_site": _site_time(post.published_at) if post.published_at else "",
        "unpublish_at_site": _site_time(post.unpublish_at) if post.unpublish_at else "",
        **extra,
    }


def _links_context(request: HttpRequest, post: Post | None, **extra: Any) -> dict[str, Any]:
    if post is None:
        return {"post": None, **extra}
    active = (
        PreviewLink.objects.filter(
            post=post, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("created_by")
        .order_by("-created_at")
    )
    return {
        "post": post,
        "links": [
            (link, request.build_absolute_uri(reverse("blog:preview", args=[signed_token(link)])))
            for link in active
        ],
        "link_form": extra.pop("link_form", None) or PreviewLinkForm(),
        **extra,
    }


def _render_editor(
    request: HttpRequest,
    post: Post | None,
    form: PostEditorForm,
    *,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    """The whole editor page, or only the form region for editor.js's saves."""
    context = _form_context(request, post, form, **extra)
    if not wants_partial(request):
        # The layout, the menu and the workflow buttons each ask for the user's role.
        prefetch_related_objects([actor(request)], "groups")
        context |= {
            **layout_context(request, "posts"),
            "workflow": _workflow_context(request, post),
            "preview_links": _links_context(request, post),
        }
    return render_page_or_partial(request, TEMPLATE, "editor-form", context, status=status)


def _fresh_form(request: HttpRequest, post: Post) -> PostEditorForm:
    return PostEditorForm(actor=actor(request), post=post, initial=PostEditorForm.initial_for(post))


# --------------------------------------------------------------------------
# The page and its saves
# --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@never_cache
@dashboard_view("post.create")
def post_new(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    if request.method == "GET":
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
    messages.success(request, "Draft saved. Keep writing: it saves itself as you go.")
    return HttpResponseClientRedirect(url) if wants_partial(request) else redirect(url)


@require_http_methods(["GET", "POST"])
@never_cache
@dashboard_view("post.create")
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = _editable_post(request, pk)
    user = actor(request)
    if request.method == "GET":
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
        messages.success(request, "Saved.")
        return redirect("dashboard:post_edit", pk=post.pk)
    saved = result.post
    return _render_editor(
        request, saved, _fresh_form(request, saved), save_state="saved", saved_at=timezone.now()
    )


def _autosave(request: HttpRequest, post: Post | None) -> HttpResponse:
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
            "workflow": _workflow_context(request, saved),
            "preview_links": _links_context(request, saved),
        }
    return render(request, f"{TEMPLATE}#autosave-response", context)


@require_POST
@dashboard_view("post.create")
def post_autosave_new(request: HttpRequest) -> HttpResponse:
    return _autosave(request, None)


@require_POST
@dashboard_view("post.create")
def post_autosave(request: HttpRequest, pk: int) -> HttpResponse:
    return _autosave(request, _editable_post(request, pk))


@require_POST
@dashboard_view("post.create")
def post_preview(request: HttpRequest) -> HttpResponse:
    form = PreviewForm(request.POST)
    valid = form.is_valid()
    data = form.cleaned_data if valid else {}
    context = {
        "preview_title": data.get("title", ""),
        "preview_excerpt": data.get("excerpt", ""),
        "preview_html": markdown_to_safe_html(data.get("body", "")) if valid else "",
        "preview_error": "" if valid else "The text is too long to preview.",
    }
    return render(request, f"{TEMPLATE}#editor-preview", context)


@require_POST
@dashboard_view("post.create")
def post_image_upload(request: HttpRequest, pk: int | None = None) -> JsonResponse:
    post = _editable_post(request, pk) if pk is not None else None
    form = ImageUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return JsonResponse({"error": " ".join(_flat(form.errors))}, status=400)
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


def _flat(errors: Mapping[str, Iterable[Any]]) -> list[str]:
    return [str(message) for messages_ in errors.values() for message in messages_]


# --------------------------------------------------------------------------
# Workflow
# --------------------------------------------------------------------------


def _workflow_response(
    request: HttpRequest, post: Post, *, notice: str = "", error: str = "", **forms: Any
) -> HttpResponse:
    # 200 either way: htmx swaps only successful responses, and the panel shows the error.
    if wants_partial(request):
        return render_page_or_partial(
            request,
            TEMPLATE,
            "workflow-panel",
            {"workflow": _workflow_context(request, post, notice=notice, error=error, **forms)},
        )
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect("dashboard:post_edit", pk=post.pk)


@require_POST
@dashboard_view("post.create")
def post_move(request: HttpRequest, pk: int, move: str) -> HttpResponse:
    post = _editable_post(request, pk)
    if move not in SIMPLE_MOVES:
        return HttpResponse(status=404)
    service, notice = SIMPLE_MOVES[move]
    try:
        post = service(actor=actor(request), post=post)
    except (ValidationError, PermissionDenied) as exc:
        return _workflow_response(request, post, error=error_text(exc))
    return _workflow_response(request, post, notice=notice)


@require_POST
@dashboard_view("post.create")
def post_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    post = _editable_post(request, pk)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        return _workflow_response(
            request, post, error=" ".join(_flat(form.errors)), schedule_form=form, open="schedule"
        )
    publish_at = form.cleaned_data["publish_at"]
    try:
        post = schedule_post(
            actor=actor(request),
            post=post,
            publish_at=publish_at,
            unpublish_at=form.cleaned_data["unpublish_at"],
        )
    except (ValidationError, PermissionDenied) as exc:
        return _workflow_response(
            request, post, error=error_text(exc), schedule_form=form, open="schedule"
        )
    return _workflow_response(request, post, notice=f"Scheduled for {_site_time(publish_at)}.")


@require_POST
@dashboard_view("post.create")
def post_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    post = _editable_post(request, pk)
    form = SendBackForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        post = send_back_post(actor=actor(request), post=post, note=note)
    except (ValidationError, PermissionDenied) as exc:
        return _workflow_response(
            request, post, error=error_text(exc), send_back_form=form, open="send_back"
        )
    return _workflow_response(request, post, notice="Sent back to the author with your note.")


@require_POST
@dashboard_view("post.create")
def post_unpublish_time(request: HttpRequest, pk: int) -> HttpResponse:
    post = _editable_post(request, pk)
    form = UnpublishForm(request.POST)
    if not form.is_valid():
        return _workflow_response(
            request, post, error=" ".join(_flat(form.errors)), unpublish_form=form, open="unpublish"
        )
    unpublish_at = form.cleaned_data["unpublish_at"]
    try:
        post = set_unpublish_time(actor=actor(request), post=post, unpublish_at=unpublish_at)
    except (ValidationError, PermissionDenied) as exc:
        return _workflow_response(
            request, post, error=error_text(exc), unpublish_form=form, open="unpublish"
        )
    notice = (
        f"It will be taken off the site on {_site_time(unpublish_at)}."
        if unpublish_at
        else "It stays on the site until someone archives it."
    )
    return _workflow_response(request, post, notice=notice)


# --------------------------------------------------------------------------
# Preview links
# --------------------------------------------------------------------------


def _links_response(request: HttpRequest, post: Post, **extra: Any) -> HttpResponse:
    if wants_partial(request):
        return render_page_or_partial(
            request,
            TEMPLATE,
            "preview-links",
            {"preview_links": _links_context(request, post, **extra)},
        )
    if extra.get("error"):
        messages.error(request, extra["error"])
    elif extra.get("notice"):
        messages.success(request, extra["notice"])
    return redirect("dashboard:post_edit", pk=post.pk)


@require_POST
@dashboard_view("post.create")
def preview_link_create(request: HttpRequest, pk: int) -> HttpResponse:
    post = _editable_post(request, pk)
    form = PreviewLinkForm(request.POST)
    if not form.is_valid():
        return _links_response(request, post, error=" ".join(_flat(form.errors)), link_form=form)
    try:
        link, token = create_preview_link(
            actor=actor(request), post=post, hours=form.cleaned_data["hours"]
        )
    except (ValidationError, PermissionDenied) as exc:
        return _links_response(request, post, error=error_text(exc), link_form=form)
    url = request.build_absolute_uri(reverse("blog:preview", args=[token]))
    return _links_response(
        request,
        post,
        notice=f"Preview link created. It works until {_site_time(link.expires_at)}.",
        new_link=link.pk,
        new_url=url,
    )


@require_POST
@dashboard_view("post.create")
def preview_link_revoke(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    post = _editable_post(request, pk)
    link = get_object_or_404(PreviewLink, pk=link_pk, post=post)
    try:
        revoke_preview_link(actor=actor(request), link=link)
    except PermissionDenied as exc:
        return _links_response(request, post, error=error_text(exc))
    return _links_response(request, post, notice="Preview link revoked: it no longer works.")
