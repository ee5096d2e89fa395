from __future__ import annotations

from typing import Any, NamedTuple

from django.core.paginator import Page
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_components import Component, register

# Where the pager sits: under a page's list of posts, or at the foot of a dashboard table.
PLACEMENTS = {
    "page": "mt-10 border-t border-slate-200 pt-6 dark:border-slate-800",
    "table": "border-t border-slate-200 px-4 py-3 sm:px-6 dark:border-slate-800",
}
# The words of the two links: reading pages list the newest first; tables just page on.
WORDINGS = {"page": (_("Newer"), _("Older")), "table": (_("Previous"), _("Next"))}


def _page_url(query: QueryDict | None, number: int) -> str:
    params = query.copy() if query is not None else QueryDict(mutable=True)
    params["page"] = str(number)
    return f"?{params.urlencode()}"


@register("pager")
class Pager(Component):
    """Previous/next links with "page N of M"; swaps `target` over htmx, plain links without JS.

    Pass the request's `query` (request.GET) to keep its other parameters (a search, filters).
    `placement="table"` fits the foot of a dashboard table and says Previous/Next.
    """

    template_file = "pager.html"

    class Kwargs(NamedTuple):
        page: Page[Any]
        target: str = ""
        label: str = _("Pagination")  # type: ignore[assignment]  # a lazy string
        query: QueryDict | None = None
        placement: str = "page"

    def get_template_data(
        self, args: Any, kwargs: Kwargs, slots: Any, context: Any
    ) -> dict[str, Any]:
        if kwargs.placement not in PLACEMENTS:
            raise ValueError(f"Unknown pager placement {kwargs.placement!r}")
        page = kwargs.page
        previous_text, next_text = WORDINGS[kwargs.placement]
        return {
            "page": page,
            "target": kwargs.target,
            "label": kwargs.label,
            "classes": PLACEMENTS[kwargs.placement],
            "previous_text": previous_text,
            "next_text": next_text,
            "previous_url": _page_url(kwargs.query, page.previous_page_number())
            if page.has_previous()
            else None,
            "next_url": _page_url(kwargs.query, page.next_page_number())
            if page.has_next()
            else None,
        }
