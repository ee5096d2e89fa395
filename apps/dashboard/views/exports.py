"""The admins' export page: the full-site zip (or migration bundle) and the WXR file.

Downloads are POSTs: each one is audit-logged and rate limited, so a link that a crawler
or a prefetching browser could follow must not start one. The forms are plain (no htmx):
a file download cannot be swapped into the page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from apps.core.htmx import HtmxRequest
from apps.dashboard.views.base import actor, dashboard_view, render_section
from apps.transfer.exporting import RateLimitedError, export_filename, start_site_export


def _page(request: HtmxRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    response = render_section(
        request, "dashboard/exports.html", "export-forms", "exports", {**extra}
    )
    response.status_code = status
    return response


@require_safe
@never_cache
@vary_on_headers("HX-Request")
@dashboard_view("site.export")
def export_page(request: HtmxRequest) -> HttpResponse:
    return _page(request)


def _download(stream: Any, *, filename: str, content_type: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(stream, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    # The zip is made while it is sent: nginx must not buffer a multi-gigabyte body.
    response["X-Accel-Buffering"] = "no"
    return response


@require_POST
@never_cache
@dashboard_view("site.export")
def export_site(request: HtmxRequest) -> HttpResponseBase:
    with_passwords = request.POST.get("with_passwords") == "on"
    if with_passwords and request.POST.get("confirm_passwords") != "on":
        return _page(
            request,
            status=400,
            error=gettext(
                "Tick the box that says you will keep the bundle secret: it holds "
                "everyone's password hashes."
            ),
        )
    try:
        stream = start_site_export(
            actor=actor(request), with_passwords=with_passwords, request=request
        )
    except RateLimitedError as error:
        response = _page(request, status=429, error=str(error))
        response["Retry-After"] = str(error.retry_after)
        return response
    return _download(
        stream,
        filename=export_filename(with_passwords=with_passwords),
        content_type="application/zip",
    )


@require_POST
@never_cache
@dashboard_view("site.export")
def export_wxr(request: HtmxRequest) -> HttpResponseBase:
    # lxml (about 5 MiB) is loaded by an export, not by every page worker.
    from apps.transfer.wxr_export import start_wxr_export, wxr_filename

    try:
        stream = start_wxr_export(actor=actor(request), request=request)
    except RateLimitedError as error:
        response = _page(request, status=429, error=str(error))
        response["Retry-After"] = str(error.retry_after)
        return response
    return _download(
        stream, filename=wxr_filename(), content_type="application/rss+xml; charset=utf-8"
    )
