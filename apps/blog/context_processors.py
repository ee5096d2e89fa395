from typing import Any

from django.http import HttpRequest

from apps.blog.selectors import navigation_categories


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Categories for the header; lazy, so pages that do not render the header pay nothing."""
    return {"nav_categories": navigation_categories()}
