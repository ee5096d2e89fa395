"""`make bench` keeps working: its servers start and answer, and it reads wrk right.

The benchmark itself is never run here (figures are printed, not asserted); these tests
keep its harness from rotting between the runs someone does by hand.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve

from tests.perf import report, stack, wrk
from tests.perf.wrk import WrkResult

ROOT = Path(__file__).resolve().parent.parent

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:41771/posts/cutting-the-first-paragraph/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    36.02ms   30.51ms 256.59ms   75.50%
    Req/Sec   475.12    110.94   800.00     70.00%
  Latency Distribution
     50%   29.90ms
     75%   50.12ms
     90%   75.01ms
     99%    1.02s
  9493 requests in 10.00s, 1.70GB read
Requests/sec:    949.31
Transfer/sec:    174.06MB
"""

WRK_OUTPUT_WITH_ERRORS = """\
Running 2s test @ http://127.0.0.1:41771/api/v2/posts
  1 threads and 1 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.00us  100.00us   2.00ms   90.00%
    Req/Sec     1.20k    50.00     1.30k    80.00%
  Latency Distribution
     50%  790.00us
     75%  850.00us
     90%  900.00us
     99%    1.50ms
  2400 requests in 2.00s, 10.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 40
Requests/sec:   1200.00
Transfer/sec:      5.00MB
"""


def test_wrk_report_is_read_into_numbers():
    result = wrk.parse(WRK_OUTPUT)

    assert result == WrkResult(rps=949.31, p50_ms=29.9, p99_ms=1020.0, requests=9493, errors=0)


def test_wrk_errors_count_failed_responses_and_sockets():
    result = wrk.parse(WRK_OUTPUT_WITH_ERRORS)

    assert result.errors == 43
    assert result.p50_ms == pytest.approx(0.79)
    assert result.p99_ms == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("text", "ms"),
    [("812.00us", 0.812), ("46.48ms", 46.48), ("1.02s", 1020.0), ("1.50m", 90_000.0)],
)
def test_wrk_durations_in_every_unit(text, ms):
    assert wrk.duration_ms(text) == pytest.approx(ms)


def test_output_without_figures_is_an_error_not_a_zero():
    with pytest.raises(wrk.WrkOutputError):
        wrk.parse("unable to connect to 127.0.0.1:1 Connection refused\n")
    with pytest.raises(wrk.WrkOutputError):
        wrk.duration_ms("fast")


def test_rounds_are_summarised_by_their_median_and_errors_add_up():
    rounds = [
        WrkResult(rps=100, p50_ms=10, p99_ms=50, requests=1000, errors=0),
        WrkResult(rps=300, p50_ms=30, p99_ms=90, requests=3000, errors=2),
        WrkResult(rps=200, p50_ms=20, p99_ms=70, requests=2000, errors=1),
    ]

    assert wrk.median_result(rounds) == WrkResult(
        rps=200, p50_ms=20, p99_ms=70, requests=6000, errors=3
    )


def test_wrk_command_loads_the_page_with_the_headers_and_a_long_timeout():
    command = wrk.command(
        "http://127.0.0.1:8000/", connections=32, seconds=10, headers={"Cookie": "sessionid=x"}
    )

    assert command[0] == "wrk"
    assert {"-c32", "-d10s", "--latency", "-t2"} <= set(command)
    assert command[command.index("-H") + 1] == "Cookie: sessionid=x"
    assert command[command.index("--timeout") + 1] == "30s"


def test_the_table_marks_each_bar_and_gives_the_ratio_to_the_hello_world():
    results = {
        "hello-world": WrkResult(rps=4000, p50_ms=5, p99_ms=20, requests=1, errors=0),
        "home": WrkResult(rps=2400, p50_ms=10, p99_ms=40, requests=1, errors=0),
        "post": WrkResult(rps=2400, p50_ms=10, p99_ms=80, requests=1, errors=5),
        "api": WrkResult(rps=400, p50_ms=50, p99_ms=90, requests=1, errors=0),
    }
    bars = {
        "home": report.Bar(min_ratio=0.5, max_p99_ms=50),
        "post": report.Bar(min_ratio=0.5, max_p99_ms=50),
        "api": report.Bar(min_ratio=0.5),
    }

    rows = report.page_table(results, bars, baseline="hello-world").splitlines()[2:]

    home, post, api = rows[1], rows[2], rows[3]
    assert "0.600" in home
    assert "✓" in home
    assert "✗" in post  # the p99 misses
    assert post.rstrip().endswith("5")  # its errors are shown
    assert "0.100" in api
    assert "✗" in api
    assert not {"✓", "✗"} & set(rows[0])  # the baseline has no bar


def test_the_bench_serves_inkwell_with_the_documented_production_command():
    """docs/deployment.md's single-host WSGI command: the same workers and threads."""
    deployment = (ROOT / "docs" / "deployment.md").read_text()
    documented = re.search(r"^\s+granian (--interface=wsgi .*--workers=2 .*)$", deployment, re.M)

    assert documented is not None
    flags = {f for f in documented[1].split() if not f.startswith(("--host", "--port"))}
    command = stack.wsgi_command(stack.PRODUCT_WSGI, 8001)
    assert flags <= set(command)


def test_hello_world_is_not_part_of_the_product():
    with pytest.raises(Resolver404):
        resolve("/hello")


def test_worker_processes_and_their_memory_are_found():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in stack.children(os.getpid())
        rss = stack.rss_mib(child.pid)
        assert rss is not None
        assert rss > 1
    finally:
        child.kill()
        child.wait()
    assert stack.rss_mib(child.pid) is None


def test_an_idle_server_is_settled_at_once_even_without_healthz():
    class NotFound(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_error(404)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        waited = stack.settle(f"http://127.0.0.1:{server.server_port}/hello", timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert waited < 5


def test_the_bench_refuses_to_drop_a_database_not_named_for_it():
    with (
        pytest.raises(SystemExit, match="must hold 'bench'"),
        stack.throwaway_database("postgres://postgres@127.0.0.1:5432/inkwell"),
    ):
        pass


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, response.read().decode()


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_bench_servers_start_in_the_production_shape_and_answer():
    """The hello-world and Inkwell (granian, production settings, PostgreSQL, Redis) and an
    ASGI process, as `make bench` starts them, each answer one request."""
    database_url = stack.with_database(
        os.environ["DATABASE_URL"], settings.DATABASES["default"]["NAME"]
    )
    with tempfile.TemporaryDirectory(prefix="inkwell-bench-test-") as tmp:
        env = stack.production_env(
            database_url=database_url,
            redis_url=os.environ["REDIS_URL"],
            channel_url=os.environ["REDIS_URL"],
            static_root=Path(tmp) / "static",
        )
        env["CACHE_KEY_PREFIX"] = f"inkwell-bench-test-{os.getpid()}"
        stack.manage("collectstatic", "--noinput", "-v0", env=env)
        servers = stack.Stack(Path(tmp))
        try:
            hello = servers.wsgi("hello", stack.HELLO_WSGI, stack.hello_env())
            product = servers.wsgi("wsgi", stack.PRODUCT_WSGI, env)
            asgi = servers.asgi("asgi", env)
            servers.wait_until_up(hello, "/hello")
            servers.wait_until_up(product, "/healthz")
            servers.wait_until_up(asgi, "/healthz")

            assert _get(hello.url + "/hello") == (200, "Hello, world")
            status, home = _get(product.url + "/", stack.PROXY_HEADERS)
            assert status == 200
            assert "<html" in home
            assert len(stack.children(product.pid)) == stack.WSGI_WORKERS
        finally:
            servers.close()
