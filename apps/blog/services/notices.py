"""Who hears about a post's workflow moves: its author (and coauthors) when it is published
or sent back, and the readers who follow them when it goes live. Blog knows who;
`apps.notifications.services.notify` stores and delivers.

The workflow calls these inside the transaction that makes the move, so the move and its
notifications are stored together or not at all (a blip after the commit cannot lose
them); only the live push waits for the commit and may fail on its own.

Followers are told after the commit instead (`notify_followers`): an author may have many,
and their notifications should not hold the publishing transaction's row locks. It runs a
fixed number of queries for any number of followers (ids in one query, notifications in
batched inserts) and tells each follower about a post once, so a post archived and
published again, or a task run twice, does not repeat it.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils.text import Truncator

from apps.accounts.selectors import follower_ids
from apps.blog.models import Post
from apps.core.transactions import after_commit
from apps.notifications.models import Kind, Notification
from apps.notifications.services import notify

# Followers are notified in inserts of this many rows.
FOLLOWER_BATCH = 1000


@transaction.atomic
def notify_post_published(*, post_id: int, actor_id: int | None = None) -> list[Notification]:
    """Tell the author and coauthors their post is live (not the editor who published it)."""
    post = Post.objects.filter(pk=post_id, status=Post.Status.PUBLISHED).first()
    if post is None:
        return []
    title = Truncator(post.title).chars(120)
    notifications = notify(
        recipient_ids=[post.author_id, *post.coauthors.values_list("pk", flat=True)],
        kind=Kind.POST_PUBLISHED,
        actor_id=actor_id,
        text=f"Your post “{title}” was published",
        url=post.get_absolute_url(),
        post_id=post.pk,
    )
    after_commit(notify_followers, post_id=post.pk)
    return notifications


@transaction.atomic
def notify_followers(*, post_id: int) -> int:
    """Tell the readers following the post's author or coauthors that it is out; how many heard.

    Only while the post is still published, and never twice about the same post.
    """
    post = (
        Post.objects.filter(pk=post_id, status=Post.Status.PUBLISHED)
        .select_related("author")
        .first()
    )
    if post is None:
        return 0
    authors = [post.author_id, *post.coauthors.values_list("pk", flat=True)]
    already = Notification.objects.filter(post_id=post.pk, kind=Kind.AUTHOR_PUBLISHED).values(
        "recipient_id"
    )
    # The authors themselves hear through notify_post_published.
    recipients = list(
        follower_ids(author_ids=authors)
        .exclude(follower_id__in=authors)
        .exclude(follower_id__in=already)
    )
    title = Truncator(post.title).chars(120)
    told = 0
    for start in range(0, len(recipients), FOLLOWER_BATCH):
        told += len(
            notify(
                recipient_ids=recipients[start : start + FOLLOWER_BATCH],
                kind=Kind.AUTHOR_PUBLISHED,
                actor_id=post.author_id,
                text=f"{post.author.name} published “{title}”",
                url=post.get_absolute_url(),
                post_id=post.pk,
            )
        )
    return told


@transaction.atomic
def notify_post_sent_back(*, post_id: int, actor_id: int) -> list[Notification]:
    """Tell the author an editor sent their post back to draft, with the editor's note."""
    post = Post.objects.filter(pk=post_id).first()
    if post is None:
        return []
    title = Truncator(post.title).chars(80)
    note = f": {post.review_note}" if post.review_note else ""
    return notify(
        recipient_ids=[post.author_id],
        kind=Kind.POST_SENT_BACK,
        actor_id=actor_id,
        text=f"Your post “{title}” was sent back{note}",
        url=reverse("dashboard:post_edit", kwargs={"pk": post.pk}),
        post_id=post.pk,
    )
