import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.accounts.models import User

pytestmark = pytest.mark.django_db


def test_create_user_normalises_the_email_and_hashes_the_password():
    user = User.objects.create_user("Ada@Example.COM", "correct-horse-battery", username="ada")
    assert user.email == "ada@example.com"
    assert user.check_password("correct-horse-battery")
    assert not user.is_staff


def test_email_login_lookup_ignores_case():
    User.objects.create_user("ada@example.com", "pw-0123456789", username="ada")
    assert User.objects.get_by_natural_key("ADA@example.com").username == "ada"


def test_emails_are_unique_regardless_of_case():
    User.objects.create_user("ada@example.com", None, username="ada")
    with pytest.raises(ValidationError), transaction.atomic():
        User.objects.create_user("ADA@example.com", None, username="ada2")


def test_database_enforces_case_insensitive_username_uniqueness():
    User.objects.create_user("a@example.com", None, username="grace")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="b@example.com", username="GRACE")])


@pytest.mark.parametrize("username", ["", "Has Space", "-dash-first", "ends-", "a" * 41, "ümlaut"])
def test_usernames_must_be_url_safe(username):
    with pytest.raises(ValidationError):
        User.objects.create_user("x@example.com", None, username=username)


def test_create_superuser_is_staff_and_superuser():
    admin = User.objects.create_superuser("root@example.com", "pw-0123456789", username="root")
    assert admin.is_staff
    assert admin.is_superuser


def test_name_prefers_the_display_name():
    user = User(email="a@example.com", username="ada", display_name="Ada Lovelace")
    assert user.name == "Ada Lovelace"
    assert User(email="b@example.com", username="bob").name == "bob"
