"""The follow button's personal region on cached pages (apps.core.personal).

Post and author pages are stored in the page cache as the anonymous reader sees them, so
the stored page holds a "Follow" link to the sign-in page. A signed-in reader served that
page gets their own button, saying whether they follow the author, filled in at serve
time and never stored in the page. The region is kept per reader until
`apps.accounts.services.follow_author`/`unfollow_author` forget it.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import get_template
from django.utils.safestring import SafeString

from apps.accounts.models import User
from apps.accounts.selectors import is_following
from apps.core import personal

TEMPLATE = "accounts/_follow_button.html"


def follow_button_html(
    request: HttpRequest,
    *,
    author_id: int,
    author_username: str,
    csrf_token: str,
    notice: str = "",
    following: bool | None = None,
) -> SafeString:
    """The button for this reader: a sign-in link, Follow, Following, or nothing on their own page."""
    viewer = request.user
    if following is None:
        following = isinstance(viewer, User) and is_following(follower=viewer, author_id=author_id)
    context = {
        "request": request,
        "user": viewer,
        "csrf_token": csrf_token,
        "author_username": author_username,
        "author_label": author_username,
        "following": following,
        "notice": notice,
    }
    return SafeString(get_template(TEMPLATE).render(context))


def follow_region(request: HttpRequest, args: dict[str, str]) -> str | None:
    """The region `<!--personal:follow author=<id> username=<username>-->`."""
    return follow_button_html(
        request,
        author_id=int(args["author"]),
        author_username=args["username"],
        csrf_token=personal.CSRF_PLACEHOLDER,
    )
