"""Search latency over 100,000 generated posts on PostgreSQL (issue 11: p95 ≤ 100 ms).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        python tests/perf/bench_search.py [--posts 100000] [--keep] [--reuse] [--name NAME]

Creates a throwaway database next to the one in DATABASE_URL (`inkwell_search_bench`
unless --name), migrates it, seeds it with `manage.py seed_bench_posts`, then times the
search page's own work — `apps.blog.search.search_page`: the search, the count and page
the pager shows, and the snippets of the posts shown — for a set of realistic queries,
each many times, interleaved. The template render is left out (it is the same for every
query). django-cachalot is off, so every run reaches PostgreSQL. The database is dropped
afterwards unless --keep; --reuse keeps an existing one and only tops it up.
"results" is the count the page shows; "413+" means the page says "More than 413 results".

Figures are printed, never asserted. Callable too: `run(database_url) -> dict`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.servers import clean_env, manage  # noqa: E402

BAR_MS = 100.0
ROUNDS = 30
WARM_UP = 3


def queries() -> dict[str, tuple[str, int]]:
    """Name → (what the reader types, result page). Words come from the generated vocabulary."""
    from apps.blog.management.bench_text import word_at_rank

    common, second, mid, rare = (word_at_rank(r) for r in (1, 13, 120, 6000))
    return {
        f"common word ({common})": (common, 1),
        f"common word, page 3 ({common})": (common, 3),
        f"frequent word ({second})": (second, 1),
        f"mid word ({mid})": (mid, 1),
        f"rare word ({rare})": (rare, 1),
        "two words": (f"{second} {mid}", 1),
        "a phrase": (f'"{word_at_rank(2)} {word_at_rank(1)}"', 1),
        "an exclusion": (f"{second} -{word_at_rank(3)}", 1),
        "matches nothing": ("zyxqwv", 1),
        "a typo (sytem)": ("sytem", 1),
    }


def _search_once(text: str, number: int) -> tuple[float, str]:
    from apps.blog.search import search_page

    started = time.perf_counter()
    result = search_page(text, number)
    elapsed = (time.perf_counter() - started) * 1000
    shown = f"{result.total:,}" + ("+" if getattr(result, "more", False) else "")
    return elapsed, shown


def measure(rounds: int = ROUNDS) -> dict[str, Any]:
    """Time each query `rounds` times on the configured database (Django must be set up)."""
    from django.db import connection

    from apps.blog.models import Post

    plan = queries()
    samples: dict[str, list[float]] = {name: [] for name in plan}
    totals: dict[str, str] = {}
    for round_ in range(WARM_UP + rounds):
        for name, (text, number) in plan.items():
            elapsed, total = _search_once(text, number)
            totals[name] = total
            if round_ >= WARM_UP:
                samples[name].append(elapsed)
    everything = sorted(ms for values in samples.values() for ms in values)
    report: dict[str, Any] = {
        "posts": Post.objects.count(),
        "vendor": connection.vendor,
        "rounds": rounds,
        "queries": {
            name: {
                "query": plan[name][0],
                "page": plan[name][1],
                "results": totals[name],
                "p50_ms": statistics.median(values),
                "p95_ms": _p95(values),
            }
            for name, values in samples.items()
        },
        "overall_p95_ms": _p95(everything),
    }
    report["passed"] = report["overall_p95_ms"] <= BAR_MS
    return report


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)]


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin(url: str, statement: str, *, maintenance: bool = True) -> None:
    import psycopg

    target = _with_database(url, "postgres") if maintenance else url
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute(statement)


def _exists(url: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def run(
    database_url: str | None = None,
    *,
    posts: int = 100_000,
    name: str = "inkwell_search_bench",
    keep: bool = False,
    reuse: bool = False,
    rounds: int = ROUNDS,
    quiet: bool = False,
) -> dict[str, Any]:
    """Seed `posts` posts into database `name` beside `database_url`, time the queries, report.

    Returns the report `measure` builds (per-query p50/p95 in ms, overall p95, `passed`).
    """
    url = database_url or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench_search needs a PostgreSQL DATABASE_URL (postgres://…).")
    bench_url = _with_database(url, name)
    say = (lambda *_: None) if quiet else print
    if not (reuse and _exists(url, name)):
        _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin(url, f'CREATE DATABASE "{name}"')
    env = clean_env(
        DATABASE_URL=bench_url, DJANGO_DEBUG="false", CACHALOT_ENABLED="false", LOG_LEVEL="WARNING"
    )
    try:
        started = time.monotonic()
        manage("migrate", "--noinput", "-v0", env=env)
        seeded = manage("seed_bench_posts", "--posts", str(posts), env=env).stdout
        say(
            f"seeded {name}: {seeded.strip().splitlines()[-1]} ({time.monotonic() - started:.0f} s)"
        )
        _admin(bench_url, "VACUUM ANALYZE", maintenance=False)  # as autovacuum would have
        output = subprocess.run(
            [sys.executable, __file__, "--measure", "--rounds", str(rounds)],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "project.settings"},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        report: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    finally:
        if not keep:
            _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if not quiet:
        print_report(report)
    return report


def print_report(report: dict[str, Any]) -> None:
    print(  # noqa: T201
        f"search over {report['posts']:,} posts on {report['vendor']}, "
        f"{report['rounds']} runs a query (search + count + page + snippets, no render)"
    )
    print(f"  {'query':40} {'results':>8} {'p50 ms':>8} {'p95 ms':>8}")  # noqa: T201
    for name, row in report["queries"].items():
        print(  # noqa: T201
            f"  {name:40} {row['results']:>8} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f}"
        )
    verdict = "PASS" if report["passed"] else "FAIL"
    print(  # noqa: T201
        f"  overall p95 {report['overall_p95_ms']:.1f} ms (bar ≤ {BAR_MS:.0f} ms): {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--name", default="inkwell_search_bench")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--keep", action="store_true", help="Keep the bench database.")
    parser.add_argument("--reuse", action="store_true", help="Reuse an existing bench database.")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # the child: Django on the bench database, JSON on the last line
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
        django.setup()
        print(json.dumps(measure(args.rounds)))  # noqa: T201
        return
    run(posts=args.posts, name=args.name, keep=args.keep, reuse=args.reuse, rounds=args.rounds)


if __name__ == "__main__":
    main()
