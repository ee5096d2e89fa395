import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from apps.analytics import buffer
from apps.analytics.visitors import forget_cached_salts

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


@pytest.fixture(autouse=True)
def _analytics_settings(settings):
    """Events are written when drained; salts are read from this test's database."""
    settings.ANALYTICS_FLUSH_SECONDS = 3600  # nothing is written until a test drains
    settings.ANALYTICS_ENABLED = True
    forget_cached_salts()
    yield
    forget_cached_salts()
    buffer.memory.items.clear()


@pytest.fixture
def drain():
    """Write whatever waits in the buffer (Redis list or in-process batch)."""
    return buffer.drain


def beacon(
    client: Client,
    url: str = "http://testserver/posts/a/",
    referrer: str = "",
    *,
    user_agent: str = FIREFOX,
    ip: str = "198.51.100.7",
    **headers: Any,
):
    return client.post(
        "/a/e",
        data=json.dumps({"u": url, "r": referrer}),
        content_type="text/plain",
        HTTP_USER_AGENT=user_agent,
        REMOTE_ADDR=ip,
        **headers,
    )


def database_text() -> str:
    """Every row of every table, as text (for "is this stored anywhere?")."""
    chunks: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)
