from __future__ import annotations

from typing import Any, NamedTuple

from django.core.paginator import Page
from django_components import Component, register


@register("pager")
class Pager(Component):
    """Previous/next links with "page N of M"; swaps `target` over htmx, plain links without JS."""

    template_file = "pager.html"

    class Kwargs(NamedTuple):
        page: Page[Any]
        target: str = ""
        label: str = "Pagination"

    def get_template_data(
        self, args: Any, kwargs: Kwargs, slots: Any, context: Any
    ) -> dict[str, Any]:
        return {"page": kwargs.page, "target": kwargs.target, "label": kwargs.label}
