"""Answer beacons before the rest of the middleware stack.

A beacon needs none of what follows in MIDDLEWARE (page cache, sessions, CSRF, users, OTP,
messages, CSP, htmx, axes): answering it right after the request id, the security headers
and the body checks (complete body, no NUL) cuts most of the per-request cost, so ingestion
stays cheap under load. Other methods on the path still reach the view through the URLconf
(405).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse

from apps.analytics import views


class BeaconMiddleware:
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
        self.path = reverse("analytics:event")

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        if request.method == "POST" and request.path_info == self.path:
            return views.event(request)
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method == "POST" and request.path_info == self.path:
            return await sync_to_async(views.event)(request)
        response = self.get_response(request)
        assert not isinstance(response, HttpResponseBase)  # noqa: S101 (async chain)
        return await response
