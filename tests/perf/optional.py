"""The optional parts of `make bench`, written beside it: each is imported only when run.

- the live fan-out (tests/perf/fanout.py: `run_fanout`), against the bench's servers;
- search over 100,000 generated posts (tests/perf/bench_search.py: `run`), with
  `make bench SEARCH=1`: it seeds its own database, which takes minutes.

A part whose module is absent is skipped with a line saying so; one that fails is
reported, and the rest of the run goes on.
"""

from __future__ import annotations

import inspect
from typing import Any

from tests.perf import report, stack


def say(text: str = "") -> None:
    print(text, flush=True)  # noqa: T201


def fanout(
    sizes: list[int], messages: int, wsgi: str, ws_urls: list[str], seed: dict[str, Any]
) -> None:
    if not sizes:
        return
    try:
        from tests.perf.fanout import run_fanout  # type: ignore[import-not-found,unused-ignore]  # type: ignore[import-not-found]  # absent until the fan-out work lands
    except ModuleNotFoundError as error:
        if error.name != "tests.perf.fanout":
            raise
        say("\nfan-out: tests/perf/fanout.py not present")
        return
    say(f"\nlive fan-out: {messages} comments a size, sockets over 2 ASGI processes")
    try:
        results = run_fanout(
            wsgi, ws_urls, seed["post_id"], seed["post_path"], seed["commenter_session"],
            sizes, messages,
        )  # fmt: skip
    except (Exception, SystemExit) as error:  # noqa: BLE001  # reported; the rest of the run goes on
        say(f"  !! the fan-out failed: {error}")
        return
    say(report.fanout_table(results))


def search(database_url: str) -> None:
    try:
        from tests.perf.bench_search import run  # type: ignore[import-not-found,unused-ignore]
    except ModuleNotFoundError as error:
        if error.name != "tests.perf.bench_search":
            raise
        say("\nsearch: tests/perf/bench_search.py not present")
        return
    say("\nsearch over 100,000 generated posts (bench_search.py):")
    # Its own throwaway database beside ours (dropped by it), named like ours.
    name = "inkwell_bench_search"
    try:
        if "name" in inspect.signature(run).parameters:
            result = run(database_url, name=name)
        else:
            result = run(stack.with_database(database_url, name))
    except (Exception, SystemExit) as error:  # noqa: BLE001  # reported; the rest of the run goes on
        say(f"  !! the search bench failed: {error}")
        return
    p95 = float(result["overall_p95_ms"])
    ok = p95 <= report.SEARCH_P95_BAR_MS
    say(f"  p95 {p95:.1f} ms (bar ≤ {report.SEARCH_P95_BAR_MS:g} ms) {report.mark(ok)}")
