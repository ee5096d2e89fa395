"""Request bodies that end before their Content-Length are refused, never processed.

A client that hangs up in the middle of its body leaves granian (WSGI) with a short
`wsgi.input`: reading it returns what arrived, then nothing, and Django's LimitedStream
hands that to the form or JSON parser as if it were complete. A comment cut off after
"I disagr" was saved as such. Two parts close that:

- `CompleteInput` (wrapped around `wsgi.input` by `require_complete_bodies` in
  project/wsgi.py) keeps reading until it has what was asked for and raises
  `UnreadablePostError` when the stream ends first, so no parser ever sees a short body;
- `CompleteBodyMiddleware` reads the body before any view (Django would read it whole
  anyway: forms, JSON, multipart into upload handlers) and answers 400 when it is short,
  whatever server runs the application.

nginx with request buffering on (infrastructure/nginx) never forwards a short body; this is
the application's own guard for when something else is in front.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

import structlog
from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseBase
from django.http.request import UnreadablePostError
from django.utils import translation
from django.utils.translation import gettext as _

from apps.core.errors import default_error_response, is_api_request
from apps.core.languages import request_language

logger = structlog.get_logger("inkwell.request")

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class CompleteInput:
    """`wsgi.input` that raises instead of ending early: Content-Length bytes or an error."""

    def __init__(self, stream: _Readable, length: int) -> None:
        self._stream = stream
        self._left = length
        self._length = length

    def read(self, size: int | None = -1, /) -> bytes:
        wanted = self._left if size is None or size < 0 else min(size, self._left)
        chunks: list[bytes] = []
        while wanted > 0:
            chunk = self._stream.read(wanted)
            if not chunk:
                received = self._length - self._left
                raise UnreadablePostError(
                    f"The body ended after {received} of {self._length} bytes."
                )
            chunks.append(chunk)
            wanted -= len(chunk)
            self._left -= len(chunk)
        return b"".join(chunks)

    def readline(self, size: int | None = -1, /) -> bytes:
        # Django's parsers read in chunks; a line reader byte by byte is enough for the rest.
        limit = self._left if size is None or size < 0 else min(size, self._left)
        line = bytearray()
        while len(line) < limit:
            byte = self.read(1)
            line += byte
            if byte == b"\n":
                break
        return bytes(line)


def require_complete_bodies(application: WSGIApp) -> WSGIApp:
    """Wrap a WSGI application so that a short request body raises, never passes as whole."""

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > 0 and "wsgi.input" in environ:
            environ["wsgi.input"] = CompleteInput(environ["wsgi.input"], length)
        return application(environ, start_response)

    return wrapped


def _content_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def incomplete_body(request: HttpRequest) -> str | None:
    """Why the request's body is shorter than its Content-Length, or None when it is whole.

    Reads the body now: bodies Django would read into memory in one piece (within
    DATA_UPLOAD_MAX_MEMORY_SIZE) through `request.body`, multipart POSTs through
    `request.POST` (files go to the upload handlers, as they would a moment later). Larger
    bodies of other kinds are left to the view; `CompleteInput` still stops them short.
    """
    length = _content_length(request)
    if not length:
        return None
    try:
        if request.content_type == "multipart/form-data":
            if request.method == "POST":
                request.POST  # noqa: B018  (parses now, so a short body fails here)
            return None
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            return None  # Django refuses it (RequestDataTooBig) when a view reads it
        received = len(request.body)
    except UnreadablePostError as error:
        return str(error)
    if received < length:
        return f"The body ended after {received} of {length} bytes."
    return None


class CompleteBodyMiddleware:
    """Answer 400 to a request whose body ended early, before any view can act on it."""

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase]
        | Callable[[HttpRequest], Awaitable[HttpResponseBase]],
    ) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        refused = self._refuse(request)
        return refused if refused is not None else self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        # Under ASGI the server has received the whole body before the application runs.
        refused = self._refuse(request)
        if refused is not None:
            return refused
        response: HttpResponseBase = await self.get_response(request)  # type: ignore[misc]
        return response

    def _refuse(self, request: HttpRequest) -> HttpResponse | None:
        problem = incomplete_body(request)
        if problem is None:
            return None
        logger.warning("request body incomplete", path=request.path, detail=problem)
        with translation.override(request_language(request)):
            if is_api_request(request):
                return default_error_response(400, _("The request body was cut short."))
            return HttpResponseBadRequest(
                _("The request body was cut short."), content_type="text/plain; charset=utf-8"
            )
