"""Session activity for the sessions page (qsessions stores the time)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from qsessions.middleware import SessionMiddleware as QSessionMiddleware

from apps.core.http import client_ip, user_agent

LAST_SEEN_KEY = "_last_seen"
# Saving the session on every request would write to the database each time;
# once per window keeps "last seen" useful and cheap.
LAST_SEEN_WINDOW = 5 * 60


class SessionActivityMiddleware:
    """Marks a signed-in session as seen at most once per window (qsessions stores the time)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            if now - int(request.session.get(LAST_SEEN_KEY, 0)) >= LAST_SEEN_WINDOW:
                request.session[LAST_SEEN_KEY] = now
        return response


class SessionMiddleware(QSessionMiddleware):  # type: ignore[misc]  # qsessions is untyped
    """qsessions' middleware, recording the client's address rather than the proxy's."""

    def process_request(self, request: HttpRequest) -> None:
        request.session = self.SessionStore(
            ip=client_ip(request),
            user_agent=user_agent(request),
            session_key=request.COOKIES.get(settings.SESSION_COOKIE_NAME),
        )
