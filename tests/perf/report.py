"""What `make bench` prints: the page table with issue 11's bars, and the lines below it.

Bars are checked and marked ✓ or ✗ here, never asserted anywhere: a loaded machine
misses them without anything being wrong (docs/development.md#benchmarks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tests.perf.wrk import WrkResult

# Issue 11's bars (one sitting on a 2-core machine, the server and wrk sharing it).
RSS_BAR_MIB = 150
TAIL_BAR = 3.0  # p99 ÷ p50 at one connection
REDIS_BAR_MIB = 256
COLD_POST_QUERIES_BAR = 8
FANOUT_P99_BAR_MS = 100.0
SEARCH_P95_BAR_MS = 100.0


@dataclass(frozen=True)
class Bar:
    """At least `min_ratio` times the hello-world's req/s, and a p99 of at most `max_p99_ms`."""

    min_ratio: float | None = None
    max_p99_ms: float | None = None

    def text(self) -> str:
        parts = []
        if self.min_ratio is not None:
            parts.append(f"≥ {self.min_ratio:g}×")
        if self.max_p99_ms is not None:
            parts.append(f"p99 ≤ {self.max_p99_ms:g} ms")
        return ", ".join(parts)

    def holds(self, ratio: float, p99_ms: float) -> bool:
        if self.min_ratio is not None and ratio < self.min_ratio:
            return False
        return self.max_p99_ms is None or p99_ms <= self.max_p99_ms


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def page_table(
    results: Mapping[str, WrkResult],
    bars: Mapping[str, Bar],
    *,
    baseline: str,
    cache: Mapping[str, str] | None = None,
) -> str:
    """One row a page: req/s, p50, p99, its ratio to `baseline`'s req/s, the bar and ✓/✗."""
    floor = results[baseline].rps
    cache = cache or {}
    header = (
        f"{'page':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'× hello':>8}  "
        f"{'bar':24} {'':2} {'X-Page-Cache':14} errors"
    )
    lines = [header, "-" * len(header)]
    for name, result in results.items():
        ratio = result.rps / floor if floor else 0.0
        bar = bars.get(name)
        verdict = mark(bar.holds(ratio, result.p99_ms)) if bar else ""
        lines.append(
            f"{name:28} {result.rps:8.1f} {result.p50_ms:8.1f} {result.p99_ms:8.1f} "
            f"{ratio:8.3f}  {bar.text() if bar else '':24} {verdict:2} "
            f"{cache.get(name, ''):14} {result.errors or ''}"
        )
    return "\n".join(lines)


def tail_line(name: str, result: WrkResult) -> str:
    ratio = result.p99_ms / result.p50_ms if result.p50_ms else float("inf")
    return (
        f"  {name}: p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
        f"p99/p50 {ratio:.2f} (bar ≤ {TAIL_BAR:g}) {mark(ratio <= TAIL_BAR)}"
    )


def rss_line(name: str, rss: Sequence[float | None], *, bar: bool) -> str:
    shown = ", ".join("gone" if r is None else f"{r:.0f} MiB" for r in rss) or "no workers found"
    if not bar:
        return f"  {name}: {shown}"
    ok = bool(rss) and all(r is not None and r <= RSS_BAR_MIB for r in rss)
    return f"  {name}: {shown} (bar ≤ {RSS_BAR_MIB} MB each) {mark(ok)}"


def fanout_table(results: Sequence[Mapping[str, Any]]) -> str:
    header = (
        f"{'sockets':>8} {'messages':>9} {'delivered':>10} {'lost':>6} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  bar (p99 ≤ {FANOUT_P99_BAR_MS:g} ms, none lost)"
    )
    lines = [header]
    for row in results:
        ok = row["lost"] == 0 and row["p99_ms"] <= FANOUT_P99_BAR_MS
        lines.append(
            f"{row['sockets']:>8} {row['messages']:>9} {row['delivered']:>10} {row['lost']:>6} "
            f"{row['p50_ms']:>8} {row['p99_ms']:>8} {row['max_ms']:>8}  {mark(ok)}"
        )
    return "\n".join(lines)


def mib(value: float) -> str:
    return f"{value / 1024 / 1024:.1f} MiB"
