from __future__ import annotations

from typing import Any, NamedTuple

from django.core.paginator import Page
from django.http import QueryDict
from django_components import Component, register


def _page_url(query: QueryDict | None, number: int) -> str:
    params = query.copy() if query is not None else QueryDict(mutable=True)
    params["page"] = str(number)
    return f"?{params.urlencode()}"


@register("pager")
class Pager(Component):
    """Previous/next links with "page N of M"; swaps `target` over htmx, plain links without JS.

    Pass the request's `query` (request.GET) to keep its other parameters (a search, filters).
    """

    template_file = "pager.html"

    class Kwargs(NamedTuple):
        page: Page[Any]
        target: str = ""
        label: str = "Pagination"
        query: QueryDict | None = None

    def get_template_data(
        self, args: Any, kwargs: Kwargs, slots: Any, context: Any
    ) -> dict[str, Any]:
        page = kwargs.page
        return {
            "page": page,
            "target": kwargs.target,
            "label": kwargs.label,
            "previous_url": _page_url(kwargs.query, page.previous_page_number())
            if page.has_previous()
            else None,
            "next_url": _page_url(kwargs.query, page.next_page_number())
            if page.has_next()
            else None,
        }
