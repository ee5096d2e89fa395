"""The production shape `make bench` measures, started and always torn down.

- a throwaway PostgreSQL database (created, migrated, dropped at the end),
- Redis: the cache and the channel layer in two databases of their own, emptied first,
- Inkwell with `DJANGO_ENV=production` (DEBUG off, hashed static files collected into a
  temporary directory, HTTPS redirect on: requests say `X-Forwarded-Proto: https` as
  nginx does), served by the single-host production command of docs/deployment.md:
  granian WSGI, 2 workers of 4 threads, and `manage.py serve` (ASGI) for `/ws/`,
- the Django hello-world (tests/perf/hello) under the same granian command.

Every server runs in a session of its own, so ending it ends its workers too; `Stack`
ends them all on the way out, whatever happened (an error, Ctrl-C, the time limit).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.servers import MANAGE, ROOT, clean_env, free_port, granian_command

WSGI_WORKERS = 2
WSGI_THREADS = 4
PRODUCT_WSGI = "project.wsgi:application"
HELLO_WSGI = "tests.perf.hello.wsgi:application"
# What nginx adds in front of the application (infrastructure/nginx/inkwell.conf).
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
# Settings the bench changes from the production defaults, and why (printed with the run).
BENCH_OVERRIDES = {
    # The fan-out posts a comment every 150 to 300 ms as one reader; seeding posts 100.
    "COMMENT_RATE_LIMIT": "1000000",
    # wrk is one client address: the per-IP API limit (60 a minute) would answer with 429s.
    "API_RATE_LIMIT_ANON": "1000000000",
    "API_RATE_LIMIT_USER": "1000000000",
}


def wsgi_command(app: str, port: int) -> list[str]:
    """The single-host production command (docs/deployment.md), on a port of our own."""
    return granian_command(app, port, workers=WSGI_WORKERS, threads=WSGI_THREADS)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as connection:
        connection.execute(statement)


@contextlib.contextmanager
def throwaway_database(url: str) -> Iterator[str]:
    """Create the database named in `url` afresh, yield its URL, drop it at the end."""
    name = urlsplit(url).path.strip("/")
    if "bench" not in name or not name.replace("_", "").isalnum():
        raise SystemExit(f"Refusing to drop {name!r}: the bench database's name must hold 'bench'.")
    _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(url, f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_env(
    *, database_url: str, redis_url: str, channel_url: str, static_root: Path
) -> dict[str, str]:
    """Inkwell's production settings, with only what a deployment must set, plus BENCH_OVERRIDES."""
    env = clean_env(
        DJANGO_ENV="production",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SETTINGS_MODULE="project.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CHANNEL_LAYER_URL=channel_url,
        # Channel-layer and cache keys apart from anything else on the same Redis server.
        CACHE_KEY_PREFIX="inkwell-bench",
        DJANGO_STATIC_ROOT=str(static_root),
        SITE_URL="https://127.0.0.1",
        **BENCH_OVERRIDES,
    )
    # A developer's shell must not switch off what production has on.
    for name in ("PAGE_CACHE_ENABLED", "CACHALOT_ENABLED", "GC_FREEZE", "TASKS_BACKEND"):
        env.pop(name, None)
    return env


def hello_env() -> dict[str, str]:
    return clean_env(DJANGO_SETTINGS_MODULE="tests.perf.hello.settings")


def manage(*args: str, env: dict[str, str]) -> str:
    """Run a management command; its output, or SystemExit with what it said on failure."""
    completed = subprocess.run(
        [*MANAGE, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{completed.stderr[-4000:]}")
    return completed.stdout


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


class Stack:
    """Servers started by the bench; `close()` ends every one of them (and their workers)."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.servers: list[Server] = []

    def start(self, name: str, command: list[str], env: dict[str, str], port: int) -> Server:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: ended with its workers
            )
        server = Server(name, f"http://127.0.0.1:{port}", process, log)
        self.servers.append(server)
        return server

    def wsgi(self, name: str, app: str, env: dict[str, str]) -> Server:
        port = free_port()
        return self.start(name, wsgi_command(app, port), env, port)

    def asgi(self, name: str, env: dict[str, str]) -> Server:
        port = free_port()
        command = [*MANAGE, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
        return self.start(name, command, env, port)

    def wait_until_up(self, server: Server, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise SystemExit(f"{server.name} exited early:\n{server.tail()}")
            try:
                url = server.url + path
                with urllib.request.urlopen(url, timeout=2, context=_context(url)):  # noqa: S310
                    return
            except urllib.error.HTTPError:
                return  # it answered
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"{server.name} did not answer in {timeout:.0f} s:\n{server.tail()}")

    def close(self) -> None:
        for server in self.servers:
            _signal_group(server.process, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for server in self.servers:
            try:
                server.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(server.process, signal.SIGKILL)
                server.process.wait(timeout=5)
            # Workers left behind by a main process that died first.
            _signal_group(server.process, signal.SIGKILL)
        self.servers.clear()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)  # the group we created for it (start_new_session)


def settle(url: str, *, quiet_ms: float = 50, timeout: float = 10) -> float:
    """Wait until the server behind `url` has worked off what wrk left it; seconds waited.

    When wrk stops, the requests it had sent are still being served (a slow page leaves up
    to one a connection), and they would slow the start of the next page's run. The server
    is idle again once `/healthz` answers quickly three times running.
    """
    parts = urlsplit(url)
    probe = f"{parts.scheme}://{parts.netloc}/healthz"
    began = time.monotonic()
    calm = 0
    while calm < 3 and time.monotonic() - began < timeout:
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(probe, timeout=timeout, context=_context(probe)):  # noqa: S310
                pass
        except urllib.error.HTTPError:
            pass  # the hello-world has no /healthz: its 404 answers just as well
        calm = calm + 1 if (time.perf_counter() - start) * 1000 < quiet_ms else 0
        time.sleep(0.05)
    return time.monotonic() - began


def _context(url: str) -> ssl.SSLContext | None:
    """nginx in the bench serves HTTPS with a certificate made for the run: not checked."""
    if not url.startswith("https:"):
        return None
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (granian's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid …": comm may hold spaces and parentheses.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def rss_mib(pid: int) -> float | None:
    """Resident memory of a process in MiB (VmRSS), or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
