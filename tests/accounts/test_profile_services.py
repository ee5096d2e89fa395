"""Profile and deletion services: permission, validation before any write, audit."""

import io
import os
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from qsessions.models import Session

from apps.accounts.models import AuditEvent, User
from apps.accounts.placeholders import FORMER_AUTHOR_USERNAME, former_author
from apps.accounts.profile import services
from apps.accounts.profile.services import ProfileChanges, delete_account, update_profile
from apps.accounts.roles import Role
from apps.accounts.services import grant_role_as_system
from apps.blog.models import Post
from tests.accounts.conftest import (
    PASSWORD,
    make_backup_codes,
    make_totp_device,
    totp_token,
    unthrottle,
)
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.factories.comments import CommentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (300, 300), (1, 2, 3)).save(out, format="PNG")
    return SimpleUploadedFile("a.png", out.getvalue())


def _changes(user: User, **overrides) -> ProfileChanges:
    fields: dict[str, Any] = {
        "display_name": user.display_name,
        "username": user.username,
        "bio": user.bio,
    }
    fields.update(overrides)
    return ProfileChanges(**fields)


def test_update_profile_refuses_someone_elses_profile():
    user, other = UserFactory.create(), UserFactory.create()
    with pytest.raises(PermissionDenied):
        update_profile(actor=other, user=user, changes=_changes(user, display_name="Hacked"))
    user.refresh_from_db()
    assert user.display_name != "Hacked"


def test_update_profile_lets_an_admin_fix_a_profile():
    user = UserFactory.create()
    admin = grant_role_as_system(user=UserFactory.create(), role=Role.ADMIN, reason="test")
    update_profile(actor=admin, user=user, changes=_changes(user, display_name="Fixed"))
    user.refresh_from_db()
    assert user.display_name == "Fixed"
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.PROFILE_UPDATED)
    assert (event.actor, event.target) == (admin, user)


def test_update_profile_collects_every_error_and_writes_nothing(tmp_path):
    UserFactory.create(username="taken")
    user = UserFactory.create(display_name="Before")
    fake = SimpleUploadedFile("x.png", b"not an image")
    with pytest.raises(ValidationError) as info:
        update_profile(
            actor=user,
            user=user,
            changes=_changes(user, display_name="x" * 81, username="Taken", avatar=fake),
        )
    assert set(info.value.message_dict) == {"display_name", "username", "avatar"}
    user.refresh_from_db()
    assert user.display_name == "Before"
    assert not (tmp_path / "avatars").exists()
    assert not AuditEvent.objects.exists()


def test_replacing_an_avatar_removes_the_old_file_after_commit(
    django_capture_on_commit_callbacks,
):
    user = UserFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        update_profile(actor=user, user=user, changes=_changes(user, avatar=_png()))
    first = user.avatar.path
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        update_profile(actor=user, user=user, changes=_changes(user, avatar=_png()))
    second = user.avatar.path
    assert first != second
    assert os.path.exists(first)  # still there until the transaction commits
    for callback in callbacks:
        callback()
    assert not os.path.exists(first)
    assert os.path.exists(second)


def test_a_username_race_is_reported_and_the_new_avatar_file_removed(monkeypatch, tmp_path):
    UserFactory.create(username="winner")
    user = UserFactory.create(username="loser")
    # The other request saved "winner" after our uniqueness check passed.
    monkeypatch.setattr(services, "clean_username", lambda value, user=None: value.lower())
    with pytest.raises(ValidationError) as info:
        update_profile(
            actor=user, user=user, changes=_changes(user, username="winner", avatar=_png())
        )
    assert info.value.message_dict == {"username": ["This username is taken."]}
    user.refresh_from_db()
    assert user.username == "loser"
    assert not list((tmp_path / "avatars").iterdir())


def test_former_author_is_created_once_inactive_and_without_a_password():
    placeholder = former_author()
    assert former_author() == placeholder
    assert placeholder.username == FORMER_AUTHOR_USERNAME
    assert placeholder.name == "Former author"
    assert not placeholder.is_active
    assert not placeholder.has_usable_password()
    assert User.objects.filter(username=FORMER_AUTHOR_USERNAME).count() == 1


def test_former_author_refuses_a_real_account_holding_the_name():
    UserFactory.create(username=FORMER_AUTHOR_USERNAME)
    with pytest.raises(ValidationError, match="belongs to a real account"):
        former_author()


