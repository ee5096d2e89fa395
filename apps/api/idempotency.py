"""`Idempotency-Key` on the API's writes: a retried request gets the first answer, once.

A client that sends a write (POST, PUT, PATCH, DELETE) with an access token and an
`Idempotency-Key` header (any string of 1-255 visible ASCII characters, a UUID is best)
may send it again with the same key when it did not get the answer: a timeout, a dropped
connection, or a 503 during an outage. The first answer is stored with the key, and the
retry gets it back (with `Idempotent-Replayed: true`) instead of a second comment.

- The key and the write are one transaction: the request runs inside it and the answer is
  stored before it commits, so a key exists exactly when the write committed. A 5xx (or a
  429) rolls both back, so the client can safely retry; a failed commit is a 503 and
  nothing was written.
- A concurrent request with the same key waits for the first one's transaction (the
  unique constraint) and then gets its answer.
- Keys belong to the user the access token names; the same key with a different method,
  path or body answers 422 `idempotency_key_reused`. Keys are kept IDEMPOTENCY_KEY_TTL
  seconds (24 hours); after that the key is new again.
- A request without an access token (sign-in, registration) ignores the header: there is
  no user to scope it to, and those routes create nothing a retry would duplicate.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.api.errors import error_response
from apps.api.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
# Answers a retry must not get back: the client should try again for real.
_NOT_STORED = frozenset({401, 408, 429})


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.path_info):
        digest.update(part.encode() + b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def _replay(stored: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(bytes(stored.body), status=stored.status)
    if stored.content_type:
        response["Content-Type"] = stored.content_type
    else:
        del response["Content-Type"]
    response[REPLAYED_HEADER] = "true"
    return response


def _reused() -> HttpResponse:
    return error_response(
        422,
        "idempotency_key_reused",
        _("This %(header)s was used for a different request. Use a new key for a new request.")
        % {"header": HEADER},
    )


def applies(request: HttpRequest) -> bool:
    return request.method in WRITE_METHODS and HEADER in request.headers


def idempotent(
    request: HttpRequest,
    user_id: str | None,
    get_response: Callable[[HttpRequest], HttpResponseBase],
) -> HttpResponseBase:
    """Answer a write that carries an Idempotency-Key (see the module docstring)."""
    key = request.headers[HEADER]
    if user_id is None:
        return get_response(request)
    if not _VALID_KEY.match(key):
        return error_response(
            400,
            "bad_request",
            _("%(header)s must be 1 to 255 visible ASCII characters.") % {"header": HEADER},
        )
    fingerprint = _fingerprint(request)
    ttl = timedelta(seconds=int(settings.IDEMPOTENCY_KEY_TTL))
    with transaction.atomic():
        IdempotencyKey.objects.filter(user_id=user_id, created_at__lt=timezone.now() - ttl).delete()
        row = IdempotencyKey(user_id=user_id, key=key, fingerprint=fingerprint, status=0)
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            # The first request with this key has committed (PostgreSQL made this insert
            # wait for it): its answer, or a refusal if this is another request.
            stored = IdempotencyKey.objects.get(user_id=user_id, key=key)
            return _replay(stored) if stored.fingerprint == fingerprint else _reused()
        response = get_response(request)
        status = response.status_code
        if status >= 500 or status in _NOT_STORED or not isinstance(response, HttpResponse):
            # Nothing of it is kept, the write included: the client retries for real.
            transaction.set_rollback(True)
            return response
        row.status = status
        row.content_type = response.get("Content-Type", "")
        row.body = response.content
        row.save(update_fields=["status", "content_type", "body"])
    return response
