from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.mfa import services
from apps.accounts.mfa.selectors import (
    backup_codes_left,
    has_confirmed_device,
    mfa_status,
)
from apps.accounts.models import AuditEvent
from apps.accounts.roles import Role
from apps.accounts.services import mark_email_verified
from tests.accounts.conftest import (
    PASSWORD,
    make_backup_codes,
    make_email_device,
    make_totp_device,
    make_user_with_role,
    totp_token,
    unthrottle,
)

pytestmark = pytest.mark.django_db

Kind = AuditEvent.Kind


def _events(kind, user):
    return AuditEvent.objects.filter(kind=kind, target=user)


# --- enrolment -------------------------------------------------------------


def test_start_totp_enrolment_creates_one_pending_device_and_reuses_it(user):
    first = services.start_totp_enrolment(actor=user)
    again = services.start_totp_enrolment(actor=user)
    assert first.pk == again.pk
    assert not first.confirmed
    assert not has_confirmed_device(user)


def test_start_totp_enrolment_refuses_when_already_set_up(mfa_user):
    with pytest.raises(ValidationError, match="already set up"):
        services.start_totp_enrolment(actor=mfa_user)


def test_confirm_totp_enrolment_turns_2fa_on_with_ten_backup_codes(user):
    device = services.start_totp_enrolment(actor=user)
    enrolment = services.confirm_totp_enrolment(actor=user, code=totp_token(device))
    device.refresh_from_db()
    assert device.confirmed
    assert enrolment.device == device
    assert len(enrolment.backup_codes) == 10
    assert len(set(enrolment.backup_codes)) == 10
    assert backup_codes_left(user) == 10
    assert has_confirmed_device(user)
    event = _events(Kind.MFA_ENROLLED, user).get()
    assert event.data["method"] == "totp"


def test_confirm_totp_enrolment_accepts_a_code_typed_with_spaces(user):
    device = services.start_totp_enrolment(actor=user)
    code = totp_token(device)
    services.confirm_totp_enrolment(actor=user, code=f" {code[:3]} {code[3:]} ")
    device.refresh_from_db()
    assert device.confirmed


def test_confirm_totp_enrolment_with_a_wrong_code_changes_nothing(user):
    device = services.start_totp_enrolment(actor=user)
    wrong = f"{(int(totp_token(device)) + 1) % 1_000_000:06d}"
    with pytest.raises(ValidationError, match="wrong or has expired"):
        services.confirm_totp_enrolment(actor=user, code=wrong)
    device.refresh_from_db()
    assert not device.confirmed
    assert not has_confirmed_device(user)
    assert not StaticDevice.objects.filter(user=user).exists()
    assert not _events(Kind.MFA_ENROLLED, user).exists()
    assert _events(Kind.MFA_FAILED, user).get().data == {"reason": "wrong_code", "purpose": "enrol"}


def test_confirm_totp_enrolment_is_throttled_right_after_a_wrong_code(user):
    device = services.start_totp_enrolment(actor=user)
    with pytest.raises(ValidationError):
        services.confirm_totp_enrolment(actor=user, code="000000")
    with pytest.raises(ValidationError, match="Too many wrong codes"):
        services.confirm_totp_enrolment(actor=user, code=totp_token(device))
    device.refresh_from_db()
    assert not device.confirmed
    unthrottle(user)
    services.confirm_totp_enrolment(actor=user, code=totp_token(device))
    device.refresh_from_db()
    assert device.confirmed


def test_confirm_totp_enrolment_keeps_existing_backup_codes(user):
    codes = make_backup_codes(user)
    device = services.start_totp_enrolment(actor=user)
    enrolment = services.confirm_totp_enrolment(actor=user, code=totp_token(device))
    assert enrolment.backup_codes == []
    assert set(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    ) == set(codes)


# --- verification ----------------------------------------------------------


def test_verify_second_factor_accepts_the_app_code_once(mfa_user):
    device = TOTPDevice.objects.get(user=mfa_user)
    code = totp_token(device)
    assert services.verify_second_factor(user=mfa_user, code=code, purpose="login") == device
    unthrottle(mfa_user)
    with pytest.raises(ValidationError, match="wrong or has expired"):
        services.verify_second_factor(user=mfa_user, code=code, purpose="login")


def test_verify_second_factor_rejects_a_wrong_code_and_audits_it(mfa_user):
    request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.4")
    with pytest.raises(ValidationError) as excinfo:
        services.verify_second_factor(
            user=mfa_user, code="123456", purpose="login", request=request
        )
    assert excinfo.value.code == "wrong_code"
    event = _events(Kind.MFA_FAILED, mfa_user).get()
    assert event.ip == "198.51.100.4"
    assert event.data == {"reason": "wrong_code", "purpose": "login"}
    assert backup_codes_left(mfa_user) == 10


