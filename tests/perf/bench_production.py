"""`make bench`: Inkwell in its production shape beside a Django hello-world, in one sitting.

Starts everything it measures (tests/perf/stack.py): a throwaway PostgreSQL database
(migrated, `seed_demo`, then tests/perf/seeding.py: a post with 100 threaded comments,
a signed-in reader, a verified commenter), Redis, granian WSGI (2 workers, 4 threads each)
and two ASGI processes with `DJANGO_ENV=production`, and the hello-world under the same
granian command. Then, with wrk (32 connections):

1. a response sample of each page: its status and `X-Page-Cache` header;
2. a warm-up, then rounds interleaved over the pages (hello-world, home, the post
   anonymous and signed in, a tag page, search, `/api/v2/posts`); each page's figures
   are the median over the rounds, its ratio is to the hello-world's req/s;
3. the post page at one connection (the tail: p99 ÷ p50), the RSS of each WSGI worker,
   Redis memory before and after, the queries of the cold anonymous post page;
4. the live fan-out at 100/500/1,000 sockets (tests/perf/fanout.py, when present) and,
   with --search (`make bench SEARCH=1`), search over 100,000 posts (bench_search.py).

With nginx installed (and not `NGINX=0`), infrastructure/nginx/inkwell.conf runs in front of
the same granian (tests/nginx.py: ports and paths rewritten, nothing else) and the anonymous
and signed-in pages are measured through it too, over HTTPS, in the same rounds: the
micro-cache's tier.

Figures are printed with issue 11's bars and ✓/✗; nothing is asserted. Every process,
the database and the bench's two Redis databases are cleaned up at the end, on an error,
on Ctrl-C and at the time limit (--timeout).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from email.message import Message
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests import nginx
from tests.perf import optional, redis_stats, report, stack, wrk
from tests.perf.report import Bar
from tests.servers import ROOT

HELLO = "hello-world"
HOME = "home"
POST = "post, 100 comments"
POST_SIGNED_IN = "post, signed in"
CSRF_SECRET = "benchCSRFsecret0123456789abcdefg"  # 32 letters and digits, as Django makes them
TAG = "tag page"
SEARCH = "search"
API = "/api/v2/posts"
BARS = {
    HOME: Bar(min_ratio=0.5, max_p99_ms=50),
    POST: Bar(min_ratio=0.5, max_p99_ms=50),
    POST_SIGNED_IN: Bar(min_ratio=0.25),
    API: Bar(min_ratio=0.5),
}
ANONYMOUS_PAGES = (HOME, POST, TAG, SEARCH)  # served by the page cache
VIA_NGINX = " via nginx"
NGINX_PAGES = (HOME, POST, POST_SIGNED_IN, API)  # measured through nginx as well
SAMPLE = 20  # requests a page for the X-Page-Cache sample


class BenchTimeoutError(Exception):
    pass


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration",
        type=float,
        default=float(env("DURATION", "10")),
        help="seconds of wrk a page a round (default 10)",
    )
    parser.add_argument("--rounds", type=int, default=int(env("ROUNDS", "2")))
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds a page (default 3)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--database",
        default=env("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/inkwell_bench_run"),
        help="a throwaway database (its name must hold 'bench'): created, then dropped",
    )
    parser.add_argument(
        "--redis",
        default=env("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6"),
        help="the cache's Redis database (emptied before and after)",
    )
    parser.add_argument(
        "--channel-redis",
        default=env("BENCH_CHANNEL_LAYER_URL", "redis://127.0.0.1:6379/7"),
        help="the channel layer's Redis database (emptied before and after)",
    )
    parser.add_argument("--sockets", default="100,500,1000", help="fan-out sizes ('' skips it)")
    parser.add_argument("--messages", type=int, default=30, help="fan-out comments a size")
    parser.add_argument(
        "--search",
        action="store_true",
        default=env("SEARCH", "") == "1",
        help="also search over 100,000 posts (bench_search.py, several minutes)",
    )
    parser.add_argument(
        "--nginx",
        action=argparse.BooleanOptionalAction,
        default=env("NGINX", "1") not in {"0", "no", "false"},
        help="also measure pages through nginx's production file (NGINX=0 skips it)",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=int(env("BENCH_TIMEOUT", "0")),
        help="stop and clean up after this many seconds (default 900, 2,100 with --search)",
    )
    args = parser.parse_args(argv)
    args.timeout = args.timeout or (2100 if args.search else 900)
    return args  # fmt: skip


def say(text: str = "") -> None:
    print(text, flush=True)  # noqa: T201


def get(url: str, headers: dict[str, str]) -> tuple[int, Message, bytes]:
    """Status, headers (names case-insensitive: granian sends them in lower case), body."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, b""


