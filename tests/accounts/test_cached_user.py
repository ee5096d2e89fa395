"""The signed-in user read from a per-process copy while the users table is unchanged."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.accounts import middleware
from apps.accounts.models import User
from tests.factories.accounts import UserFactory
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(db) -> User:
    return UserFactory.create(display_name="Copied Reader", password="a long passphrase 123")


@pytest.fixture
def signed_in(reader) -> Client:
    client = Client()
    client.force_login(reader)
    return client


def _user_queries(queries) -> list[str]:
    table = User._meta.db_table
    return [q["sql"] for q in queries if f'FROM "{table}"' in q["sql"]]


def test_the_second_request_reads_the_user_from_the_copy(signed_in, settings):
    if not settings.CACHALOT_ENABLED:
        pytest.skip("the copy is checked against cachalot's record of the users table")
    signed_in.get("/accounts/profile/")
    with count_queries() as queries:
        page = signed_in.get("/accounts/profile/")
    assert page.status_code == 200
    assert "Copied Reader" in page.content.decode()
    assert _user_queries(queries) == []


def test_a_changed_name_is_seen_on_the_next_request(signed_in, reader):
    signed_in.get("/accounts/profile/")
    User.objects.filter(pk=reader.pk).update(display_name="Renamed Reader")
    page = signed_in.get("/accounts/profile/")
    assert "Renamed Reader" in page.content.decode()


def test_a_deactivated_account_is_signed_out_at_once(signed_in, reader):
    assert signed_in.get("/accounts/profile/").status_code == 200
    User.objects.filter(pk=reader.pk).update(is_active=False)
    page = signed_in.get("/accounts/profile/")
    assert page.status_code == 302
    assert "/accounts/login/" in page["Location"]


def test_a_password_changed_elsewhere_ends_this_session(signed_in, reader):
    assert signed_in.get("/accounts/profile/").status_code == 200
    reader.set_password("another long passphrase 456")
    reader.save()
    assert signed_in.get("/accounts/profile/").status_code == 302


def test_each_request_gets_its_own_user_object(rf, reader, signed_in):
    from django.contrib.auth import load_backend

    backend = load_backend("allauth.account.auth_backends.AuthenticationBackend")
    first = middleware._backend_user(backend, reader.pk)
    first.otp_device = "set by one request"
    second = middleware._backend_user(backend, reader.pk)
    assert second is not first
    assert not hasattr(second, "otp_device")
    assert second.pk == reader.pk


def test_without_cachalot_the_row_is_read_every_time(signed_in, monkeypatch):
    from cachalot.settings import cachalot_settings

    monkeypatch.setattr(cachalot_settings, "CACHALOT_ENABLED", False)
    signed_in.get("/accounts/profile/")
    with count_queries() as queries:
        assert signed_in.get("/accounts/profile/").status_code == 200
    assert len(_user_queries(queries)) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_session_and_the_users_stamp_come_in_one_cache_read(
    signed_in, reader, settings, monkeypatch
):
    if not settings.CACHALOT_ENABLED:
        pytest.skip("the stamp is cachalot's")
    from django.core.cache import cache

    signed_in.get("/accounts/profile/")  # the session is in the cache, the reader copied
    reads: list[list[str]] = []
    singles: list[str] = []
    real_many, real_get = cache.get_many, cache.get

    inside_many: list[bool] = []

    def get_many(keys, *args, **kwargs):
        reads.append(list(keys))
        inside_many.append(True)  # the local-memory cache's get_many calls get per key
        try:
            return real_many(keys, *args, **kwargs)
        finally:
            inside_many.pop()

    def get(key, *args, **kwargs):
        if not inside_many:
            singles.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get_many", get_many)
    monkeypatch.setattr(cache, "get", get)
    page = signed_in.get("/accounts/profile/")
    assert "Copied Reader" in page.content.decode()
    session_key = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
    first = reads[0]
    assert any(session_key in key for key in first)
    assert len(first) == 1 + len(settings.DATABASES)  # the session and each database's stamp
    assert not any(session_key in key for key in singles)  # not read a second time
    # A change to the users table is still seen at once.
    User.objects.filter(pk=reader.pk).update(is_active=False)
    assert not signed_in.get("/accounts/profile/").wsgi_request.user.is_authenticated