def test_verify_second_factor_rejects_gibberish_with_a_clear_message(mfa_user):
    with pytest.raises(ValidationError, match="6-digit code") as excinfo:
        services.verify_second_factor(user=mfa_user, code="hello!", purpose="login")
    assert excinfo.value.code == "malformed"


def test_verify_second_factor_honours_the_devices_throttle(mfa_user):
    device = TOTPDevice.objects.get(user=mfa_user)
    with pytest.raises(ValidationError):
        services.verify_second_factor(user=mfa_user, code="000000", purpose="login")
    with pytest.raises(ValidationError, match="Wait 1 second") as excinfo:
        services.verify_second_factor(user=mfa_user, code=totp_token(device), purpose="login")
    assert excinfo.value.code == "throttled"
    device.refresh_from_db()
    assert device.last_t == -1  # the correct code was not spent


def test_backup_code_works_once_then_is_reported_as_used(mfa_user):
    code = StaticToken.objects.filter(device__user=mfa_user).first().token
    device = services.verify_second_factor(user=mfa_user, code=code, purpose="login")
    assert isinstance(device, StaticDevice)
    assert backup_codes_left(mfa_user) == 9
    used = _events(Kind.BACKUP_CODE_USED, mfa_user).get()
    assert used.data["remaining"] == 9
    assert code not in str(used.data)  # the audit log keeps a digest, never the code
    unthrottle(mfa_user)
    with pytest.raises(ValidationError, match="already been used") as excinfo:
        services.verify_second_factor(user=mfa_user, code=code, purpose="login")
    assert excinfo.value.code == "reused_backup_code"
    assert backup_codes_left(mfa_user) == 9


def test_backup_codes_are_accepted_with_hyphens_and_capitals(mfa_user):
    code = StaticToken.objects.filter(device__user=mfa_user).first().token
    typed = f"{code[:5]}-{code[5:]}".upper()
    assert isinstance(
        services.verify_second_factor(user=mfa_user, code=typed, purpose="login"), StaticDevice
    )


def test_an_unknown_backup_code_is_not_called_used(mfa_user):
    with pytest.raises(ValidationError, match="not valid") as excinfo:
        services.verify_second_factor(user=mfa_user, code="abcde-fghij", purpose="login")
    assert excinfo.value.code == "wrong_backup_code"


# --- backup codes ----------------------------------------------------------


def test_regenerate_backup_codes_voids_the_old_ones(mfa_user):
    old = list(StaticToken.objects.filter(device__user=mfa_user).values_list("token", flat=True))
    new = services.regenerate_backup_codes(actor=mfa_user)
    assert len(new) == 10
    assert not set(old) & set(new)
    assert backup_codes_left(mfa_user) == 10
    assert _events(Kind.BACKUP_CODES_REGENERATED, mfa_user).get().data == {"count": 10}
    with pytest.raises(ValidationError):
        services.verify_second_factor(user=mfa_user, code=old[0], purpose="login")
    unthrottle(mfa_user)
    assert services.verify_second_factor(user=mfa_user, code=new[0], purpose="login")


def test_regenerate_backup_codes_needs_two_factor_on(user):
    with pytest.raises(ValidationError, match="Turn on two-factor"):
        services.regenerate_backup_codes(actor=user)


# --- email codes -----------------------------------------------------------


def test_email_fallback_needs_a_verified_address(mfa_user):
    with pytest.raises(ValidationError, match="Confirm your email address"):
        services.enable_email_fallback(actor=mfa_user)
    assert not EmailDevice.objects.filter(user=mfa_user).exists()


def test_email_fallback_needs_an_authenticator_app(user):
    mark_email_verified(user=user)
    with pytest.raises(ValidationError, match="authenticator app first"):
        services.enable_email_fallback(actor=user)


def test_email_fallback_can_be_turned_on_and_off(mfa_user):
    mark_email_verified(user=mfa_user)
    device = services.enable_email_fallback(actor=mfa_user)
    assert device.confirmed
    assert services.enable_email_fallback(actor=mfa_user) == device
    assert _events(Kind.MFA_ENROLLED, mfa_user).get().data == {"method": "email"}
    services.disable_email_fallback(actor=mfa_user)
    assert mfa_status(mfa_user).email is None
    assert _events(Kind.MFA_DISABLED, mfa_user).get().data == {"method": "email"}


