"""The post editor's side panels: workflow moves, scheduling, and preview links.

Parse → call a service → render. Each panel answers an htmx post with its own region
(200 either way: htmx swaps only successful responses, and the panel shows the error);
without JavaScript the form posts and the editor page is shown again with a message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from apps.accounts.permissions import can
from apps.blog.models import Post, PreviewLink
from apps.blog.selectors import active_preview_links
from apps.blog.services import (
    allowed_moves,
    apply_move,
    create_preview_link,
    one_click_moves,
    revoke_preview_link,
    schedule_post,
    send_back_post,
    set_unpublish_time,
    signed_token,
)
from apps.core.htmx import HtmxRequest, render_page_or_partial, wants_partial
from apps.dashboard.forms.newsletter import PostEmailForm
from apps.dashboard.forms.publishing import (
    PreviewLinkForm,
    ScheduleForm,
    SendBackForm,
    UnpublishForm,
)
from apps.dashboard.views.base import actor, dashboard_view, error_text
from apps.newsletter.campaigns import email_post_when_live
from apps.newsletter.directory import post_email_campaign

TEMPLATE = "dashboard/editor/editor.html"
# What each one-click move tells the user once it is done.
MOVE_NOTICES: dict[str, str | Promise] = {
    "submit": _("Submitted for review. An editor will pick it up."),
    "publish": _("Published: it is on the site now."),
    "unschedule": _("Unscheduled: the post is a draft again."),
    "archive": _("Archived: it is no longer on the site."),
}


def editable_post(request: HtmxRequest, pk: int) -> Post:
    post = get_object_or_404(Post.objects.select_related("author", "category"), pk=pk)
    if not can(actor(request), "post.edit", post):
        raise PermissionDenied(gettext("You can edit only your own posts."))
    return post


def site_time(moment: datetime) -> str:
    local = timezone.localtime(moment, ZoneInfo(settings.TIME_ZONE))
    # Translators: Django's date filter syntax, e.g. "Mar 5, 2025, 14:30".
    when = date_format(local, gettext("M j, Y, H:i"))
    return f"{when} ({settings.TIME_ZONE})"


def flat_errors(errors: Mapping[str, Iterable[Any]]) -> str:
    return " ".join(str(message) for messages_ in errors.values() for message in messages_)


def workflow_context(request: HtmxRequest, post: Post | None, **extra: Any) -> dict[str, Any]:
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
    # "Also email this post to subscribers of …": for editors, until a campaign exists.
    email_campaign = email_form = None
    if can(user, "newsletter.manage") and post.status != Post.Status.ARCHIVED:
        email_campaign = post_email_campaign(post.pk)
        if email_campaign is None:
            email_form = extra.pop("email_form", None) or PostEmailForm()
    extra.pop("email_form", None)
    return {
        "post": post,
        "email_campaign": email_campaign,
        "email_form": email_form,
        "moves": moves,
        "simple_moves": one_click_moves(user, post),
        "schedule_form": schedule_form,
        "send_back_form": extra.pop("send_back_form", None) or SendBackForm(),
        "unpublish_form": (
            extra.pop("unpublish_form", None)
            or UnpublishForm(initial={"unpublish_at": post.unpublish_at})
        )
        if can_unpublish_later
        else None,
        "site_time_zone": settings.TIME_ZONE,
        "published_at_site": site_time(post.published_at) if post.published_at else "",
        "unpublish_at_site": site_time(post.unpublish_at) if post.unpublish_at else "",
        **extra,
    }


def links_context(request: HtmxRequest, post: Post | None, **extra: Any) -> dict[str, Any]:
    if post is None:
        return {"post": None, **extra}
    return {
        "post": post,
        "links": [
            (link, request.build_absolute_uri(reverse("blog:preview", args=[signed_token(link)])))
            for link in active_preview_links(post)
        ],
        "link_form": extra.pop("link_form", None) or PreviewLinkForm(),
        **extra,
    }


def _answer(
    request: HtmxRequest,
    post: Post,
    partial: str,
    context: dict[str, Any],
    *,
    notice: str,
    error: str,
) -> HttpResponse:
    if wants_partial(request):
        return render_page_or_partial(request, TEMPLATE, partial, context)
    # Without JavaScript: back to the editor page, the outcome as a message.
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect("dashboard:post_edit", pk=post.pk)


# --------------------------------------------------------------------------
# Workflow
# --------------------------------------------------------------------------


def _workflow_response(
    request: HtmxRequest, post: Post, *, notice: str = "", error: str = "", **forms: Any
) -> HttpResponse:
    context = {"workflow": workflow_context(request, post, notice=notice, error=error, **forms)}
    return _answer(request, post, "workflow-panel", context, notice=notice, error=error)


@require_POST
@dashboard_view("post.create")
def post_move(request: HtmxRequest, pk: int, move: str) -> HttpResponse:
    post = editable_post(request, pk)
    if move not in MOVE_NOTICES:
        raise Http404("No such move.")
    try:
        post = apply_move(actor=actor(request), post=post, move=move)
    except (ValidationError, PermissionDenied) as exc:
        return _workflow_response(request, post, error=error_text(exc))
    return _workflow_response(request, post, notice=str(MOVE_NOTICES[move]))


@require_POST
@dashboard_view("post.create")
def post_schedule(request: HtmxRequest, pk: int) -> HttpResponse:
    post = editable_post(request, pk)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        return _workflow_response(
            request, post, error=flat_errors(form.errors), schedule_form=form, open="schedule"
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
    return _workflow_response(
        request,
        post,
        notice=gettext("Scheduled for %(when)s.") % {"when": site_time(publish_at)},
    )


@require_POST
@dashboard_view("post.create")
def post_send_back(request: HtmxRequest, pk: int) -> HttpResponse:
    post = editable_post(request, pk)
    form = SendBackForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        post = send_back_post(actor=actor(request), post=post, note=note)
    except (ValidationError, PermissionDenied) as exc:
        return _workflow_response(
            request, post, error=error_text(exc), send_back_form=form, open="send_back"
        )
    return _workflow_response(
        request, post, notice=gettext("Sent back to the author with your note.")
    )


@require_POST
@dashboard_view("post.create")
def post_unpublish_time(request: HtmxRequest, pk: int) -> HttpResponse:
    post = editable_post(request, pk)
    form = UnpublishForm(request.POST)
    if not form.is_valid():
        return _workflow_response(
            request, post, error=flat_errors(form.errors), unpublish_form=form, open="unpublish"
        )
    unpublish_at = form.cleaned_data["unpublish_at"]
    try:
        post = set_unpublish_time(actor=actor(request), post=post, unpublish_at=unpublish_at)
    except (ValidationError, PermissionDenied) as exc:
        return _workflow_response(
            request, post, error=error_text(exc), unpublish_form=form, open="unpublish"
        )
    notice = (
        gettext("It will be taken off the site on %(when)s.") % {"when": site_time(unpublish_at)}
        if unpublish_at
        else gettext("It stays on the site until someone archives it.")
    )
    return _workflow_response(request, post, notice=notice)


@require_POST
@dashboard_view("newsletter.manage")
def post_email(request: HtmxRequest, pk: int) -> HttpResponse:
    post = editable_post(request, pk)
    form = PostEmailForm(request.POST)
    if not form.is_valid():
        return _workflow_response(
            request, post, error=flat_errors(form.errors), email_form=form, open="email"
        )
    newsletters = list(form.cleaned_data["newsletters"])
    try:
        email_post_when_live(actor=actor(request), post=post, newsletters=newsletters)
    except (ValidationError, PermissionDenied) as exc:
        return _workflow_response(
            request, post, error=error_text(exc), email_form=form, open="email"
        )
    names = ", ".join(n.name for n in newsletters)
    notice = (
        gettext("Emailing it now to subscribers of %(newsletters)s.")
        if post.is_public
        else gettext(
            "It will be emailed to subscribers of %(newsletters)s once, when it goes live."
        )
    ) % {"newsletters": names}
    return _workflow_response(request, post, notice=notice)


# --------------------------------------------------------------------------
# Preview links
# --------------------------------------------------------------------------


def _links_response(
    request: HtmxRequest, post: Post, *, notice: str = "", error: str = "", **extra: Any
) -> HttpResponse:
    context = {"preview_links": links_context(request, post, notice=notice, error=error, **extra)}
    return _answer(request, post, "preview-links", context, notice=notice, error=error)


@require_POST
@dashboard_view("post.create")
def preview_link_create(request: HtmxRequest, pk: int) -> HttpResponse:
    post = editable_post(request, pk)
    form = PreviewLinkForm(request.POST)
    if not form.is_valid():
        return _links_response(request, post, error=flat_errors(form.errors), link_form=form)
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
        notice=gettext("Preview link created. It works until %(when)s.")
        % {"when": site_time(link.expires_at)},
        new_link=link.pk,
        new_url=url,
    )


@require_POST
@dashboard_view("post.create")
def preview_link_revoke(request: HtmxRequest, pk: int, link_pk: int) -> HttpResponse:
    post = editable_post(request, pk)
    link = get_object_or_404(PreviewLink, pk=link_pk, post=post)
    try:
        revoke_preview_link(actor=actor(request), link=link)
    except PermissionDenied as exc:
        return _links_response(request, post, error=error_text(exc))
    return _links_response(
        request, post, notice=gettext("Preview link revoked: it no longer works.")
    )
