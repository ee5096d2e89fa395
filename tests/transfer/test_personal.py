import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from qsessions.models import Session

from apps.accounts.audit import record_event
from apps.accounts.models import AuditEvent, Follow
from apps.blog.models import Post, Revision
from apps.newsletter.models import Consent, Source
from apps.notifications.models import Notification
from apps.transfer import personal
from apps.transfer.personal import personal_export_stream
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory
from tests.factories.newsletter import SubscriberFactory, SubscriptionFactory

PAGE = reverse("personal_data:page")
DOWNLOAD = reverse("personal_data:download")
PASSWORD = "correct-horse-battery"


def _zip(stream):
    return zipfile.ZipFile(io.BytesIO(b"".join(stream)))


def _json(archive, name):
    return json.loads(archive.read(name))


@pytest.fixture
def reader(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return UserFactory.create(username="rea", email="rea@example.com")


def _rich(reader):
    other = UserFactory.create(username="oth", email="other-secret@example.com")
    author = UserFactory.create(username="aut")
    post = PostFactory.create(author=author, title="Their post")
    mine = PostFactory.create(author=reader, title="My post")
    Revision.objects.create(post=mine, author=reader, title="Draft one", body="first")
    theirs = CommentFactory.create(post=post, author=other, body="Other's words")
    reply = CommentFactory.create(parent=theirs, author=reader, body="My reply")
    Notification.objects.create(
        recipient=reader, kind="comment_reply", actor=other, text="oth replied", comment=reply
    )
    Notification.objects.create(recipient=other, kind="mention", text="not mine")
    Follow.objects.create(follower=reader, author=author)
    Follow.objects.create(follower=other, author=reader)
    subscriber = SubscriberFactory.create(email=reader.email, user=reader)
    SubscriptionFactory.create(subscriber=subscriber)
    Consent.objects.create(
        subscriber=subscriber, source=Source.IMPORT, wording_version="v1", recorded_by=other
    )
    Session.objects.create(
        session_key="k" * 32,
        session_data="",
        expire_date=timezone.now(),
        user=reader,
        ip="203.0.113.9",
        user_agent="Firefox",
    )
    record_event(kind=AuditEvent.Kind.LOGIN, actor=reader, target=reader)
    record_event(kind=AuditEvent.Kind.ROLE_CHANGED, actor=other, target=reader, data={"by": 1})
    reader.avatar.save("rea.png", ContentFile(b"avatar-bytes"), save=True)
    return other


def test_personal_export_holds_the_readers_data(reader, monkeypatch):
    monkeypatch.setattr(personal, "CHUNK", 1)
    _rich(reader)
    CommentFactory.create(post=Post.objects.get(title="Their post"), author=reader, body="Two")
    archive = _zip(personal_export_stream(reader))
    names = set(archive.namelist())
    assert {
        "README.txt",
        "profile.json",
        "posts.json",
        "comments.json",
        "notifications.json",
        "follows.json",
        "newsletter.json",
        "sessions.json",
        "audit.json",
        "avatar/rea.png",
    } == names
    assert _json(archive, "profile.json")["email"] == "rea@example.com"
    posts = _json(archive, "posts.json")
    assert [p["title"] for p in posts] == ["My post"]
    assert posts[0]["revisions"][0]["title"] == "Draft one"
    comments = _json(archive, "comments.json")
    assert [c["body_markdown"] for c in comments] == ["My reply", "Two"]
    assert comments[0]["in_reply_to_comment_id"] is not None
    assert [n["text"] for n in _json(archive, "notifications.json")] == ["oth replied"]
    follows = _json(archive, "follows.json")
    assert follows == {"you_follow": [follows["you_follow"][0]], "followers_count": 1}
    assert follows["you_follow"][0]["author"] == "aut"
    newsletter = _json(archive, "newsletter.json")
    assert newsletter["subscriptions"][0]["status"] == "active"
    assert newsletter["consents"][0]["recorded_by"] == "staff"
    sessions = _json(archive, "sessions.json")
    assert sessions[0]["ip"] == "203.0.113.9"
    assert "session_key" not in sessions[0]
    audit = _json(archive, "audit.json")
    assert [(e["event"], e["by"]) for e in audit] == [("login", "you"), ("role_changed", "staff")]
    assert audit[1]["details"] == {}
    assert audit[1]["ip"] is None
    assert archive.read("avatar/rea.png") == b"avatar-bytes"
    assert "profile.json" in archive.read("README.txt").decode()


def test_personal_export_never_holds_other_peoples_personal_data(reader):
    _rich(reader)
    blob = b"".join(archive_bytes for archive_bytes in personal_export_stream(reader))
    everything = b"".join(
        zipfile.ZipFile(io.BytesIO(blob)).read(n)
        for n in zipfile.ZipFile(io.BytesIO(blob)).namelist()
    )
    assert b"other-secret@example.com" not in everything
    assert b"Other's words" not in everything
    assert b"not mine" not in everything


def test_personal_export_of_a_quiet_reader_is_valid(reader):
    archive = _zip(personal_export_stream(reader))
    assert _json(archive, "posts.json") == []
    assert _json(archive, "newsletter.json")["subscriber"] is None
    assert "avatar/" not in " ".join(archive.namelist())


# Views


def test_personal_data_page_needs_sign_in(db, client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert client.post(DOWNLOAD).status_code == 302


def test_personal_data_page_full_and_partial(reader, client):
    client.force_login(reader)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert b"Download my data" in page.content
    assert b'name="password"' in page.content
    assert b"Your data</a>" in page.content  # the account navigation
    partial = client.get(PAGE, HTTP_HX_REQUEST="true")
    assert b'id="personal-data-form"' in partial.content
    assert b"<html" not in partial.content


def test_personal_download_with_password_streams_and_audits(reader, client):
    client.force_login(reader)
    response = client.post(DOWNLOAD, {"password": PASSWORD})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="rea-data-')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "profile.json" in archive.namelist()
    event = AuditEvent.objects.get(kind="personal_data_exported")
    assert event.actor == reader
    assert event.target == reader


def test_personal_download_refuses_a_wrong_password(reader, client):
    client.force_login(reader)
    response = client.post(DOWNLOAD, {"password": "nope"})
    assert response.status_code == 400
    assert b"That password is not right." in response.content
    assert not AuditEvent.objects.filter(kind="personal_data_exported").exists()


def test_personal_download_with_a_second_factor_needs_a_verified_session(reader, client):
    device = TOTPDevice.objects.create(user=reader, name="t", confirmed=True)
    client.force_login(reader)
    refused = client.post(DOWNLOAD)
    assert refused.status_code == 400
    assert b"Confirm your second factor" in refused.content
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert b'name="password"' not in client.get(PAGE).content
    assert client.post(DOWNLOAD).status_code == 200


def test_personal_download_without_password_needs_a_recent_sign_in(db, client):
    user = UserFactory.create(password=None)
    user.set_unusable_password()
    user.last_login = timezone.now() - timedelta(hours=2)
    user.save()
    client.force_login(user)  # stamps last_login: set it back to two hours ago
    user.last_login = timezone.now() - timedelta(hours=2)
    user.save(update_fields=["last_login"])
    assert b"sign in again" in client.post(DOWNLOAD).content
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    assert client.post(DOWNLOAD).status_code == 200


def test_personal_download_is_rate_limited(reader, client, settings):
    settings.PERSONAL_EXPORT_RATE_LIMIT = 2
    client.force_login(reader)
    for _ in range(2):
        assert client.post(DOWNLOAD, {"password": PASSWORD}).status_code == 200
    refused = client.post(DOWNLOAD, {"password": PASSWORD})
    assert refused.status_code == 429
    assert b"Data downloads are limited: at most 2 every 60 minutes" in refused.content
    assert "Retry-After" in refused
    assert AuditEvent.objects.filter(kind="personal_data_exported").count() == 2


def test_personal_download_is_post_only(reader, client):
    client.force_login(reader)
    assert client.get(DOWNLOAD).status_code == 405
