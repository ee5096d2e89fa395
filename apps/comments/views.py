"""Comment endpoints: parse, call a service or selector, render a fragment or the page.

Every write answers an htmx request with the fragment that replaces what was clicked
(plus, for a new comment, the comment itself out of band, so the poster sees it even
without a socket); a plain form post gets a redirect back to the comment on the post page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from apps.accounts.mfa.selectors import session_passed_second_factor
from apps.accounts.models import User
from apps.accounts.pages import profile_tag
from apps.accounts.permissions import can
from apps.blog.models import Post
from apps.blog.pages import comments_tag, post_tag
from apps.comments import selectors, services
from apps.comments.forms import CommentForm, EditCommentForm, ReportCommentForm
from apps.comments.models import Comment
from apps.core.htmx import HtmxRequest, wants_partial
from apps.core.pagecache import cached_for_readers, depend_on


def _login_required(request: HtmxRequest, next_url: str) -> HttpResponse:
    if wants_partial(request):
        # An htmx swap would follow a 302 and paste the login page into a fragment.
        login = f"{reverse('account_login')}?{urlencode({'next': next_url})}"
        return HttpResponseClientRedirect(login)
    return redirect_to_login(next_url)


def _public_post(post_id: int) -> Post:
    post = selectors.public_post_for_comments(post_id)
    if post is None:
        raise Http404("No such post.")
    return post


def _comment(comment_id: int) -> Comment:
    comment = selectors.comment_on_public_post(comment_id)
    if comment is None:
        raise Http404("No such comment.")
    return comment


def _message(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You do not have permission to do that.")


# The one-line fragments (a comment's article, a notice, the response to a new comment).
FRAGMENTS = "comments/_fragments.html"


def _form_context(
    request: HtmxRequest, post: Post, form: CommentForm, parent: Comment | None, **extra: Any
) -> dict[str, Any]:
    return {"post": post, "form": form, "parent": parent, **extra}


# --------------------------------------------------------------------------
# /comments/posts/<post_id>/ : post a comment (a reconnecting page catches up over its
# socket, with ?after=<id>; see consumers.py)
# --------------------------------------------------------------------------


@require_POST
@vary_on_headers("HX-Request")
def create(request: HtmxRequest, post_id: int) -> HttpResponse:
    post = _public_post(post_id)
    next_url = f"{post.get_absolute_url()}#comments"
    if not request.user.is_authenticated:
        return _login_required(request, next_url)
    actor: User = request.user  # authenticated above
    form = CommentForm(request.POST)
    parent: Comment | None = None
    unverified = False
    if form.is_valid():
        try:
            if parent_id := form.cleaned_data["parent"]:
                parent = selectors.reply_target(post=post, comment_id=parent_id)
                if parent is None:
                    raise ValidationError(_("The comment you replied to no longer exists."))
            comment = services.create_comment(
                actor=actor,
                post=post,
                body=form.cleaned_data["body"],
                parent=parent,
                token=form.cleaned_data["token"],
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, _message(error))
            unverified = selectors.commenting_gate(viewer=actor, post=post) == "unverified"
        else:
            return _created(request, post, comment, parent)
    context = _form_context(request, post, form, parent, unverified=unverified)
    if wants_partial(request):
        # 200, not 4xx: htmx swaps only successful responses, and the errors must show.
        return render(request, "comments/_form.html", context)
    return render(request, "comments/form_page.html", context, status=400)


def _created(
    request: HtmxRequest, post: Post, comment: Comment, parent: Comment | None
) -> HttpResponse:
    notice = (
        _("Thanks! Your comment is awaiting approval by a moderator.")
        if not comment.is_public
        else (_("Reply posted.") if parent else _("Comment posted."))
    )
    if not wants_partial(request):
        messages.success(request, notice)
        return redirect(f"{post.get_absolute_url()}#comment-{comment.pk}")
    fresh = CommentForm() if parent is None else None
    context = {
        "post": post,
        "form": fresh,
        "parent": parent,
        "notice": notice,
        "comment": selectors.prepare_single(comment),
    }
    return render(request, f"{FRAGMENTS}#created-response", context)


# --------------------------------------------------------------------------
# /comments/posts/<post_id>/threads/ : "Load more comments" (the next page of threads)
# /comments/<thread_id>/replies/ : "Show N more replies" (the next replies of a thread)
# Both are stored for anonymous readers like the post page, and dropped with it: they show
# the post's comments and their authors' names (comments:<post>, user:<id>), and vanish
# when the post does (post:<id>).
# --------------------------------------------------------------------------


def _bad_cursor(error: ValueError) -> HttpResponse:
    return HttpResponseBadRequest(
        f"{error} Start again from the post page.", content_type="text/plain; charset=utf-8"
    )


def _depend_on_comments(request: HtmxRequest, post_id: int, author_ids: set[int]) -> None:
    depend_on(
        request,
        post_tag(post_id),
        comments_tag(post_id),
        *[profile_tag(user_id) for user_id in sorted(author_ids)],
    )


@require_safe
@vary_on_headers("HX-Request")
@cached_for_readers
def threads(request: HtmxRequest, post_id: int) -> HttpResponse:
    post = _public_post(post_id)
    order = selectors.parse_order(request.GET.get("comments"))
    try:
        cursor = selectors.parse_cursor(request.GET.get("comments_cursor"))
    except ValueError as error:
        return _bad_cursor(error)
    if not wants_partial(request):
        # The full page of these threads is the post page itself (the no-JS link's target).
        query: dict[str, str] = {"comments": order} if order != "oldest" else {}
        if cursor is not None:
            query["comments_cursor"] = str(cursor)
        suffix = f"?{urlencode(query)}" if query else ""
        return redirect(f"{post.get_absolute_url()}{suffix}#comments")
    page = selectors.post_page_threads(post=post, viewer=request.user, order=order, cursor=cursor)
    _depend_on_comments(request, post.pk, page.author_ids)
    context = {
        "post": post,
        "comment_page": page,
        "comment_signature": selectors.page_signature(page),
    }
    return render(request, "comments/_threads.html", context)


@require_safe
@vary_on_headers("HX-Request")
@cached_for_readers
def replies(request: HtmxRequest, comment_id: int) -> HttpResponse:
    try:
        after = selectors.parse_cursor(request.GET.get("after"))
    except ValueError as error:
        return _bad_cursor(error)
    thread = selectors.thread_for_replies(viewer=request.user, comment_id=comment_id)
    if thread is None:
        raise Http404("No such thread.")
    batch = selectors.replies_after(
        thread=thread,
        viewer=request.user,
        after_id=after if after is not None else thread.pk,
        limit=settings.COMMENT_REPLIES_PER_THREAD,
    )
    authors = selectors.batch_author_ids(batch)
    if thread.author_id is not None:
        authors.add(thread.author_id)
    _depend_on_comments(request, thread.post_id, authors)
    context = {"post": thread.post, "batch": batch}
    if wants_partial(request):
        return render(request, f"{FRAGMENTS}#replies-batch", context)
    return render(request, "comments/replies.html", context)


# --------------------------------------------------------------------------
# /comments/<id>/actions/ : the viewer's menu for one comment
# --------------------------------------------------------------------------


@require_safe
@vary_on_headers("HX-Request")
def actions(request: HtmxRequest, comment_id: int) -> HttpResponse:
    comment = selectors.visible_comment(viewer=request.user, comment_id=comment_id)
    if comment is None:
        raise Http404("No such comment.")
    viewer = request.user
    context: dict[str, Any] = {"comment": comment, "post": comment.post}
    if isinstance(viewer, User) and viewer.is_authenticated:
        gate = selectors.commenting_gate(viewer=viewer, post=comment.post)
        open_for_replies = comment.is_public and not comment.is_deleted
        context |= {
            "can_reply": open_for_replies and not gate,
            "reply_gate": gate if open_for_replies else "",
            "can_edit": services.can_edit(viewer, comment),
            "can_delete": services.can_delete(
                viewer, comment, second_factor=session_passed_second_factor(viewer)
            ),
            "can_report": services.can_report(viewer, comment),
            "is_moderator": can(viewer, "comment.moderate"),
            "form": CommentForm(),
            "parent": comment,
        }
    template = (
        "comments/actions.html#actions" if wants_partial(request) else "comments/actions.html"
    )
    return render(request, template, context)


# --------------------------------------------------------------------------
# Edit, delete, report
# --------------------------------------------------------------------------


def _back_to(comment: Comment) -> HttpResponse:
    return redirect(f"{comment.post.get_absolute_url()}#comment-{comment.pk}")


@require_http_methods(["GET", "HEAD", "POST"])
@vary_on_headers("HX-Request")
def edit(request: HtmxRequest, comment_id: int) -> HttpResponse:
    comment = _comment(comment_id)
    if not request.user.is_authenticated:
        return _login_required(request, comment.get_absolute_url())
    actor: User = request.user  # authenticated above
    refusal = ""
    form = EditCommentForm(request.POST or None, initial={"body": comment.body})
    try:
        services.ensure_editable(actor, comment)
    except ValidationError as error:
        refusal = _message(error)
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            comment = services.edit_comment(
                actor=actor, comment=comment, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            form.add_error(None, _message(error))
        else:
            if not wants_partial(request):
                messages.success(request, _("Comment updated."))
                return _back_to(comment)
            return render(
                request, f"{FRAGMENTS}#comment", {"comment": selectors.prepare_single(comment)}
            )
    context = {"comment": comment, "form": form, "refusal": refusal}
    if wants_partial(request):
        return render(request, "comments/edit.html#edit-form", context)
    status = 400 if refusal or form.errors else 200
    return render(request, "comments/edit.html", context, status=status)


@require_POST
@vary_on_headers("HX-Request")
def delete(request: HtmxRequest, comment_id: int) -> HttpResponse:
    comment = _comment(comment_id)
    if not request.user.is_authenticated:
        return _login_required(request, comment.get_absolute_url())
    actor: User = request.user  # authenticated above
    try:
        comment = services.delete_comment(
            actor=actor, comment=comment, second_factor=session_passed_second_factor(actor)
        )
    except (ValidationError, PermissionDenied) as error:
        if wants_partial(request):
            # 200: htmx swaps only successful answers, and the notice must show.
            return HttpResponse(render_to_string(f"{FRAGMENTS}#notice", {"text": _message(error)}))
        if isinstance(error, PermissionDenied):
            raise  # the 403 page, which says why
        messages.error(request, _message(error))
        return _back_to(comment)
    if not wants_partial(request):
        messages.success(request, _("Comment deleted."))
        return _back_to(comment)
    return render(request, f"{FRAGMENTS}#comment", {"comment": selectors.prepare_single(comment)})


@require_http_methods(["GET", "HEAD", "POST"])
@vary_on_headers("HX-Request")
def report(request: HtmxRequest, comment_id: int) -> HttpResponse:
    comment = _comment(comment_id)
    if not request.user.is_authenticated:
        return _login_required(request, comment.get_absolute_url())
    actor: User = request.user  # authenticated above
    form = ReportCommentForm(request.POST or None)
    done = False
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.report_comment(
                actor=actor, comment=comment, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, _message(error))
        except PermissionDenied as error:  # e.g. an unverified email address
            form.add_error(None, _message(error))
            status = 403
        else:
            done = True
            if not wants_partial(request):
                messages.success(request, _("Thanks for the report: a moderator will take a look."))
                return _back_to(comment)
    context = {"comment": comment, "form": form, "done": done}
    if wants_partial(request):  # 200 whatever happened: htmx swaps only successful answers
        return render(request, "comments/report.html#report-form", context)
    if form.errors and status == 200:
        status = 400
    return render(request, "comments/report.html", context, status=status)
