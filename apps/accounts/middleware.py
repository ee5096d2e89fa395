"""Sessions (qsessions, with the real client address and activity) and the signed-in user."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from cachalot.api import get_last_invalidation
from cachalot.cache import cachalot_caches
from cachalot.settings import cachalot_settings
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import (
    AuthenticationMiddleware as DjangoAuthenticationMiddleware,
)
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.db import router
from django.http import HttpRequest, HttpResponseBase
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject
from qsessions.middleware import SessionMiddleware as QSessionMiddleware

from apps.core.http import client_ip, user_agent
from apps.core.pagecache import CACHE_ERRORS

LAST_SEEN_KEY = "_last_seen"
# Left in request.META (the WSGI environ) by _read_ahead for apps.accounts.replay: the
# session's cache key and its value as read, and the users table's stamp keys and values.
SESSION_MARKER = "inkwell.session"
USERS_STAMPS_MARKER = "inkwell.users_stamps"
# Saving the session on every request would write to the database each time;
# once per window keeps "last seen" useful and cheap.
LAST_SEEN_WINDOW = 5 * 60


class SessionActivityMiddleware:
    """Marks a signed-in session as seen at most once per window (qsessions stores the time)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            if now - int(request.session.get(LAST_SEEN_KEY, 0)) >= LAST_SEEN_WINDOW:
                request.session[LAST_SEEN_KEY] = now
        return response


class SessionMiddleware(QSessionMiddleware):  # type: ignore[misc]  # qsessions is untyped
    """qsessions' middleware, recording the client's address rather than the proxy's."""

    def process_request(self, request: HttpRequest) -> None:
        request.session = self.SessionStore(
            ip=client_ip(request),
            user_agent=user_agent(request),
            session_key=request.COOKIES.get(settings.SESSION_COOKIE_NAME),
        )
        _read_ahead(request, request.session)


def _stamp_keys() -> list[str]:
    """The cache keys get_last_invalidation(User) reads, when it reads only the default cache."""
    if (
        not cachalot_settings.CACHALOT_ENABLED
        or list(settings.CACHES) != [DEFAULT_CACHE_ALIAS]
        or cachalot_settings.CACHALOT_CACHE != DEFAULT_CACHE_ALIAS
        # Inside a transaction cachalot keeps its stamps in the transaction's own cache
        # until commit (tests; never a request's start in production): ask cachalot then.
        or any(cachalot_caches.atomic_caches[alias] for alias in settings.DATABASES)
    ):
        return []
    aliases = tuple(settings.DATABASES)
    keys = _stamp_keys_made.get(aliases)
    if keys is None:
        keygen = cachalot_settings.CACHALOT_TABLE_KEYGEN
        table = get_user_model()._meta.db_table
        keys = _stamp_keys_made[aliases] = [keygen(alias, table) for alias in aliases]
    return keys


_stamp_keys_made: dict[tuple[str, ...], list[str]] = {}


def _read_ahead(request: HttpRequest, session: Any) -> None:
    """One cache read for the session and the users table's stamp (apps/accounts/sessions.py).

    Only when both live in the default cache: the session's store is given its value and the
    stamp waits on the request for _invalidation_stamp. A failure leaves both to read as usual.
    """
    give = getattr(session, "give_cached", None)
    if give is None or not session.session_key:
        return
    if getattr(session, "_cache", None) is not caches[DEFAULT_CACHE_ALIAS]:
        return
    stamp_keys = _stamp_keys()
    try:
        found = session._cache.get_many([session.cache_key, *stamp_keys])
    except CACHE_ERRORS:
        return
    data = found.get(session.cache_key)
    give(data)
    request.META[SESSION_MARKER] = (session.cache_key, data)
    if stamp_keys:
        stamps = [float(found[key]) for key in stamp_keys if key in found]
        request._users_stamp = max(stamps, default=0.0)  # type: ignore[attr-defined]
        request.META[USERS_STAMPS_MARKER] = (stamp_keys, [found.get(key) for key in stamp_keys])


