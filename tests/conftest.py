from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests.factories.accounts import UserFactory
from tests.utils import clear_cache

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`postgres` tests need the real PostgreSQL and Redis: skip them on the embedded run."""
    if ON_POSTGRES and settings.REDIS_URL:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL and Redis (make integration)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with an empty cache, so cachalot never serves an earlier test's rows."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def user(db):
    return UserFactory.create()


@pytest.fixture
def htmx_client() -> Client:
    """A client whose requests look like htmx swaps."""
    return Client(headers={"HX-Request": "true"})
