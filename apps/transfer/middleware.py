"""Old addresses of an imported site answer 301 to their new ones.

The lookup costs a query only where nothing else answered: on a 404 (an old permalink
such as /2019/05/hello-world/ or Ghost's /hello-world/) and on the home page when it is
asked with WordPress's `?p=123` / `?page_id=123` (which would otherwise show the home
page). Every other request passes through untouched, without a query.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponseBase, HttpResponsePermanentRedirect

from apps.transfer.selectors import legacy_target

_QUERY_KEYS = ("p", "page_id")


def _home_query_key(request: HttpRequest) -> str | None:
    if request.path_info != "/" or request.method not in {"GET", "HEAD"}:
        return None
    for key in _QUERY_KEYS:
        value = request.GET.get(key, "")
        if value.isdigit():
            return f"/?{key}={value}"
    return None


def _redirect(path: str) -> HttpResponseBase | None:
    target = legacy_target(path)
    return HttpResponsePermanentRedirect(target) if target else None


def _wants_lookup(request: HttpRequest, response: HttpResponseBase) -> bool:
    return (
        response.status_code == 404
        and request.method in {"GET", "HEAD"}
        and not request.path_info.startswith(("/api/", "/static/", "/media/"))
    )


class LegacyRedirectMiddleware:
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
        if (key := _home_query_key(request)) and (found := _redirect(key)):
            return found
        response = self.get_response(request)
        assert isinstance(response, HttpResponseBase)  # noqa: S101  # the sync chain
        if _wants_lookup(request, response) and (found := _redirect(request.path_info)):
            return found
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if (key := _home_query_key(request)) and (found := await sync_to_async(_redirect)(key)):
            return found
        response = await self.get_response(request)  # type: ignore[misc]
        if _wants_lookup(request, response) and (
            found := await sync_to_async(_redirect)(request.path_info)
        ):
            return found
        return response  # type: ignore[no-any-return]
