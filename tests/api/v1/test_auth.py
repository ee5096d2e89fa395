from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from axes.models import AccessAttempt
from django.core import mail
from django.test import override_settings

from apps.accounts.models import AuditEvent, RefreshToken, User
from apps.accounts.tokens import user_for_access_token
from tests.accounts.conftest import make_backup_codes, make_totp_device, totp_token
from tests.api.conftest import PASSWORD, call, pair_for

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-enough-new-password"


def _register(api, **overrides):
    body = {"email": "new@example.com", "username": "newbie", "password": NEW_PASSWORD}
    return call(api, "post", "/api/v1/auth/register", body={**body, **overrides})


def test_register_creates_account_sends_verification_and_returns_tokens(api):
    response = _register(api)

    assert response.status_code == 201, response.content
    data = response.json()
    user = User.objects.get(email="new@example.com")
    assert data["user"]["username"] == "newbie"
    assert data["user"]["email_verified"] is False
    assert user_for_access_token(data["tokens"]["access_token"]) == user
    assert EmailAddress.objects.filter(user=user, verified=False, primary=True).exists()
    assert len(mail.outbox) == 1
    assert "new@example.com" in mail.outbox[0].to
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGNUP, target=user).exists()


def test_register_applies_password_validators(api):
    response = _register(api, password="password")

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "password" in error["fields"]
    assert not User.objects.filter(email="new@example.com").exists()


def test_register_rejects_taken_email(api, reader):
    response = _register(api, email=reader.email.upper())

    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "email_taken"
    assert User.objects.count() == 1


def test_register_rejects_reserved_username(api):
    response = _register(api, username="admin")

    assert response.status_code == 422
    assert "username" in response.json()["error"]["fields"]


@override_settings(ACCOUNT_ALLOW_SIGNUP=False)
def test_register_refused_when_signup_closed(api):
    response = _register(api)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert not User.objects.exists()


def test_token_issues_pair_and_audits_login(api, reader):
    response = call(
        api, "post", "/api/v1/auth/token", body={"email": reader.email, "password": PASSWORD}
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["token_type"] == "Bearer"
    assert 0 < data["expires_in"] <= 900
    assert user_for_access_token(data["access_token"]) == reader
    assert RefreshToken.objects.filter(user=reader).count() == 1
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.LOGIN, target=reader)
    assert event.data["via"] == "api"


def test_token_wrong_password_is_401_audited_and_counted_by_axes(api, reader):
    response = call(
        api, "post", "/api/v1/auth/token", body={"email": reader.email, "password": "nope"}
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.LOGIN_FAILED, target=reader).exists()
    attempt = AccessAttempt.objects.get()
    assert attempt.username == reader.email
    assert not RefreshToken.objects.exists()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_token_locks_out_after_failures_like_the_web_login(api, reader):
    for _ in range(3):
        call(api, "post", "/api/v1/auth/token", body={"email": reader.email, "password": "x"})

    response = call(
        api, "post", "/api/v1/auth/token", body={"email": reader.email, "password": PASSWORD}
    )

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "locked_out"
    assert response["Content-Type"].startswith("application/json")
    assert not RefreshToken.objects.exists()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.LOCKOUT).exists()


def test_token_success_resets_axes_failures(api, reader):
    call(api, "post", "/api/v1/auth/token", body={"email": reader.email, "password": "x"})
    assert AccessAttempt.objects.exists()

    call(api, "post", "/api/v1/auth/token", body={"email": reader.email, "password": PASSWORD})

    assert not AccessAttempt.objects.exists()


def test_token_for_2fa_user_without_otp_is_otp_required(api, reader):
    make_totp_device(reader)

    response = call(
        api, "post", "/api/v1/auth/token", body={"email": reader.email, "password": PASSWORD}
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "otp_required"
    assert not RefreshToken.objects.exists()


def test_token_for_2fa_user_with_totp(api, reader):
    device = make_totp_device(reader)

    response = call(
        api,
        "post",
        "/api/v1/auth/token",
        body={"email": reader.email, "password": PASSWORD, "otp": totp_token(device)},
    )

    assert response.status_code == 200, response.content


def test_token_for_2fa_user_with_backup_code_spends_it(api, reader):
    make_totp_device(reader)
    code = make_backup_codes(reader)[0]
    body = {"email": reader.email, "password": PASSWORD, "otp": code}

    first = call(api, "post", "/api/v1/auth/token", body=body)
    second = call(api, "post", "/api/v1/auth/token", body=body)

    assert first.status_code == 200
    assert second.status_code == 401
    assert second.json()["error"]["code"] == "otp_invalid"
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.BACKUP_CODE_USED).count() == 1


def test_token_for_2fa_user_with_wrong_code_is_audited(api, reader):
    make_totp_device(reader)

    response = call(
        api,
        "post",
        "/api/v1/auth/token",
        body={"email": reader.email, "password": PASSWORD, "otp": "000000"},
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "otp_invalid"
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.MFA_FAILED, target=reader).exists()


