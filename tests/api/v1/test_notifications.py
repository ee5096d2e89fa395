from __future__ import annotations

import pytest
from django.utils import timezone

from apps.comments.models import ModerationSettings
from apps.notifications.models import (
    ADMIN_KINDS,
    Delivery,
    Kind,
    Notification,
    NotificationPreference,
)
from apps.notifications.selectors import unread_count
from tests.api.conftest import access_for, call
from tests.comments.conftest import make_verified
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


def notify(recipient, *, read=False, actor=None, text="Someone replied"):
    return Notification.objects.create(
        recipient=recipient,
        kind=Kind.COMMENT_REPLY,
        actor=actor,
        text=text,
        url="/posts/hello/#comment-1",
        read_at=timezone.now() if read else None,
    )


@pytest.fixture
def token(reader):
    return access_for(reader)


def test_list_notifications_is_yours_newest_first(api, reader, token):
    actor = UserFactory.create(username="ada")
    old = notify(reader, read=True)
    new = notify(reader, actor=actor)
    notify(UserFactory.create())  # someone else's

    data = call(api, "get", "/api/v1/notifications", token=token).json()

    assert [item["id"] for item in data["items"]] == [new.pk, old.pk]
    assert data["unread"] == 1
    assert data["count"] == 2
    item = data["items"][0]
    assert item["actor"] == "ada"
    assert item["kind"] == "comment_reply"
    assert item["read"] is False
    assert item["url"] == "/posts/hello/#comment-1"


def test_list_notifications_unread_only(api, reader, token):
    notify(reader, read=True)
    unread = notify(reader)

    data = call(api, "get", "/api/v1/notifications?unread=true", token=token).json()

    assert [item["id"] for item in data["items"]] == [unread.pk]


def test_list_notifications_pages(api, reader, token):
    for _ in range(3):
        notify(reader)

    data = call(api, "get", "/api/v1/notifications?page_size=2", token=token).json()

    assert (data["count"], data["pages"], len(data["items"])) == (3, 2, 2)
    assert "page=2" in data["next"]


def test_list_notifications_needs_a_token(api):
    response = call(api, "get", "/api/v1/notifications")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def _count_queries(api, token):
    with count_queries() as ctx:
        response = call(api, "get", "/api/v1/notifications?page_size=50", token=token)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_notifications_query_count_is_the_same_for_2_and_30(api, reader, token):
    actor = UserFactory.create()
    notify(reader, actor=actor)
    notify(reader)
    two = _count_queries(api, token)
    for n in range(28):
        notify(reader, actor=UserFactory.create(), read=n % 2 == 0)

    thirty = _count_queries(api, token)

    assert two == thirty


def test_mark_read_by_ids_returns_the_unread_count(api, reader, token):
    first, second = notify(reader), notify(reader)
    theirs = notify(UserFactory.create())

    response = call(
        api,
        "post",
        "/api/v1/notifications/read",
        token=token,
        body={"ids": [first.pk, theirs.pk]},
    )

    assert response.status_code == 200
    assert response.json() == {"marked": 1, "unread": 1}
    second.refresh_from_db()
    theirs.refresh_from_db()
    assert second.read_at is None
    assert theirs.read_at is None


def test_mark_read_all(api, reader, token):
    notify(reader)
    notify(reader)

    response = call(api, "post", "/api/v1/notifications/read", token=token, body={"all": True})

    assert response.json() == {"marked": 2, "unread": 0}
    assert unread_count(reader) == 0


@pytest.mark.parametrize(
    "body", [{}, {"ids": [1], "all": True}, {"all": False}, {"ids": "x"}, {"every": True}]
)
def test_mark_read_refuses_unclear_bodies(api, token, body):
    response = call(api, "post", "/api/v1/notifications/read", token=token, body=body)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_preferences_default_to_in_app_for_every_kind(api, token):
    data = call(api, "get", "/api/v1/notifications/preferences", token=token).json()

    assert data == dict.fromkeys(set(Kind.values) - ADMIN_KINDS, "in_app")


def test_put_preferences_changes_the_kinds_sent(api, reader, token):
    response = call(
        api,
        "put",
        "/api/v1/notifications/preferences",
        token=token,
        body={"mention": "email", "post_comment": "off"},
    )

    assert response.status_code == 200
    assert response.json()["mention"] == "email"
    assert response.json()["post_comment"] == "off"
    assert response.json()["comment_reply"] == "in_app"
    assert NotificationPreference.objects.get(user=reader, kind="mention").delivery == (
        Delivery.EMAIL
    )


def test_put_preferences_refuses_unknown_kinds_and_values(api, token):
    response = call(
        api,
        "put",
        "/api/v1/notifications/preferences",
        token=token,
        body={"mention": "pigeon", "weather": "email"},
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"mention", "weather"}


def test_preference_schemas_list_every_kind():
    from apps.api.schemas_comments import PreferencesIn, PreferencesOut

    # Admins' notices about the site (a webhook switched off) are not a reader's choice.
    assert set(PreferencesIn.model_fields) == set(Kind.values) - ADMIN_KINDS
    assert set(PreferencesOut.model_fields) == set(Kind.values) - ADMIN_KINDS


def test_notification_from_an_api_comment_reaches_the_post_author(
    api, token, reader, django_capture_on_commit_callbacks
):
    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hold": ModerationSettings.Hold.NONE}
    )
    post = PostFactory.create(author=reader, comments_open=True)
    commenter = make_verified(UserFactory.create())

    with django_capture_on_commit_callbacks(execute=True):
        created = call(
            api,
            "post",
            f"/api/v1/posts/{post.slug}/comments",
            token=access_for(commenter),
            body={"body": "Lovely."},
        )

    assert created.status_code == 201
    items = call(api, "get", "/api/v1/notifications", token=token).json()["items"]
    assert [(item["kind"], item["comment"]) for item in items] == [
        ("post_comment", created.json()["id"])
    ]
