"""A failing after-commit side effect never fails the moderator (stack-notes trap 17).

Before apps.core.transactions.after_commit, moderation handed a functools.partial to
on_commit(robust=True); when it raised, Django's failure log read the partial's missing
__qualname__ and the AttributeError escaped into the moderator's request.
"""

import logging

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.comments.models import Comment
from apps.comments.services import approve_comment
from apps.comments.services import moderation as mod
from tests.factories.comments import CommentFactory

S = Comment.Status


def _broken_broadcast(event_id: int) -> None:
    raise RuntimeError("template bug in the live fragment")


def test_approve_comment_logs_a_failing_broadcast_and_keeps_the_decision(
    db, moderator, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    monkeypatch.setattr("apps.comments.broadcasts.stream_event", _broken_broadcast)
    monkeypatch.setattr(mod, "notify_for_comment", lambda *, comment_id: None)
    comment = CommentFactory.create(status=S.HELD)
    # Before the shared helper this raised AttributeError: Django logged the partial's
    # missing __qualname__.
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        approve_comment(actor=moderator, comment=comment)
    comment.refresh_from_db()
    assert comment.status == S.PUBLISHED
    assert "_broken_broadcast" in caplog.text


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_moderation_request_succeeds_when_its_after_commit_broadcast_fails(
    moderator, monkeypatch, caplog
):
    # A real commit at the end of the request, as in production: the callbacks run
    # inside the moderator's request, so an escaping error would be a 500.
    monkeypatch.setattr("apps.comments.broadcasts.stream_event", _broken_broadcast)
    monkeypatch.setattr(mod, "notify_for_comment", lambda *, comment_id: None)
    comment = CommentFactory.create(status=S.HELD)
    device = TOTPDevice.objects.create(user=moderator, name="test", confirmed=True)
    client = Client()
    client.force_login(moderator)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    url = reverse("dashboard:moderation_act", args=[comment.pk, "approve"])
    with caplog.at_level(logging.ERROR):
        response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    comment.refresh_from_db()
    assert comment.status == S.PUBLISHED
    assert "_broken_broadcast" in caplog.text