def test_send_email_code_mails_a_code_that_works_once(mfa_user, django_capture_on_commit_callbacks):
    make_email_device(mfa_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_email_code(user=mfa_user)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [mfa_user.email]
    token = EmailDevice.objects.get(user=mfa_user).token
    assert token in message.body
    assert "expires in 10 minutes" in message.body
    device = services.verify_second_factor(user=mfa_user, code=token, purpose="login")
    assert isinstance(device, EmailDevice)
    unthrottle(mfa_user)
    with pytest.raises(ValidationError):
        services.verify_second_factor(user=mfa_user, code=token, purpose="login")


def test_send_email_code_mails_nothing_before_commit(mfa_user, django_capture_on_commit_callbacks):
    make_email_device(mfa_user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.send_email_code(user=mfa_user)
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_send_email_code_respects_the_cooldown(mfa_user, django_capture_on_commit_callbacks):
    make_email_device(mfa_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_email_code(user=mfa_user)
        with pytest.raises(ValidationError, match="ask for another in") as excinfo:
            services.send_email_code(user=mfa_user)
    assert excinfo.value.code == "cooldown"
    assert len(mail.outbox) == 1


def test_an_expired_email_code_is_refused(mfa_user, django_capture_on_commit_callbacks):
    make_email_device(mfa_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_email_code(user=mfa_user)
    device = EmailDevice.objects.get(user=mfa_user)
    EmailDevice.objects.filter(pk=device.pk).update(
        valid_until=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(ValidationError, match="wrong or has expired"):
        services.verify_second_factor(user=mfa_user, code=device.token, purpose="login")


def test_send_email_code_needs_the_fallback_on(mfa_user):
    with pytest.raises(ValidationError, match="not turned on"):
        services.send_email_code(user=mfa_user)


# --- turning off -----------------------------------------------------------


def test_disable_mfa_needs_the_password(mfa_user):
    device = TOTPDevice.objects.get(user=mfa_user)
    with pytest.raises(ValidationError) as excinfo:
        services.disable_mfa(actor=mfa_user, password="wrong-password", code=totp_token(device))
    assert excinfo.value.message_dict == {"password": ["That password is not right."]}
    assert has_confirmed_device(mfa_user)
    device.refresh_from_db()
    assert device.last_t == -1  # the code was not spent on a failed attempt
    assert _events(Kind.MFA_FAILED, mfa_user).get().data["reason"] == "wrong_password"


def test_disable_mfa_needs_a_current_code(mfa_user):
    with pytest.raises(ValidationError) as excinfo:
        services.disable_mfa(actor=mfa_user, password=PASSWORD, code="000000")
    assert list(excinfo.value.message_dict) == ["code"]
    assert has_confirmed_device(mfa_user)
    assert not _events(Kind.MFA_DISABLED, mfa_user).exists()


def test_disable_mfa_removes_every_device(mfa_user):
    make_email_device(mfa_user)
    services.disable_mfa(
        actor=mfa_user,
        password=PASSWORD,
        code=totp_token(TOTPDevice.objects.get(user=mfa_user)),
    )
    assert not TOTPDevice.objects.filter(user=mfa_user).exists()
    assert not StaticDevice.objects.filter(user=mfa_user).exists()
    assert not StaticToken.objects.filter(device__user=mfa_user).exists()
    assert not EmailDevice.objects.filter(user=mfa_user).exists()
    assert _events(Kind.MFA_DISABLED, mfa_user).exists()


def test_disable_mfa_accepts_a_backup_code(mfa_user):
    code = StaticToken.objects.filter(device__user=mfa_user).first().token
    services.disable_mfa(actor=mfa_user, password=PASSWORD, code=code)
    assert not has_confirmed_device(mfa_user)


def test_an_admin_can_reset_someones_second_factor(mfa_user):
    admin = make_user_with_role(Role.ADMIN)
    services.reset_mfa(actor=admin, user=mfa_user)
    assert not has_confirmed_device(mfa_user)
    event = _events(Kind.MFA_DISABLED, mfa_user).get()
    assert event.actor == admin
    assert event.data == {"reset_by_admin": True}


def test_only_admins_may_reset_a_second_factor(mfa_user):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.reset_mfa(actor=make_user_with_role(Role.EDITOR), user=mfa_user)
    assert has_confirmed_device(mfa_user)


def test_admins_turn_off_their_own_second_factor_with_a_code(client):
    admin = make_user_with_role(Role.ADMIN)
    make_totp_device(admin)
    with pytest.raises(ValidationError, match="your security page"):
        services.reset_mfa(actor=admin, user=admin)
    assert has_confirmed_device(admin)
