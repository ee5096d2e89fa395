import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from qsessions.models import Session

from apps.accounts import services
from apps.accounts.models import AuditEvent
from apps.accounts.roles import Role, role_of
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def _admin():
    admin = UserFactory.create()
    admin.groups.add(Group.objects.get(name="admin"))
    return admin


def test_set_role_replaces_the_role_and_is_audited():
    admin, user = _admin(), UserFactory.create()
    services.set_role(actor=admin, user=user, role=Role.EDITOR)
    services.set_role(actor=admin, user=user, role=Role.AUTHOR)
    assert role_of(user) == Role.AUTHOR
    assert list(user.groups.values_list("name", flat=True)) == ["author"]
    event = AuditEvent.objects.filter(kind=AuditEvent.Kind.ROLE_CHANGED).first()
    assert event is not None
    assert event.data == {"from": "editor", "to": "author"}
    assert event.actor == admin


def test_writes_languages_keep_the_sites_order_and_refuse_unknown_codes():
    admin, author = _admin(), UserFactory.create()
    services.set_writes_languages(actor=admin, user=author, languages=["ar", "de"])
    assert author.writes_languages == ["de", "ar"]
    with pytest.raises(ValidationError, match="does not have these languages: fr"):
        services.set_writes_languages(actor=admin, user=author, languages=["de", "fr"])
    author.refresh_from_db()
    assert author.writes_languages == ["de", "ar"]
    with pytest.raises(PermissionDenied):
        services.set_writes_languages(actor=author, user=author, languages=[])
    # Saving what is there already records nothing more.
    services.set_writes_languages(actor=admin, user=author, languages=["de", "ar"])
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.WRITES_LANGUAGES_CHANGED).count() == 1


def test_only_admins_change_roles_and_never_their_own_or_a_superusers():
    admin, editor = _admin(), UserFactory.create()
    editor.groups.add(Group.objects.get(name="editor"))
    with pytest.raises(PermissionDenied):
        services.set_role(actor=editor, user=UserFactory.create(), role=Role.ADMIN)
    with pytest.raises(ValidationError, match="your own role"):
        services.set_role(actor=admin, user=admin, role=Role.READER)
    root = UserFactory.create(is_superuser=True)
    with pytest.raises(ValidationError, match="Superusers"):
        services.set_role(actor=admin, user=root, role=Role.READER)
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.ROLE_CHANGED).exists()


def test_deactivating_a_user_ends_their_sessions(client):
    admin, user = _admin(), UserFactory.create()
    client.force_login(user)
    assert Session.objects.filter(user=user).exists()
    services.set_active(actor=admin, user=user, active=False)
    assert not Session.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.USER_DEACTIVATED, target=user).exists()
    assert client.get("/accounts/profile/").status_code == 302


def test_revoke_session_only_touches_the_actors_own_sessions(client):
    owner, stranger = UserFactory.create(), UserFactory.create()
    client.force_login(stranger)
    key = client.session.session_key
    with pytest.raises(ValidationError, match="does not exist"):
        services.revoke_session(actor=owner, session_key=key)
    assert Session.objects.filter(session_key=key).exists()
