"""The comments' personal region on cached post pages (apps.core.personal).

A signed-in reader served the stored post page gets their own form (with their CSRF
token) or the reason they cannot comment. A reader whose thread differs from everyone's
(a moderator, or someone with a comment awaiting approval) declines, so the whole page is
rendered for them.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import get_template

from apps.accounts.models import User
from apps.blog.pages import post_tag
from apps.comments import selectors
from apps.comments.forms import CommentForm
from apps.core import pagecache, personal


def comment_form(request: HttpRequest, args: dict[str, str]) -> str | None:
    viewer = request.user
    post = selectors.public_post_for_comments(int(args["post"]))
    if post is None or not isinstance(viewer, User):
        return None
    if selectors.sees_held_comments(viewer=viewer, post_id=post.pk):
        return None
    # Kept until the post (comments opened or closed) or the reader changes.
    pagecache.depend_on(request, post_tag(post.pk))
    context = {
        "request": request,
        "user": viewer,
        "csrf_token": personal.CSRF_PLACEHOLDER,
        "post": post,
        "comment_gate": selectors.commenting_gate(viewer=viewer, post=post),
        "comment_form": CommentForm(),
    }
    return get_template("comments/_form_region.html").render(context)
