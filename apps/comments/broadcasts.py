"""Group names and events for the live comment route (sent by `core.live.send_event`).

Groups (every name is what `channel_layer.group_add` receives):
- `post_group(post_id)`: every open page of the post; public events only.
- `moderators_group(post_id)`: moderators viewing the post; held comments too.
- `viewer_group(post_id, user_id)`: one signed-in reader's pages of the post; their own
  held comments reach them here and nowhere else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.template.loader import render_to_string

from apps.comments.models import Comment
from apps.comments.selectors.threads import comment_for_event, prepare_single
from apps.core.live import LiveEvent, send_event

# The one-line fragments an event carries, partials of one template.
FRAGMENTS = "comments/_fragments.html"


def post_group(post_id: int) -> str:
    """The channel group every open page of a post joins."""
    return f"comments.post.{post_id}"


def moderators_group(post_id: int) -> str:
    """The group moderators' pages of a post join: held comments are sent here."""
    return f"comments.post.{post_id}.moderators"


def viewer_group(post_id: int, user_id: int) -> str:
    """The group one signed-in reader's pages of a post join (their own held comments)."""
    return f"comments.post.{post_id}.user.{user_id}"


# --------------------------------------------------------------------------
# Events (rendered once here; consumers only relay `html` or `data`)
# --------------------------------------------------------------------------

# Event types as the consumer's handlers see them ("comment.created" → comment_created).
CREATED = "comment.created"
HELD = "comment.held"
UPDATED = "comment.updated"
DELETED = "comment.deleted"
PRESENCE = "presence"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def comment_data(comment: Comment, event_type: str) -> dict[str, Any]:
    """The JSON shape of a comment event (the same fields the API's comment schema has)."""
    removed = getattr(comment, "placeholder", comment.is_deleted)
    author = comment.author
    return {
        "type": event_type,
        "comment": {
            "id": comment.pk,
            "post": comment.post_id,
            "parent": comment.parent_id,
            "thread_parent": comment.thread_parent_id,
            "depth": comment.depth,
            "author": (
                {"username": author.username, "name": author.name}
                if author is not None and not removed
                else None
            ),
            "body_html": "" if removed else comment.body_html,
            "status": comment.status,
            "created_at": _iso(comment.created_at),
            "edited_at": _iso(comment.edited_at),
            "deleted": removed,
        },
    }


def render_comment_event(comment: Comment, event_type: str) -> LiveEvent:
    """Render one event for every reader at once (viewer-neutral html plus data)."""
    prepare_single(comment)
    if event_type in {CREATED, HELD}:
        html = render_to_string(f"{FRAGMENTS}#created", {"comment": comment})
    else:
        html = render_to_string(f"{FRAGMENTS}#comment", {"comment": comment, "article_oob": True})
    return {"type": event_type, "html": html, "data": comment_data(comment, event_type)}


def _private_groups(comment: Comment) -> list[str]:
    """Moderators' pages, and the author's own, for comments the public must not see."""
    groups = [moderators_group(comment.post_id)]
    if comment.author_id is not None:
        groups.append(viewer_group(comment.post_id, comment.author_id))
    return groups


def comment_created(comment_id: int) -> None:
    """Announce a new (or newly approved) public comment to every reader of the post."""
    comment = comment_for_event(comment_id)
    if comment is None or not comment.is_public:
        return
    send_event([post_group(comment.post_id)], render_comment_event(comment, CREATED))


def comment_held(comment_id: int) -> None:
    """Show a held comment to moderators and its author only, marked awaiting approval."""
    comment = comment_for_event(comment_id)
    if comment is None or comment.status != Comment.Status.HELD:
        return
    send_event(_private_groups(comment), render_comment_event(comment, HELD))


def comment_updated(comment_id: int) -> None:
    """Replace an edited comment's article wherever it is shown."""
    comment = comment_for_event(comment_id)
    if comment is None:
        return
    groups = [post_group(comment.post_id)] if comment.is_public else _private_groups(comment)
    send_event(groups, render_comment_event(comment, UPDATED))


def comment_deleted(comment_id: int, *, public_only: bool | None = None) -> None:
    """Replace a deleted, rejected or spam comment with the "comment removed" placeholder.

    `public_only`: True when the comment was public until now (the whole post group is
    told; moderators' and the author's pages are in it too); False when it never was (only
    moderators and the author saw it); None decides from the comment's current status.
    """
    comment = comment_for_event(comment_id)
    if comment is None:
        return
    was_public = comment.is_public if public_only is None else public_only
    groups = [post_group(comment.post_id)] if was_public else _private_groups(comment)
    send_event(groups, _as_removed(comment))


def _as_removed(comment: Comment) -> LiveEvent:
    # Removed for everyone, even for a held comment that was only sent back to the queue.
    comment.placeholder = True
    comment.awaiting = False
    html = render_to_string(f"{FRAGMENTS}#comment", {"comment": comment, "article_oob": True})
    return {"type": DELETED, "html": html, "data": comment_data(comment, DELETED)}


def presence(post_id: int, count: int) -> None:
    """Tell every reader of the post how many readers it has now."""
    html = render_to_string(f"{FRAGMENTS}#presence", {"readers": count})
    send_event(
        [post_group(post_id)],
        {"type": PRESENCE, "html": html, "data": {"type": PRESENCE, "readers": count}},
    )
