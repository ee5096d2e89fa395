"""Numbering a post's live events (services.stream) and the number a post page carries."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from apps.comments import services
from apps.comments.models import StreamEvent
from apps.comments.services import stream
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_fresh_rate_limit", "notified")]


def _stream(post_id: int) -> list[tuple[int, str, int, bool]]:
    return list(
        StreamEvent.objects.filter(post_id=post_id)
        .order_by("seq")
        .values_list("seq", "kind", "comment_id", "private")
    )


def _page_seq(response) -> int:
    assert response.status_code == 200
    match = re.search(rb'data-live-root[^>]*data-live-seq="(\d+)"', response.content)
    assert match, "the live region carries no sequence number"
    return int(match.group(1))


def test_every_live_change_takes_the_posts_next_number(
    published_post, commenter, moderator, no_hold
):
    other_post = PostFactory.create(comments_open=True)
    shown = services.create_comment(actor=commenter, post=published_post, body="Shown")
    elsewhere = services.create_comment(actor=commenter, post=other_post, body="Elsewhere")
    services.edit_comment(actor=commenter, comment=shown, body="Edited")
    # An edit that adds links sends it back to the queue: removed for all, held for some.
    services.edit_comment(
        actor=commenter, comment=shown, body=" ".join(f"https://x{i}.example" for i in range(5))
    )
    services.approve_comment(actor=moderator, comment=shown)
    services.reject_comment(actor=moderator, comment=shown)
    gone = services.create_comment(actor=commenter, post=published_post, body="Gone")
    services.delete_comment(actor=commenter, comment=gone, second_factor=False)

    assert _stream(published_post.pk) == [
        (1, "comment.created", shown.pk, False),
        (2, "comment.updated", shown.pk, False),
        (3, "comment.deleted", shown.pk, False),
        (4, "comment.held", shown.pk, True),
        (5, "comment.created", shown.pk, False),
        (6, "comment.deleted", shown.pk, False),
        (7, "comment.created", gone.pk, False),
        (8, "comment.deleted", gone.pk, False),
    ]
    assert _stream(other_post.pk) == [(1, "comment.created", elsewhere.pk, False)]


def test_a_rolled_back_change_leaves_no_number_behind(published_post, commenter, no_hold):
    def fails_after_the_comment() -> None:
        with transaction.atomic():
            services.create_comment(actor=commenter, post=published_post, body="Never happened")
            raise RuntimeError("the request failed after the comment")

    with pytest.raises(RuntimeError):
        fails_after_the_comment()
    services.create_comment(actor=commenter, post=published_post, body="Happened")
    assert [seq for seq, *_ in _stream(published_post.pk)] == [1]


def test_old_events_are_pruned_by_age(published_post, settings):
    comment = CommentFactory.create(post=published_post)
    for _ in range(3):
        stream.record_event(comment=comment, kind=StreamEvent.Kind.UPDATED)
    old = timezone.now() - timedelta(days=settings.LIVE_EVENT_RETENTION_DAYS, minutes=1)
    StreamEvent.objects.filter(seq__lte=2).update(created_at=old)
    out = io.StringIO()
    call_command("prune_live_events", stdout=out)
    assert "Deleted 2 live event(s)." in out.getvalue()
    assert [seq for seq, *_ in _stream(published_post.pk)] == [3]
    # Numbering goes on from the counter, never from what is left.
    assert stream.record_event(comment=comment, kind=StreamEvent.Kind.UPDATED).seq == 4


def test_a_post_prunes_its_own_events_as_it_goes(published_post, settings, monkeypatch):
    monkeypatch.setattr(stream, "PRUNE_EVERY", 3)
    comment = CommentFactory.create(post=published_post)
    stream.record_event(comment=comment, kind=StreamEvent.Kind.UPDATED)
    old = timezone.now() - timedelta(days=settings.LIVE_EVENT_RETENTION_DAYS + 1)
    StreamEvent.objects.update(created_at=old)
    stream.record_event(comment=comment, kind=StreamEvent.Kind.UPDATED)
    stream.record_event(comment=comment, kind=StreamEvent.Kind.UPDATED)  # 3: prunes
    assert [seq for seq, *_ in _stream(published_post.pk)] == [2, 3]


def test_the_post_page_carries_the_number_it_was_rendered_at(published_post, commenter, no_hold):
    url = published_post.get_absolute_url()
    assert _page_seq(Client().get(url)) == 0
    services.create_comment(actor=commenter, post=published_post, body="One")
    services.create_comment(actor=commenter, post=published_post, body="Two")
    assert _page_seq(Client().get(url)) == 2


@pytest.mark.usefixtures("page_cache")
def test_a_cached_post_page_catches_up_from_when_it_was_rendered(
    published_post, commenter, other_commenter, no_hold, django_capture_on_commit_callbacks
):
    url = published_post.get_absolute_url()
    services.create_comment(actor=commenter, post=published_post, body="Before")
    assert Client().get(url)["X-Page-Cache"] == "miss"
    # Held: anonymous readers' page does not change, so the stored page stays; its socket
    # asks from 1 and is sent event 2 as a number alone.
    from apps.comments.models import ModerationSettings

    ModerationSettings.objects.filter(pk=1).update(hold=ModerationSettings.Hold.ALL)
    with django_capture_on_commit_callbacks(execute=True):
        services.create_comment(actor=other_commenter, post=published_post, body="Held")
    cached = Client().get(url)
    assert cached["X-Page-Cache"] == "hit"
    assert _page_seq(cached) == 1
    # A published comment changes the page: rendered again, with the new number.
    ModerationSettings.objects.filter(pk=1).update(hold=ModerationSettings.Hold.NONE)
    with django_capture_on_commit_callbacks(execute=True):  # invalidates after commit
        services.create_comment(actor=commenter, post=published_post, body="After")
    fresh = Client().get(url)
    assert fresh["X-Page-Cache"] == "miss"
    assert _page_seq(fresh) == 3
