import io
import zipfile
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from cachalot.api import invalidate as cachalot_invalidate
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from apps.accounts.models import AuditEvent, Follow
from apps.analytics.models import DailyRollup, HourlyRollup, RolledDay
from apps.blog.models import PostImage, PostSlug, Revision
from apps.comments.models import Comment, ModerationSettings
from apps.newsletter.models import Consent, Delivery, Source, Suppression
from apps.notifications.models import Notification, NotificationPreference
from apps.transfer.exporting import rows as rows_module
from apps.transfer.exporting import stream_site_export
from apps.transfer.exporting.registry import specs_for
from apps.transfer.exporting.rows import iter_rows
from apps.transfer.models import LegacyRedirect
from apps.transfer.portable import import_site_export
from tests.factories.accounts import UserFactory
from tests.factories.blog import CategoryFactory, PostFactory, TagFactory
from tests.factories.comments import CommentFactory, CommentReportFactory
from tests.factories.newsletter import (
    CampaignFactory,
    NewsletterFactory,
    SubscriberFactory,
    SubscriptionFactory,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def build_site():
    """A small site with one of everything the export covers."""
    author = UserFactory.create(username="ada", bio="Writes *things*.")
    author.avatar.save("ada.png", ContentFile(PNG), save=True)
    editor = UserFactory.create(username="ed")
    editor.groups.add(Group.objects.get(name="editor"))
    reader = UserFactory.create(username="rea", last_login=timezone.now())
    EmailAddress.objects.create(user=reader, email=reader.email, verified=True, primary=True)
    Follow.objects.create(follower=reader, author=author)
    category = CategoryFactory.create(name="Essays", description="Long ones")
    tags = [TagFactory.create(name=n) for n in ("python", "django")]
    post = PostFactory.create(author=author, category=category, tags=tags, featured=True)
    post.coauthors.add(editor)
    post.cover_image.save("cover.png", ContentFile(PNG + b"cover"), save=True)
    draft = PostFactory.create(author=author, status="draft", published_at=None, body="Draft ✍️")
    PostSlug.objects.create(post=post, slug="old-slug")
    Revision.objects.create(post=post, author=author, title="v1", body="first", note="start")
    Revision.objects.create(post=draft, author=None, title="v0", body="zero")
    image = PostImage(post=post, uploaded_by=author, width=10, height=10, alt="A dot")
    image.original.save("dot.png", ContentFile(PNG + b"dot"), save=False)
    default_storage.save("images/dot-640.webp", ContentFile(b"webp-bytes"))
    image.renditions = {"640": "images/dot-640.webp"}
    image.save()
    top = CommentFactory.create(post=post, author=reader)
    reply = CommentFactory.create(parent=top, author=author)
    deep = CommentFactory.create(parent=reply, author=reader)
    CommentFactory.create(parent=deep, author=editor, status="held", held_reason="links")
    CommentFactory.create(post=post, author=None, status="spam")
    # Imported from WordPress: a guest's comment and the old permalink that still answers.
    CommentFactory.create(
        post=post, author=None, guest_name="Wanda Guest", guest_email="wanda@example.com"
    )
    LegacyRedirect.objects.create(old_path="/2019/05/hello-world", post=post)
    LegacyRedirect.objects.create(old_path="/?p=7", target_path="/tags/python/")
    CommentReportFactory.create(comment=top, reporter=editor)
    settings_row = ModerationSettings.objects.first() or ModerationSettings(pk=1)
    settings_row.blocklist = "spam\neggs"
    settings_row.hold = "all"
    settings_row.save()
    notification = Notification.objects.create(
        recipient=author, kind="comment_reply", actor=reader, text="Rea replied", comment=reply
    )
    assert notification.pk
    NotificationPreference.objects.create(user=reader, kind="mention", delivery="email")
    letter = NewsletterFactory.create(name="Weekly", slug="weekly-x")
    subscriber = SubscriberFactory.create(email="sub@example.com", user=reader)
    SubscriptionFactory.create(subscriber=subscriber, newsletter=letter)
    Consent.objects.create(subscriber=subscriber, source=Source.PAGE, wording_version="v2")
    Suppression.objects.create(email="bounced@example.com", reason="bounced")
    campaign = CampaignFactory.create(post=post, status="sent")
    campaign.newsletters.add(letter)
    Delivery.objects.create(campaign=campaign, subscriber=subscriber, email=subscriber.email)
    AuditEvent.objects.create(kind="login", actor=reader, data={"k": [1, 2]})
    day = timezone.now().date()
    RolledDay.objects.create(day=day)
    DailyRollup.objects.create(day=day, scope="page", scope_value="/x/", post_id=post.pk, visits=3)
    HourlyRollup.objects.create(hour=timezone.now().replace(minute=0), day=day, pageviews=9)
    return {"author": author, "post": post}


def snapshot(*, with_passwords):
    """Every exported field of every row, per model, plus the media bytes."""
    rows = {}
    for spec in specs_for(with_passwords=with_passwords):
        found = list(iter_rows(spec, with_passwords=with_passwords))
        if spec.label == "accounts.auditevent":
            found = [r for r in found if r["fields"]["kind"] != "site_imported"]
        rows[spec.label] = found
    return rows


def media_bytes(names):
    return {name: default_storage.open(name).read() for name in names}


def wipe():
    """Empty every exported table (an empty site, as after `migrate` on a new database)."""
    labels = [spec.label for spec in specs_for(with_passwords=True)]
    tables = [apps.get_model(label)._meta.db_table for label in labels]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            quoted = ", ".join(connection.ops.quote_name(t) for t in tables)
            # Inside a test's transaction, deferred foreign-key checks are still pending and
            # TRUNCATE refuses to run past them: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        else:
            with connection.constraint_checks_disabled():
                for table in reversed(tables):
                    cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608
    cachalot_invalidate()  # raw SQL: tell the query cache


def export_bytes(*, with_passwords):
    return b"".join(stream_site_export(with_passwords=with_passwords))


def _roundtrip(settings, tmp_path, *, with_passwords):
    settings.MEDIA_ROOT = tmp_path / "media"
    build_site()
    before = snapshot(with_passwords=with_passwords)
    data = export_bytes(with_passwords=with_passwords)
    names = [
        n[len("media/") :]
        for n in zipfile.ZipFile(io.BytesIO(data)).namelist()
        if n.startswith("media/")
    ]
    files = media_bytes(names)
    assert len(files) == 4  # avatar, cover, original, rendition
    wipe()
    for name in names:
        default_storage.delete(name)
    report = import_site_export(io.BytesIO(data))
    after = snapshot(with_passwords=with_passwords)
    for label, rows in before.items():
        assert after[label] == rows, label
    assert media_bytes(names) == files
    assert report.media_files == 4
    assert report.total_rows == sum(len(r) for r in before.values())
    return before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_site_export_roundtrip_sqlite(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(rows_module, "CHUNK_SIZE", 2)  # many keyset pages per model
    before = _roundtrip(settings, tmp_path, with_passwords=False)
    empty = {label for label, rows in before.items() if not rows}
    assert empty == {
        "accounts.user_user_permissions",
        "socialaccount.socialaccount",
        "notifications.notificationemail",
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_site_export_roundtrip_postgres(settings, tmp_path):
    _roundtrip(settings, tmp_path, with_passwords=False)
    # Sequences were moved past the restored ids: new rows get fresh ones.
    post = PostFactory.create()
    comment = CommentFactory.create(post=post)
    assert comment.pk > Comment.objects.exclude(pk=comment.pk).order_by("-pk")[0].pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_bundle_roundtrip_keeps_passwords_and_audit(settings, tmp_path):
    before = _roundtrip(settings, tmp_path, with_passwords=True)
    assert before["accounts.auditevent"]
    from apps.accounts.models import User

    assert User.objects.get(username="ada").check_password("correct-horse-battery")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_import_without_passwords_leaves_unusable_passwords(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    build_site()
    data = export_bytes(with_passwords=False)
    wipe()
    import_site_export(io.BytesIO(data))
    from apps.accounts.models import User

    assert User.objects.count() == 3
    assert not any(u.has_usable_password() for u in User.objects.all())
    assert timezone.now() - User.objects.get(username="ada").date_joined < timedelta(hours=1)
