from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.cache import cachalot_off as cachalot_disabled


@contextmanager
def count_queries() -> Iterator[CaptureQueriesContext]:
    """Capture the block's queries with django-cachalot off: the worst case, every query runs.

    `len(ctx)` is the count and `ctx.captured_queries` the SQL. Query-budget tests compare the
    count for 1 item and for 20, so a cached result must not hide an N+1.
    """
    with cachalot_disabled(), CaptureQueriesContext(connection) as ctx:
        yield ctx


def clear_cache() -> None:
    """Empty this run's cache only: on Redis, FLUSHDB would wipe parallel runs' keys too."""
    if settings.REDIS_URL:
        client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
        keys = list(client.scan_iter(match=f"{settings.CACHE_KEY_PREFIX}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()
    # The page cache's copies in this process are checked against the tokens just removed,
    # so they would never be served; dropped anyway so a test starts with nothing.
    from apps.core import pagecache, replay

    pagecache._local.clear()
    replay.forget()
    from apps.accounts import replay as member_replay

    member_replay.forget()
    from apps.accounts.middleware import forget_users

    forget_users()


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.inline_code: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))
        # JSON-LD is a data block: browsers never execute it, and the CSP allows it.
        is_data = tag == "script" and dict(attrs).get("type") == "application/ld+json"
        self._open = None if is_data else tag

    def handle_data(self, data: str) -> None:
        if self._open in {"script", "style"} and data.strip():
            self.inline_code.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._open = None


def html_elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every start tag in a document, with its attributes, as the browser would see them."""
    collector = _Collector()
    collector.feed(html)
    return collector.elements


def inline_code(html: str) -> list[str]:
    """The bodies of inline <script> and <style> elements (our CSP forbids them)."""
    collector = _Collector()
    collector.feed(html)
    return collector.inline_code


def metric_sample(name: str, **labels: str) -> float:
    """A sample's value in this process's Prometheus registry (0 before it is first counted)."""
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0
