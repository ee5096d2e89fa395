"""The reader's "Download your data" page and the download itself (apps.transfer.personal)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from apps.accounts.mfa.selectors import has_confirmed_device
from apps.accounts.models import User
from apps.core.htmx import HtmxRequest, render_page_or_partial
from apps.transfer.exporting import RateLimitedError
from apps.transfer.personal import personal_export_filename, start_personal_export


def _page(request: HtmxRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    user = cast(User, request.user)
    context = {
        "asks_password": not has_confirmed_device(user) and user.has_usable_password(),
        **extra,
    }
    response = render_page_or_partial(
        request, "transfer/personal_data.html", "personal-data-form", context
    )
    response.status_code = status
    return response


@login_required
@require_safe
@never_cache
@vary_on_headers("HX-Request")
def personal_data(request: HtmxRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
@never_cache
def personal_data_download(request: HtmxRequest) -> HttpResponseBase:
    user = cast(User, request.user)
    try:
        stream = start_personal_export(
            actor=user, password=request.POST.get("password", ""), request=request
        )
    except RateLimitedError as error:
        refused = _page(request, status=429, error=str(error))
        refused["Retry-After"] = str(error.retry_after)
        return refused
    except ValidationError as error:
        return _page(request, status=400, error=" ".join(error.messages))
    response = StreamingHttpResponse(stream, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{personal_export_filename(user)}"'
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"
    return response
