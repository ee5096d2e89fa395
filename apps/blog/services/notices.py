"""Who hears about a post's workflow moves: its author (and coauthors) when it is published
or sent back. Blog knows who; `apps.notifications.services.notify` stores and delivers.

The workflow calls these inside the transaction that makes the move, so the move and its
notifications are stored together or not at all (a blip after the commit cannot lose
them); only the live push waits for the commit and may fail on its own.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils.text import Truncator

from apps.blog.models import Post
from apps.notifications.models import Kind, Notification
from apps.notifications.services import notify


@transaction.atomic
def notify_post_published(*, post_id: int, actor_id: int | None = None) -> list[Notification]:
    """Tell the author and coauthors their post is live (not the editor who published it)."""
    post = Post.objects.filter(pk=post_id, status=Post.Status.PUBLISHED).first()
    if post is None:
        return []
    title = Truncator(post.title).chars(120)
    return notify(
        recipient_ids=[post.author_id, *post.coauthors.values_list("pk", flat=True)],
        kind=Kind.POST_PUBLISHED,
        actor_id=actor_id,
        text=f"Your post “{title}” was published",
        url=post.get_absolute_url(),
        post_id=post.pk,
    )


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
