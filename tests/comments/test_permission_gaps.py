"""Two permission gaps of issue 12, settled (docs/user/moderation.md, "Who may delete and report").

- Deleting someone else's comment from the public site needs a session that passed
  two-factor, as every moderation in the dashboard does; one's own comments do not.
- Reporting needs a verified email address, on the web and through the API.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.roles import Role
from apps.accounts.services import set_role
from apps.accounts.tokens import (
    access_token_passed_second_factor,
    issue_token_pair,
    rotate_refresh_token,
)
from apps.comments.models import Comment, CommentReport
from tests.accounts.conftest import PASSWORD, make_user_with_role
from tests.api.conftest import access_for, call
from tests.comments.conftest import login_with_second_factor, make_verified
from tests.factories.accounts import UserFactory
from tests.factories.comments import CommentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_quiet_side_effects")]
HX = {"HX-Request": "true"}


@pytest.fixture
def others_comment(published_post):
    return CommentFactory.create(post=published_post, author=make_verified(UserFactory.create()))


def _delete(client, comment, **headers):
    return client.post(f"/comments/{comment.pk}/delete/", headers=headers)


@pytest.mark.parametrize("role", [Role.EDITOR, Role.ADMIN])
def test_a_moderator_without_2fa_cannot_delete_others_comments_on_the_site(
    client, others_comment, role
):
    client.force_login(make_verified(make_user_with_role(role)))  # never enrolled

    plain = _delete(client, others_comment)
    partial = _delete(client, others_comment, **HX)

    assert plain.status_code == 403
    assert "needs two-factor authentication" in plain.content.decode()
    assert partial.status_code == 200  # htmx swaps in the notice
    assert "needs two-factor authentication" in partial.content.decode()
    assert not Comment.objects.get(pk=others_comment.pk).is_deleted


def test_an_admin_whose_session_has_not_passed_2fa_cannot_delete_others_comments(
    client, others_comment
):
    admin = make_verified(make_user_with_role(Role.ADMIN))
    TOTPDevice.objects.create(user=admin, name="app", confirmed=True)  # enrolled ...
    client.force_login(admin)  # ... but this session skipped the code

    response = _delete(client, others_comment)

    assert response.status_code == 403
    assert not Comment.objects.get(pk=others_comment.pk).is_deleted


def test_the_delete_action_is_not_offered_without_2fa(client, others_comment):
    editor = make_verified(make_user_with_role(Role.EDITOR))
    client.force_login(editor)
    unverified = client.get(f"/comments/{others_comment.pk}/actions/", headers=HX)
    login_with_second_factor(client, editor)
    verified = client.get(f"/comments/{others_comment.pk}/actions/", headers=HX)

    assert "/delete/" not in unverified.content.decode()
    assert "/delete/" in verified.content.decode()


def test_a_verified_moderator_session_deletes_others_comments(client, others_comment):
    login_with_second_factor(client, make_verified(make_user_with_role(Role.EDITOR)))

    assert _delete(client, others_comment, **HX).status_code == 200
    assert Comment.objects.get(pk=others_comment.pk).is_deleted


def test_a_moderator_without_2fa_still_deletes_their_own_comment(client, published_post):
    editor = make_verified(make_user_with_role(Role.EDITOR))
    own = CommentFactory.create(post=published_post, author=editor)
    client.force_login(editor)

    assert _delete(client, own, **HX).status_code == 200
    assert Comment.objects.get(pk=own.pk).is_deleted


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_readers_token_kept_after_promotion_does_not_count_as_2fa(others_comment, version):
    """A reader signs in to the app without 2FA, is made an editor, and keeps the token."""
    reader = make_verified(UserFactory.create())
    pair = issue_token_pair(user=reader)  # the reader's sign-in: no second factor
    set_role(actor=make_user_with_role(Role.ADMIN), user=reader, role=Role.EDITOR)

    refused = call(
        Client(), "delete", f"/api/{version}/comments/{others_comment.pk}", token=pair.access
    )
    assert refused.status_code == 403
    assert "two-factor" in refused.json()["error"]["message"]

    # A refresh carries the sign-in's answer on: still not verified.
    rotated = rotate_refresh_token(token=pair.refresh)
    again = call(
        Client(), "delete", f"/api/{version}/comments/{others_comment.pk}", token=rotated.access
    )
    assert again.status_code == 403
    others_comment.refresh_from_db()
    assert others_comment.deleted_at is None


def test_an_editor_signing_in_with_a_code_gets_a_token_that_deletes(others_comment):
    editor = make_user_with_role(Role.EDITOR)
    device = TOTPDevice.objects.create(user=editor, name="phone", confirmed=True)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    signed_in = call(
        Client(),
        "post",
        "/api/v1/auth/token",
        body={"email": editor.email, "password": PASSWORD, "otp": f"{code:06d}"},
    )
    assert signed_in.status_code == 200, signed_in.json()
    access = signed_in.json()["access_token"]
    refresh = signed_in.json()["refresh_token"]

    assert (
        call(Client(), "delete", f"/api/v2/comments/{others_comment.pk}", token=access).status_code
        == 204
    )
    assert access_token_passed_second_factor(rotate_refresh_token(token=refresh).access)


def test_an_unverified_account_cannot_report_on_the_web(client, others_comment):
    client.force_login(UserFactory.create())  # no verified EmailAddress

    partial = client.post(f"/comments/{others_comment.pk}/report/", {"reason": "x"}, headers=HX)
    plain = client.post(f"/comments/{others_comment.pk}/report/", {"reason": "x"})

    assert (partial.status_code, plain.status_code) == (200, 403)
    for response in (partial, plain):
        assert "Verify your email address before you report" in response.content.decode()
    assert not CommentReport.objects.exists()


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_an_unverified_account_cannot_report_through_the_api(others_comment, version):
    token = access_for(UserFactory.create())

    response = call(
        Client(),
        "post",
        f"/api/{version}/comments/{others_comment.pk}/report",
        token=token,
        body={"reason": "spam"},
    )

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "email_unverified"
    assert "Verify your email address" in error["message"]
    assert not CommentReport.objects.exists()


def test_a_verified_account_still_reports(client, others_comment):
    client.force_login(make_verified(UserFactory.create()))

    response = client.post(f"/comments/{others_comment.pk}/report/", {"reason": "spam"})

    assert response.status_code == 302
    assert CommentReport.objects.count() == 1
