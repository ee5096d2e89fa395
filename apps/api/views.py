"""Plain Django views under /api/ that are not part of a version."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from apps.api.errors import error_response


@csrf_exempt
def not_found(request: HttpRequest) -> HttpResponse:
    """Unknown /api/ paths answer with the envelope, not the site's HTML 404 page."""
    return error_response(
        404, "not_found", _("No API endpoint at %(path)s.") % {"path": request.path}
    )
