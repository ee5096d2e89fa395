import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from apps.accounts.audit import record_event
from apps.accounts.models import AuditEvent
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36"}


def _login(client, email: str, password: str = PASSWORD):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, headers=BROWSER
    )


def test_successful_login_is_audited_with_ip_and_browser(client):
    user = UserFactory.create()
    response = _login(client, user.email)
    assert response.status_code == 302
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.LOGIN)
    assert event.actor == user
    assert event.target == user
    assert event.ip == "127.0.0.1"
    assert "Chrome" in event.user_agent


def test_failed_login_is_audited_against_the_targeted_account(client):
    user = UserFactory.create()
    response = _login(client, user.email, "wrong-password-123")
    assert response.status_code == 200
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.LOGIN_FAILED)
    assert event.target == user
    assert event.actor is None
    assert event.data["login"] == user.email


def test_failed_login_for_an_unknown_email_is_audited_without_a_target(client):
    _login(client, "nobody@example.com", "wrong-password-123")
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.LOGIN_FAILED)
    assert event.target is None
    assert event.actor_label == "nobody@example.com"


def test_logout_is_audited(client):
    user = UserFactory.create()
    client.force_login(user)
    client.post(reverse("account_logout"))
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.LOGOUT, target=user).exists()


def test_password_change_is_audited_and_ends_other_sessions(client):
    user = UserFactory.create()
    other = client.__class__()
    assert _login(other, user.email).status_code == 302
    assert _login(client, user.email).status_code == 302
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a-new-long-passphrase",
            "password2": "a-new-long-passphrase",
        },
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.PASSWORD_CHANGED, target=user).exists()
    revoked = AuditEvent.objects.get(kind=AuditEvent.Kind.SESSION_REVOKED, target=user)
    assert revoked.data == {"sessions": 1, "reason": "password changed"}
    # The other browser is signed out; this one stays signed in.
    assert other.get(reverse("account_change_password")).status_code == 302
    assert client.get(reverse("account_change_password")).status_code == 200


def test_audit_events_cannot_be_edited_or_deleted():
    event = record_event(kind=AuditEvent.Kind.LOGIN, data={"login": "x@example.com"})
    event.data = {"tampered": True}
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(kind=AuditEvent.Kind.LOGOUT)
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).data == {"login": "x@example.com"}


@pytest.mark.postgres
def test_audit_table_refuses_update_and_delete_in_postgresql():
    event = record_event(kind=AuditEvent.Kind.LOGIN)
    for sql in [
        "UPDATE accounts_auditevent SET kind = 'logout' WHERE id = %s",
        "DELETE FROM accounts_auditevent WHERE id = %s",
    ]:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).kind == AuditEvent.Kind.LOGIN


@pytest.mark.postgres
def test_deleting_an_account_keeps_its_audit_rows_with_labels():
    user = UserFactory.create()
    event = record_event(kind=AuditEvent.Kind.LOGIN, actor=user, target=user)
    user.delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.actor_id, event.target_id) == (None, None)
    assert event.target_label == user.email
    # Nulling a link is the only change allowed: relinking or rewriting is refused.
    other = UserFactory.create()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE accounts_auditevent SET actor_id = %s WHERE id = %s", [other.pk, event.pk]
        )