def test_token_for_deactivated_user_is_refused(api, reader):
    reader.is_active = False
    reader.save()

    response = call(
        api, "post", "/api/v1/auth/token", body={"email": reader.email, "password": PASSWORD}
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_refresh_rotates_the_refresh_token(api, reader):
    pair = pair_for(reader)

    response = call(api, "post", "/api/v1/auth/refresh", body={"refresh_token": pair.refresh})

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["refresh_token"] != pair.refresh
    assert user_for_access_token(data["access_token"]) == reader
    rows = RefreshToken.objects.filter(family=pair.family)
    assert rows.count() == 2
    assert rows.filter(used_at__isnull=False).count() == 1


def test_refresh_reuse_revokes_the_whole_family(api, reader):
    pair = pair_for(reader)
    rotated = call(api, "post", "/api/v1/auth/refresh", body={"refresh_token": pair.refresh})
    newest = rotated.json()

    reused = call(api, "post", "/api/v1/auth/refresh", body={"refresh_token": pair.refresh})
    after = call(
        api, "post", "/api/v1/auth/refresh", body={"refresh_token": newest["refresh_token"]}
    )
    me = call(api, "get", "/api/v1/me", token=newest["access_token"])

    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "token_reused"
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "token_revoked"
    assert me.status_code == 401
    assert not RefreshToken.objects.filter(family=pair.family, revoked_at__isnull=True).exists()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.API_TOKEN_REUSED, target=reader).exists()


def test_refresh_reuse_leaves_other_sign_ins_alone(api, reader):
    phone, tablet = pair_for(reader), pair_for(reader)
    call(api, "post", "/api/v1/auth/refresh", body={"refresh_token": phone.refresh})
    call(api, "post", "/api/v1/auth/refresh", body={"refresh_token": phone.refresh})

    response = call(api, "post", "/api/v1/auth/refresh", body={"refresh_token": tablet.refresh})

    assert response.status_code == 200


def test_refresh_with_unknown_token_is_invalid_token(api, db):
    response = call(api, "post", "/api/v1/auth/refresh", body={"refresh_token": "iwr_nope"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_refresh_with_access_token_is_invalid_token(api, reader):
    pair = pair_for(reader)

    response = call(api, "post", "/api/v1/auth/refresh", body={"refresh_token": pair.access[:200]})

    assert response.status_code == 401
    assert RefreshToken.objects.get().used_at is None


def test_logout_revokes_refresh_and_access_tokens(api, reader):
    pair = pair_for(reader)

    response = call(api, "post", "/api/v1/auth/logout", body={"refresh_token": pair.refresh})
    refresh = call(api, "post", "/api/v1/auth/refresh", body={"refresh_token": pair.refresh})
    me = call(api, "get", "/api/v1/me", token=pair.access)

    assert response.status_code == 204
    assert refresh.status_code == 401
    assert refresh.json()["error"]["code"] == "token_revoked"
    assert me.status_code == 401
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.API_TOKENS_REVOKED).count() == 1


def test_logout_twice_is_fine_and_audited_once(api, reader):
    pair = pair_for(reader)
    call(api, "post", "/api/v1/auth/logout", body={"refresh_token": pair.refresh})

    response = call(api, "post", "/api/v1/auth/logout", body={"refresh_token": pair.refresh})

    assert response.status_code == 204
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.API_TOKENS_REVOKED).count() == 1


def test_logout_with_unknown_token_is_invalid_token(api, db):
    response = call(api, "post", "/api/v1/auth/logout", body={"refresh_token": "iwr_unknown"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_password_change_ends_access_and_refresh_tokens(api, reader):
    pair = pair_for(reader)
    reader.set_password(NEW_PASSWORD)
    reader.save()

    me = call(api, "get", "/api/v1/me", token=pair.access)
    refresh = call(api, "post", "/api/v1/auth/refresh", body={"refresh_token": pair.refresh})

    assert me.status_code == 401
    assert me.json()["error"]["code"] == "invalid_token"
    assert refresh.status_code == 401
    assert refresh.json()["error"]["code"] == "token_revoked"


def test_deactivation_ends_access_and_refresh_tokens(api, reader):
    pair = pair_for(reader)
    reader.is_active = False
    reader.save()

    me = call(api, "get", "/api/v1/me", token=pair.access)
    refresh = call(api, "post", "/api/v1/auth/refresh", body={"refresh_token": pair.refresh})

    assert me.status_code == 401
    assert refresh.status_code == 401


def test_token_for_editor_without_2fa_requires_enrolment_first(api, editor):
    response = call(
        api, "post", "/api/v1/auth/token", body={"email": editor.email, "password": PASSWORD}
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "mfa_enrolment_required"
    assert not RefreshToken.objects.exists()

    device = make_totp_device(editor)
    response = call(
        api,
        "post",
        "/api/v1/auth/token",
        body={"email": editor.email, "password": PASSWORD, "otp": totp_token(device)},
    )
    assert response.status_code == 200, response.content