def sample(url: str, headers: dict[str, str]) -> tuple[Counter[str], Counter[str], bool, int]:
    """(statuses, X-Page-Cache values, a cookie was set, body bytes) over SAMPLE requests."""
    get(url, headers)  # the first may render and store
    statuses: Counter[str] = Counter()
    states: Counter[str] = Counter()
    cookies = False
    size = 0
    for _ in range(SAMPLE):
        status, response_headers, body = get(url, headers)
        statuses[str(status)] += 1
        states[response_headers.get("X-Page-Cache", "none")] += 1
        cookies = cookies or "Set-Cookie" in response_headers
        size = len(body)
    return statuses, states, cookies, size


def header(args: argparse.Namespace) -> None:
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"], capture_output=True, text=True
    ).stdout.strip()
    load = " ".join(f"{n:.2f}" for n in os.getloadavg())
    say(f"Inkwell bench, production shape — {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    say(f"commit {commit}; {os.cpu_count()} CPUs; load average {load}")
    say(
        f"granian WSGI {stack.WSGI_WORKERS} workers × {stack.WSGI_THREADS} threads, 2 ASGI processes, "
        f"PostgreSQL, Redis, DJANGO_ENV=production; wrk {args.connections} connections, "
        f"{args.duration:g} s × {args.rounds} rounds a page, {args.warmup:g} s warm-up"
    )
    overrides = ", ".join(f"{k}={v}" for k, v in stack.BENCH_OVERRIDES.items())
    say(f"changed from the production defaults: {overrides}")


def prepare(
    args: argparse.Namespace, database_url: str, static: Path
) -> tuple[dict[str, str], dict[str, Any]]:
    env = stack.production_env(
        database_url=database_url, redis_url=args.redis, channel_url=args.channel_redis,
        static_root=static,
    )  # fmt: skip
    began = time.monotonic()
    stack.manage("migrate", "--noinput", "-v0", env=env)
    stack.manage("collectstatic", "--noinput", "-v0", env=env)
    demo = stack.manage("seed_demo", env=env).strip().splitlines()[-1]
    seeded = stack.manage(
        "shell", "-c", "from tests.perf.seeding import main; main()", env=env
    ).strip()
    seed: dict[str, Any] = json.loads(seeded.splitlines()[-1])
    say(f"set up in {time.monotonic() - began:.0f} s: {demo}")
    say(
        f"post {seed['post_path']} with {seed['comments']} comments; tag {seed['tag_path']}; "
        f"search ?q={seed['search_query']}"
    )
    return env, seed


def measure_pages(
    args: argparse.Namespace, pages: dict[str, tuple[str, dict[str, str]]]
) -> dict[str, wrk.WrkResult]:
    say(f"\nwarm-up: {args.warmup:g} s a page")
    for url, headers in pages.values():
        wrk.run(url, connections=args.connections, seconds=args.warmup, headers=headers)
        stack.settle(url)
    settling = 0.0
    rounds: dict[str, list[wrk.WrkResult]] = {name: [] for name in pages}
    for number in range(1, args.rounds + 1):
        line = []
        for name, (url, headers) in pages.items():
            result = wrk.run(
                url, connections=args.connections, seconds=args.duration, headers=headers
            )
            settling += stack.settle(url)  # each page starts on an idle server
            rounds[name].append(result)
            line.append(f"{name} {result.rps:.0f}")
        say(f"round {number}/{args.rounds} (req/s): " + "; ".join(line))
    say(f"(waited {settling:.1f} s in all for the servers to finish what wrk left them)")
    return {name: wrk.median_result(results) for name, results in rounds.items()}


def print_redis(label: str, args: argparse.Namespace) -> int:
    used, limit = redis_stats.server_memory(args.redis)
    parts = []
    for url in (args.redis, args.channel_redis):
        usage = redis_stats.db_usage(url)
        size = report.mib(usage.bytes)
        parts.append(f"db {usage.db}: {usage.keys} keys, {'' if usage.complete else '≥ '}{size}")
    cap = f", maxmemory {report.mib(limit)}" if limit else ", no maxmemory"
    say(f"  {label}: used_memory {report.mib(used)} (whole server{cap}); " + "; ".join(parts))
    return used


def sitting(
    args: argparse.Namespace, workdir: Path, database_url: str, servers: stack.Stack
) -> None:
    for url in (args.redis, args.channel_redis):
        redis_stats.flush(url)
    say("\nRedis:")
    before = print_redis("before", args)
    env, seed = prepare(args, database_url, workdir / "static")

    through_nginx = args.nginx and nginx.installed()
    if args.nginx and not through_nginx:
        say("nginx is not installed (apt-get install nginx-light): its tier is skipped")
    if through_nginx:
        env["DJANGO_ALLOWED_HOSTS"] += f",{nginx.HOST}"
    product = servers.wsgi("wsgi", stack.PRODUCT_WSGI, env)
    hello = servers.wsgi("hello", stack.HELLO_WSGI, stack.hello_env())
    asgi = [servers.asgi(f"asgi-{n}", env) for n in (1, 2)]
    for server in (product, *asgi):
        servers.wait_until_up(server, "/healthz")
    servers.wait_until_up(hello, "/hello")

    # Every request says what every browser says: it takes gzip (the hello-world included;
    # it answers 12 bytes plain either way).
    browser = {"Accept-Encoding": "gzip, deflate, br"}
    proxy = {**stack.PROXY_HEADERS, **browser}
    # A browser's signed-in request: the session and the CSRF cookie (its secret, as a page
    # set it), and one browser throughout (the session records which).
    signed_in = {
        **proxy,
        "User-Agent": "inkwell-bench/1",
        "Cookie": f"sessionid={seed['reader_session']}; csrftoken={CSRF_SECRET}",
    }
    pages = {
        HELLO: (hello.url + "/hello", browser),
        HOME: (product.url + "/", proxy),
        POST: (product.url + seed["post_path"], proxy),
        POST_SIGNED_IN: (product.url + seed["post_path"], signed_in),
        TAG: (product.url + seed["tag_path"], proxy),
        SEARCH: (product.url + f"/search/?q={seed['search_query']}", proxy),
        API: (product.url + "/api/v2/posts", proxy),
    }
    if through_nginx:
        front = start_nginx(servers, workdir / "nginx", product, asgi[0])
        host = {"Host": nginx.HOST}
        for name in NGINX_PAGES:
            url, headers = pages[name]
            cookie = {k: headers[k] for k in ("Cookie", "User-Agent") if k in headers}
            pages[name + VIA_NGINX] = (
                url.replace(product.url, front.url, 1),
                {**host, **browser, **cookie},
            )
    say(f"\nresponse sample ({SAMPLE} requests a page after a first one):")
    cache: dict[str, str] = {}
    for name, (url, headers) in pages.items():
        if name.endswith(VIA_NGINX):
            continue  # HTTPS with the bench's own certificate: wrk's figures say enough
        statuses, states, cookies, size = sample(url, headers)
        if name in ANONYMOUS_PAGES:
            served = states["hit"] + states["replay"]
            cache[name] = f"hit {served}/{SAMPLE} (replayed before Django {states['replay']})"
        notes = (
            " — sets a cookie, so it cannot be stored"
            if cookies and name in ANONYMOUS_PAGES
            else ""
        )
        say(
            f"  {name:22} {size / 1024:6.1f} KiB  status {dict(statuses)}  X-Page-Cache {dict(states)}{notes}"
        )
        if set(statuses) != {"200"}:
            say(f"  !! {name} does not answer 200: its figures below measure something else")
    # Only a signed-in page carries the CSRF header for htmx (templates/base.html).
    if b'"X-CSRFToken"' not in get(*pages[POST_SIGNED_IN])[2]:
        say(f"  !! {POST_SIGNED_IN} is not signed in: the session was not accepted")

    results = measure_pages(args, pages)
    say(f"\none connection, {args.duration:g} s (the tail: full collections, slow requests):")
    for name in (POST, POST_SIGNED_IN):
        url, headers = pages[name]
        stack.settle(url)
        say(
            report.tail_line(
                name, wrk.run(url, connections=1, seconds=args.duration, headers=headers)
            )
        )

    say("\nRSS after the sitting:")
    workers = stack.children(product.pid)
    say(report.rss_line("Inkwell WSGI workers", [stack.rss_mib(p) for p in workers], bar=True))
    say(
        report.rss_line(
            "hello-world WSGI workers",
            [stack.rss_mib(p) for p in stack.children(hello.pid)],
            bar=False,
        )
    )
    say(report.rss_line("ASGI processes", [stack.rss_mib(s.pid) for s in asgi], bar=False))

    say(
        f"\npages: wrk {args.connections} connections, median of {args.rounds} rounds of {args.duration:g} s"
    )
    say(report.page_table(results, BARS, baseline=HELLO, cache=cache))
    if any(r.errors for r in results.values()):
        say("errors: responses outside 2xx/3xx and socket errors, over all rounds")
    cold = seed["cold_post_queries"]
    ok = cold <= report.COLD_POST_QUERIES_BAR
    say(
        f"queries, anonymous post page: cold {cold} (bar ≤ {report.COLD_POST_QUERIES_BAR}) "
        f"{report.mark(ok)}, from the page cache {seed['warm_post_queries']}"
    )

    sizes = [int(n) for n in args.sockets.split(",") if n.strip()]
    optional.fanout(
        sizes, args.messages, product.url, [a.url.replace("http://", "ws://") for a in asgi], seed
    )

    say("\nRedis:")
    say(f"  before: used_memory {report.mib(before)}")
    after = print_redis("after", args)
    ok = after < report.REDIS_BAR_MIB * 1024 * 1024
    say(f"  used_memory after < {report.REDIS_BAR_MIB} MiB {report.mark(ok)}")

    if args.search:
        optional.search(database_url)


def start_nginx(
    servers: stack.Stack, root: Path, product: stack.Server, asgi: stack.Server
) -> stack.Server:
    """nginx on the production file, in front of the bench's granian and first ASGI server."""
    root.mkdir()
    address = lambda server: server.url.removeprefix("http://")  # noqa: E731
    site = nginx.write_site(root, wsgi=address(product), asgi=address(asgi))
    command = [nginx.NGINX, "-p", str(root), "-c", str(site.main), "-g", "daemon off;"]
    front = servers.start("nginx", command, os.environ.copy(), site.tls_port)
    front.url = site.url
    servers.wait_until_up(front, "/healthz")
    return front


def _raise_timeout(signum: int, frame: FrameType | None) -> None:
    raise BenchTimeoutError


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not wrk.available():
        print(wrk.INSTALL_HINT, file=sys.stderr)  # noqa: T201
        return 2
    started = time.monotonic()
    signal.signal(signal.SIGALRM, _raise_timeout)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.alarm(args.timeout)
    header(args)
    code = 0
    try:
        with (
            tempfile.TemporaryDirectory(prefix="inkwell-bench-") as tmp,
            stack.throwaway_database(args.database) as database_url,
        ):
            servers = stack.Stack(Path(tmp))
            try:
                sitting(args, Path(tmp), database_url, servers)
            finally:
                signal.signal(
                    signal.SIGINT, signal.SIG_IGN
                )  # a second Ctrl-C must not stop the cleanup
                signal.alarm(0)
                servers.close()
                for url in (args.redis, args.channel_redis):
                    redis_stats.flush(url)
    except BenchTimeoutError:
        say(f"\n!! stopped at the time limit ({args.timeout} s); everything started was cleaned up")
        code = 3
    except KeyboardInterrupt:
        say("\n!! interrupted; everything started was cleaned up")
        code = 130
    load = " ".join(f"{n:.2f}" for n in os.getloadavg())
    say(f"\ntotal {time.monotonic() - started:.0f} s; load average {load}")
    return code


if __name__ == "__main__":
    sys.exit(main())