# -- the signed-in reader, without a query per request ---------------------------------------

# Per process: user id -> (the users table's last invalidation when read, field names, values).
_USERS_LIMIT = 10_000
_users: OrderedDict[Any, tuple[float, tuple[str, ...], tuple[Any, ...]]] = OrderedDict()
_users_lock = threading.Lock()


def _invalidation_stamp(request: HttpRequest | None = None) -> float | None:
    """When the users table last changed (django-cachalot's record), or None without it."""
    if not cachalot_settings.CACHALOT_ENABLED:
        return None
    if request is not None and (read := getattr(request, "_users_stamp", None)) is not None:
        return float(read)  # read with the session (_read_ahead)
    try:
        return float(get_last_invalidation(get_user_model()))
    except CACHE_ERRORS:
        return None  # the cache is down: read the row


def _remember_user(user_id: Any, stamp: float, user: Any) -> None:
    fields = user._meta.concrete_fields
    names = tuple(field.attname for field in fields)
    values = tuple(getattr(user, name) for name in names)
    with _users_lock:
        _users[user_id] = (stamp, names, values)
        _users.move_to_end(user_id)
        while len(_users) > _USERS_LIMIT:
            _users.popitem(last=False)


def _backend_user(backend: Any, user_id: Any, request: HttpRequest | None = None) -> Any:
    """`backend.get_user(user_id)`, from this process's copy while the users table is unchanged.

    Every signed-in request read its user: a query (through cachalot: building the SQL,
    one cache read and unpickling the row) that cost a fifth of a signed-in page. The copy
    holds the row's values only; each request gets a new instance made from them, so
    nothing one request sets on its user (django-otp's device) reaches another. Any write
    to the users table (a sign-in's last_login, a profile, a password, a deactivation, a
    role) moves cachalot's stamp at commit, and the next request reads the row again.
    """
    model = get_user_model()
    stamp = _invalidation_stamp(request)
    if stamp is None or not isinstance(backend, ModelBackend):
        return backend.get_user(user_id)
    held = _users.get(user_id)
    if held is not None and held[0] == stamp:
        copy = model.from_db(router.db_for_read(model), list(held[1]), list(held[2]))
        return copy if backend.user_can_authenticate(copy) else None
    user = backend.get_user(user_id)  # the stamp was read first: this row is at least as new
    if user is not None:
        _remember_user(user_id, stamp, user)
    return user


def forget_users() -> None:
    """Drop this process's copies (tests)."""
    with _users_lock:
        _users.clear()


def get_user(request: HttpRequest) -> Any:
    """django.contrib.auth.get_user, with the backend's lookup through `_backend_user`."""
    from django.contrib.auth.models import AnonymousUser

    user = None
    try:
        user_id = auth._get_user_session_key(request)  # type: ignore[attr-defined]
        backend_path = request.session[auth.BACKEND_SESSION_KEY]
    except KeyError:
        pass
    else:
        if backend_path in settings.AUTHENTICATION_BACKENDS:
            backend = auth.load_backend(backend_path)
            user = _backend_user(backend, user_id, request)
            # Verify the session, as Django does.
            if hasattr(user, "get_session_auth_hash"):
                session_hash = request.session.get(auth.HASH_SESSION_KEY)
                session_auth_hash = user.get_session_auth_hash()
                verified = isinstance(session_hash, str) and constant_time_compare(
                    session_hash, session_auth_hash
                )
                if not verified:
                    if session_hash and any(
                        constant_time_compare(session_hash, fallback)
                        for fallback in user.get_session_auth_fallback_hash()
                    ):
                        request.session.cycle_key()
                        request.session[auth.HASH_SESSION_KEY] = session_auth_hash
                    else:
                        request.session.flush()
                        user = None
    return user or AnonymousUser()


def _cached_user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        request._cached_user = get_user(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, reading the signed-in user through this process's copy (`_backend_user`)."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)  # its checks (a session middleware in front), auser
        request.user = SimpleLazyObject(lambda: _cached_user(request))  # type: ignore[assignment]
