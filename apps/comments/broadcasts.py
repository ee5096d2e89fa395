"""Group names and events for the live comment route (sent by `core.live.send_event`).

Every comment event goes to one group, `post_group(post_id)`, which every open page of
the post joins, and carries the post's sequence number (`apps.comments.services.stream`
numbers them in the change's transaction; `stream_event` sends one after commit). A held
comment's events are marked `private`: the consumer relays them in full only to
moderators and the comment's author and sends everyone else the number alone
(`skip_message`), so every socket sees every number once and can tell a gap. One group,
not one per audience: a socket either receives an event or misses it as a whole, and a
missed one is replayed by number.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from cachalot.api import cachalot_disabled
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.translation import override

from apps.blog.models import Post
from apps.comments.models import Comment, StreamEvent
from apps.comments.selectors.threads import comment_for_event, prepare_single
from apps.core.live import LiveEvent, send_event

# The one-line fragments an event carries, partials of one template.
FRAGMENTS = "comments/_fragments.html"


def post_group(post_id: int) -> str:
    """The channel group every open page of a post joins."""
    return f"comments.post.{post_id}"


# --------------------------------------------------------------------------
# Events (rendered once here; consumers only relay `html` or `data`)
# --------------------------------------------------------------------------

# Event types as the consumer's handlers see them ("comment.created" → comment_created).
CREATED = "comment.created"
HELD = "comment.held"
UPDATED = "comment.updated"
DELETED = "comment.deleted"
PRESENCE = "presence"
# A numbered event with nothing to show this socket (only its number).
SKIP = "live.skip"
# A catch-up out of reach: reload, then go on from the number it carries.
RELOAD = "live.reload"


class StreamMessage(LiveEvent):
    """A numbered event as group_send carries it; the consumer decides who sees `html`/`data`."""

    seq: int
    private: bool  # a held comment's: moderators and the author only
    author_id: int | None  # that author


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
            # An imported comment by someone without an account: the name only, never the address.
            "guest_name": comment.guest_name
            if author is None and not removed and comment.guest_name
            else None,
            "body_html": "" if removed else comment.body_html,
            "status": comment.status,
            "created_at": _iso(comment.created_at),
            "edited_at": _iso(comment.edited_at),
            "deleted": removed,
        },
    }


# Post id → language, as learnt by post_language(): read without a query by presence(),
# which runs in a plain worker thread where a database connection would never be returned
# to the pool (the integration suite ran out of connections when it queried there).
_known_languages: dict[int, str] = {}


@lru_cache(maxsize=4096)
def post_language(post_id: int) -> str:
    """The language of a post's page, which its live fragments are rendered in.

    A post's language is fixed when it is created, so each process asks once per post.
    Call it only where the database may be used (a request, database_sync_to_async).
    """
    language = Post.objects.filter(pk=post_id).values_list("language", flat=True).first()
    _known_languages[post_id] = language or settings.LANGUAGE_CODE
    return _known_languages[post_id]


def render_comment_event(comment: Comment, event_type: str) -> LiveEvent:
    """Render one event for every reader at once (viewer-neutral html plus data).

    In the language of the post's page, whoever wrote the comment in whichever language.
    """
    prepare_single(comment)
    with override(post_language(comment.post_id)):
        if event_type in {CREATED, HELD}:
            html = render_to_string(f"{FRAGMENTS}#created", {"comment": comment})
        else:
            html = render_to_string(
                f"{FRAGMENTS}#comment", {"comment": comment, "article_oob": True}
            )
    return {"type": event_type, "html": html, "data": comment_data(comment, event_type)}


def _as_removed(comment: Comment) -> LiveEvent:
    # Removed for everyone, even for a held comment that was only sent back to the queue.
    comment.placeholder = True
    comment.awaiting = False
    with override(post_language(comment.post_id)):
        html = render_to_string(f"{FRAGMENTS}#comment", {"comment": comment, "article_oob": True})
    return {"type": DELETED, "html": html, "data": comment_data(comment, DELETED)}


def presence(post_id: int, count: int) -> None:
    """Tell every reader of the post how many readers it has now."""
    # No query here (see _known_languages): the consumer learnt it when the socket opened.
    with override(_known_languages.get(post_id, settings.LANGUAGE_CODE)):
        html = render_to_string(f"{FRAGMENTS}#presence", {"readers": count})
    send_event(
        [post_group(post_id)],
        {"type": PRESENCE, "html": html, "data": {"type": PRESENCE, "readers": count}},
    )


def seq_marker(seq: int, *, reset: bool = False) -> str:
    """The element that tells comments-live.js an html frame's number (swapped into #live-seq)."""
    if reset:
        return format_html(
            '<span id="live-seq" hidden hx-swap-oob="true" data-live-seq="{}" data-live-reset>'
            "</span>",
            seq,
        )
    return format_html(
        '<span id="live-seq" hidden hx-swap-oob="true" data-live-seq="{}"></span>', seq
    )


def skip_message(seq: int) -> LiveEvent:
    """Number `seq` without content: for sockets that may not see the event it stands for."""
    return {"type": SKIP, "html": seq_marker(seq), "data": {"type": SKIP, "seq": seq}}


def reload_message(seq: int) -> LiveEvent:
    """Tell a client its catch-up is out of reach (pruned, or too long): reload, go on at `seq`."""
    status = render_to_string("comments/_live.html#live-status", {"live": True, "stale": True})
    return {
        "type": RELOAD,
        "html": seq_marker(seq, reset=True) + status,
        "data": {"type": RELOAD, "seq": seq},
    }


def _still_shown(event: StreamEvent, comment: Comment) -> bool:
    # Rendered from the comment as it is now: a public event of a comment that was held or
    # hidden since must not show its text to everyone (its later "deleted" event replaces
    # it with the placeholder anyway).
    if comment.is_public:
        return True
    return event.private and comment.status == Comment.Status.HELD and not comment.is_deleted


def stream_message(event: StreamEvent, comment: Comment) -> StreamMessage:
    """Render numbered event `event` of `comment` (prepared) for live relay and replay alike."""
    if event.kind == DELETED:
        live = _as_removed(comment)
    elif _still_shown(event, comment):
        live = render_comment_event(comment, event.kind)
    else:
        live = skip_message(event.seq)
    return {
        "type": live["type"],
        "html": seq_marker(event.seq) + live["html"] if live["type"] != SKIP else live["html"],
        "data": {**live["data"], "seq": event.seq},
        "seq": event.seq,
        "private": event.private,
        "author_id": comment.author_id,
    }


def stream_event(event_id: int) -> None:
    """Send numbered event `event_id` to every reader of its post (after its commit)."""
    # Read once, straight from the database: the rows are new, so django-cachalot would
    # only look for them in Redis, miss, and store them there for nobody.
    with cachalot_disabled():
        event = StreamEvent.objects.filter(pk=event_id).first()
        comment = comment_for_event(event.comment_id) if event is not None else None
    if event is None or comment is None:
        return  # pruned or deleted with its post since: nobody is left to tell
    send_event(post_group(event.post_id), stream_message(event, comment))
