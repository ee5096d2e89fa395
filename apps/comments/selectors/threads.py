"""Comment reads shared by the post page, the comment endpoints, the consumer and the API.

Visibility, in one place (`_sees`): everyone sees published comments (a deleted one as a
"comment removed" placeholder); an author also sees their own held comments; moderators
see every held comment. Rejected and spam comments are hidden, except as a placeholder
when a visible reply hangs below them, so a thread never loses its shape.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.accounts.selectors import has_verified_email
from apps.blog.models import Post
from apps.comments.models import Comment, ModerationSettings

AnyUser = User | AnonymousUser

# The replay after a socket reconnects sends at most this many comments.
MAX_REPLAY = 200


def moderation_settings() -> ModerationSettings:
    """The site's moderation rules (row pk=1, created with defaults on first use)."""
    # No cache of our own: cachalot caches this query and invalidates it on every write,
    # so an editor's change applies at once in every process.
    rules, _ = ModerationSettings.objects.get_or_create(pk=1)
    return rules


def _is_moderator(viewer: AnyUser) -> bool:
    return can(viewer, "comment.moderate")


def _sees(comment: Comment, viewer: AnyUser, *, moderator: bool) -> bool:
    if comment.status == Comment.Status.PUBLISHED:
        return True
    if comment.status != Comment.Status.HELD or comment.is_deleted:
        return False
    return moderator or (viewer.is_authenticated and comment.author_id == viewer.pk)


def _visible_filter(viewer: AnyUser, *, moderator: bool) -> Q:
    # The queryset twin of `_sees`, for reads that do not load the whole thread.
    visible = Q(status=Comment.Status.PUBLISHED)
    if moderator:
        visible |= Q(status=Comment.Status.HELD, deleted_at__isnull=True)
    elif viewer.is_authenticated:
        visible |= Q(status=Comment.Status.HELD, deleted_at__isnull=True, author_id=viewer.pk)
    return visible


def _with_relations(comments: QuerySet[Comment]) -> QuerySet[Comment]:
    return comments.select_related("author", "parent__author")


def comment_thread(*, post: Post, viewer: AnyUser) -> list[Comment]:
    """The post's top-level comments, each with `.thread_replies` (the whole tree, one query).

    Every returned comment also carries `.placeholder` (render "comment removed") and
    `.awaiting` (held: "awaiting approval"); `comment.parent` is preloaded for "in reply to".
    """
    moderator = _is_moderator(viewer)
    # Every status in one query: hidden comments still decide where visible replies hang.
    rows = list(Comment.objects.filter(post=post).select_related("author").order_by("id"))
    by_id: dict[int, Comment] = {c.pk: c for c in rows}
    children: dict[int | None, list[Comment]] = {}
    for comment in rows:
        parent = by_id.get(comment.parent_id) if comment.parent_id else None
        if parent is not None:
            # Preload the relation: "in reply to @name" must not query per comment.
            Comment.parent.field.set_cached_value(comment, parent)
        children.setdefault(comment.thread_parent_id, []).append(comment)

    def build(comment: Comment) -> bool:
        """Attach visible replies; True when the comment or a reply below it is shown."""
        replies = [reply for reply in children.get(comment.pk, []) if build(reply)]
        shown = _sees(comment, viewer, moderator=moderator)
        _annotate(comment, replies, placeholder=comment.is_deleted or not shown)
        return shown or bool(replies)

    return [comment for comment in children.get(None, []) if build(comment)]


def _annotate(comment: Comment, replies: list[Comment], *, placeholder: bool) -> None:
    comment.thread_replies = replies
    comment.more_replies = 0
    comment.placeholder = placeholder
    comment.awaiting = comment.status == Comment.Status.HELD and not placeholder


def count_shown(thread: list[Comment]) -> int:
    """How many comments of a thread from `comment_thread` are shown (not placeholders)."""
    total = 0
    stack = list(thread)
    while stack:
        comment = stack.pop()
        total += not comment.placeholder
        stack.extend(comment.thread_replies)
    return total


def thread_author_ids(thread: list[Comment]) -> set[int]:
    """The accounts whose names a thread from `comment_thread` shows (its comments' authors)."""
    ids: set[int] = set()
    stack = list(thread)
    while stack:
        comment = stack.pop()
        if comment.author_id is not None:
            ids.add(comment.author_id)
        stack.extend(comment.thread_replies)
    return ids


