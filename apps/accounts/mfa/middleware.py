"""Placeholder: the second-factor gate (implemented by the MFA work)."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest


class RequireMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        return self.get_response(request)