def test_delete_account_keeps_posts_audits_and_removes_everything_else(
    django_capture_on_commit_callbacks,
):
    user = UserFactory.create(username="leaving", email="leaving@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    with django_capture_on_commit_callbacks(execute=True):
        update_profile(actor=user, user=user, changes=_changes(user, avatar=_png()))
    avatar = user.avatar.path
    posts = [PostFactory.create(author=user) for _ in range(3)]
    draft = PostFactory.create(author=user, status=Post.Status.DRAFT, published_at=None)
    other = PostFactory.create()
    Session.objects.create(
        session_key="k" * 32, session_data="", user=user, expire_date="2999-01-01T00:00Z"
    )

    with django_capture_on_commit_callbacks(execute=True):
        kept = delete_account(actor=user, password=PASSWORD)

    assert kept == 4
    assert not User.objects.filter(username="leaving").exists()
    placeholder = User.objects.get(username=FORMER_AUTHOR_USERNAME)
    assert set(Post.objects.filter(author=placeholder)) == {*posts, draft}
    assert Post.objects.get(pk=other.pk).author != placeholder
    assert not EmailAddress.objects.filter(email="leaving@example.com").exists()
    assert not Session.objects.filter(session_key="k" * 32).exists()
    assert not os.path.exists(avatar)
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.ACCOUNT_DELETED)
    assert event.actor is None
    assert event.target is None
    assert event.actor_label == event.target_label == "leaving@example.com"
    assert event.data == {"username": "leaving", "email": "leaving@example.com", "posts_kept": 4}


def test_deleting_a_user_anywhere_keeps_their_posts_and_comment_text():
    # The admin deletes through the ORM, not delete_account: the database keeps the writing.
    user, coauthor = UserFactory.create(), UserFactory.create()
    post = PostFactory.create(author=user)
    shared = PostFactory.create(author=coauthor)
    shared.coauthors.add(user)
    comment = CommentFactory.create(author=user, post=shared, body="Still worth reading.")

    user.delete()

    post.refresh_from_db()
    assert post.author.username == FORMER_AUTHOR_USERNAME
    assert list(shared.coauthors.all()) == []
    comment.refresh_from_db()
    assert comment.author is None
    assert comment.body == "Still worth reading."


def test_a_second_deletion_reuses_the_former_author():
    first, second = UserFactory.create(), UserFactory.create()
    PostFactory.create(author=first)
    PostFactory.create(author=second)
    delete_account(actor=first, password=PASSWORD)
    delete_account(actor=second, password=PASSWORD)
    placeholder = User.objects.get(username=FORMER_AUTHOR_USERNAME)
    assert placeholder.posts.count() == 2


def test_delete_account_needs_the_right_password():
    user = UserFactory.create()
    with pytest.raises(ValidationError) as info:
        delete_account(actor=user, password="wrong-password")
    assert "password" in info.value.message_dict
    assert User.objects.filter(pk=user.pk).exists()
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCOUNT_DELETED).exists()


def test_delete_account_refuses_superusers_and_passwordless_accounts():
    superuser = UserFactory.create(is_superuser=True, is_staff=True)
    with pytest.raises(ValidationError, match="superuser"):
        delete_account(actor=superuser, password=PASSWORD)
    social = UserFactory.create(password=None)  # signs in with GitHub or Google only
    with pytest.raises(ValidationError, match="Set a password first"):
        delete_account(actor=social, password="")
    assert User.objects.filter(pk__in=[superuser.pk, social.pk]).count() == 2


def test_delete_account_with_a_second_factor_needs_a_current_code(mfa_user):
    device = mfa_user.totpdevice_set.get()
    with pytest.raises(ValidationError) as info:
        delete_account(actor=mfa_user, password=PASSWORD)
    assert "otp_token" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        delete_account(actor=mfa_user, password=PASSWORD, otp_token="000000")
    assert "otp_token" in info.value.message_dict
    # The rejected code is audited even though the deletion failed.
    assert AuditEvent.objects.filter(
        kind=AuditEvent.Kind.MFA_FAILED, target=mfa_user, data__purpose="account deletion"
    ).exists()
    assert User.objects.filter(pk=mfa_user.pk).exists()
    unthrottle(mfa_user)
    delete_account(actor=mfa_user, password=PASSWORD, otp_token=totp_token(device))
    assert not User.objects.filter(pk=mfa_user.pk).exists()


def test_delete_account_accepts_a_backup_code():
    user = UserFactory.create()
    make_totp_device(user)
    codes = make_backup_codes(user)
    delete_account(actor=user, password=PASSWORD, otp_token=codes[0])
    assert not User.objects.filter(pk=user.pk).exists()