def thread_signature(thread: list[Comment]) -> str:
    """A digest of everything the rendered thread shows; the key of its cached HTML.

    The thread's HTML is the same for every viewer who sees the same comments (per-viewer
    controls load separately), and rendering 200 comments costs far more than loading
    them, so the post page caches the rendering under this digest: any edit, removal,
    approval, new reply, or author's new name or avatar changes it.
    """
    digest = hashlib.blake2b(digest_size=16)
    stack = list(reversed(thread))
    while stack:
        comment = stack.pop()
        author = comment.author
        parent_author = comment.parent.author if comment.parent_id and comment.parent else None
        digest.update(
            repr(
                (
                    comment.pk,
                    comment.placeholder,
                    comment.awaiting,
                    comment.edited_at,
                    comment.body_html,
                    author and (author.pk, author.name, str(author.avatar)),
                    comment.guest_name,
                    parent_author and parent_author.username,
                    len(comment.thread_replies),
                )
            ).encode()
        )
        stack.extend(reversed(comment.thread_replies))
    return digest.hexdigest()


def prepare_single(comment: Comment) -> Comment:
    """Mark one comment for rendering outside a thread (events, fragments)."""
    removed = comment.status in {Comment.Status.REJECTED, Comment.Status.SPAM}
    _annotate(comment, [], placeholder=comment.is_deleted or removed)
    return comment


def comments_after(*, post: Post, viewer: AnyUser, after_id: int) -> list[Comment]:
    """Comments of the post newer than `after_id` that the viewer may see (replay, catch-up)."""
    visible = _visible_filter(viewer, moderator=_is_moderator(viewer))
    comments = _with_relations(
        Comment.objects.filter(visible, post=post, pk__gt=after_id, deleted_at__isnull=True)
    ).order_by("id")[:MAX_REPLAY]
    return [prepare_single(c) for c in comments]


def visible_comment(*, viewer: AnyUser, comment_id: int) -> Comment | None:
    """The comment if its post is public and the viewer may see it, else None."""
    visible = _visible_filter(viewer, moderator=_is_moderator(viewer))
    comment = (
        _with_relations(Comment.objects.filter(visible, pk=comment_id))
        .select_related("post")
        .first()
    )
    if comment is None or not comment.post.is_public:
        return None
    return prepare_single(comment)


# The post's text is not part of a comment's fragment (its address is): read without it.
_POST_TEXT = ("post__body", "post__body_html", "post__toc", "post__review_note")


def comment_for_event(comment_id: int) -> Comment | None:
    """One comment with what its broadcast fragment shows (any status), or None if gone."""
    # Sent before the comment's POST is answered, for every new comment: without the post's
    # text, the row is a few hundred bytes instead of the whole post (and its cached copy).
    comment = (
        _with_relations(Comment.objects.filter(pk=comment_id))
        .select_related("post")
        .defer(*_POST_TEXT)
        .first()
    )
    return prepare_single(comment) if comment is not None else None


def can_read_post_comments(*, viewer: AnyUser, post_id: int) -> bool:
    """True when the post is public, so its comments (and live route) may be read."""
    post = Post.objects.filter(pk=post_id).only("status", "published_at").first()
    return post is not None and post.is_public


def public_post_for_comments(post_id: int) -> Post | None:
    """The public post comments are written on, or None when it is unknown or not public."""
    # Not the body: the form and its gate need the post's state, not its text.
    post = Post.objects.defer("body", "body_html", "toc").filter(pk=post_id).first()
    return post if post is not None and post.is_public else None


def commenting_gate(*, viewer: AnyUser, post: Post) -> str:
    """Why the viewer may not comment on the post ("closed", "anonymous", "unverified"), or ""."""
    if not post.comments_open:
        return "closed"
    if not isinstance(viewer, User) or not viewer.is_authenticated:
        return "anonymous"
    if not has_verified_email(viewer):
        return "unverified"
    return ""


def reply_target(*, post: Post, comment_id: int) -> Comment | None:
    """The comment on `post` a reply names (any status: the service says why it is refused)."""
    return Comment.objects.filter(pk=comment_id, post=post).select_related("author").first()


def comment_on_public_post(comment_id: int) -> Comment | None:
    """A comment of any status whose post is public (writes check permissions themselves)."""
    comment = _with_relations(Comment.objects.filter(pk=comment_id)).select_related("post").first()
    if comment is None or not comment.post.is_public:
        return None
    return comment
