from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django_htmx.middleware import HtmxMiddleware

from apps.core.htmx import render_page_or_partial, wants_partial

pytestmark = pytest.mark.django_db


def _request(**headers):
    request = RequestFactory().get("/", headers=headers)
    HtmxMiddleware(lambda r: HttpResponse())(request)
    return request


def test_wants_partial_only_for_plain_htmx_swaps():
    assert wants_partial(_request(**{"HX-Request": "true"}))
    assert not wants_partial(_request())
    assert not wants_partial(_request(**{"HX-Request": "true", "HX-Boosted": "true"}))
    assert not wants_partial(
        _request(**{"HX-Request": "true", "HX-History-Restore-Request": "true"})
    )


def test_render_page_or_partial_returns_the_fragment_for_htmx(rf):
    from django.core.paginator import Paginator

    context: dict[str, Any] = {"page": Paginator([], 10).get_page(1), "featured": []}
    request = _request(**{"HX-Request": "true"})
    request.user = AnonymousUser()
    response = render_page_or_partial(request, "blog/home.html", "post-list", context)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="post-list">')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]
