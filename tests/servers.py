"""Start the real servers as subprocesses: ASGI (manage.py serve), WSGI (granian), Redis.

For e2e, outage and proxy tests; tests/perf/stack.py starts the same commands for the bench.
A throwaway redis-server (RedisServer) is for tests that stop Redis.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
MANAGE = [sys.executable, str(ROOT / "manage.py")]
GRANIAN = str(Path(sys.executable).parent / "granian")
# granian reads a request's headers for at most this long (ms); it has no such limit for a
# body, nor a keep-alive timeout: nginx in front sets those (docs/deployment.md).
GRANIAN_HEADER_READ_TIMEOUT_MS = 10_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**overrides: str) -> dict[str, str]:
    """This process's environment without service URLs or test-only switches, plus overrides."""
    drop = {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_ENV"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PYTEST")}
    env.update({"PYTHONUNBUFFERED": "1", **overrides})
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MANAGE, *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )


def granian_command(app: str, port: int, *, workers: int, threads: int) -> list[str]:
    """The production WSGI command of docs/deployment.md, on 127.0.0.1:`port`."""
    return [
        GRANIAN,
        "--interface=wsgi",
        "--host=127.0.0.1",
        f"--port={port}",
        f"--workers={workers}",
        f"--blocking-threads={threads}",
        f"--http1-header-read-timeout={GRANIAN_HEADER_READ_TIMEOUT_MS}",
        app,
    ]


@dataclass
class Server:
    url: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    @property
    def address(self) -> str:
        """host:port, as an nginx upstream names it."""
        return self.url.removeprefix("http://")

    def stop(self) -> None:
        """End the server and every worker it started (its own process group)."""
        if self.process is None or self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # workers left behind
        self.process.wait(timeout=5)


@contextlib.contextmanager
def _running(
    command: list[str], env: dict[str, str], log_path: Path, port: int, ready_path: str
) -> Iterator[Server]:
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with its workers
        )
    server = Server(url=f"http://127.0.0.1:{port}", log_path=log_path, process=process)
    try:
        wait_until_up(server, ready_path)
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def running_server(
    env: dict[str, str], log_path: Path, ready_path: str = "/healthz"
) -> Iterator[Server]:
    """Run `manage.py serve` until the block ends; wait until `ready_path` answers at all."""
    port = free_port()
    command = [*MANAGE, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with _running(command, env, log_path, port, ready_path) as server:
        yield server


@contextlib.contextmanager
def running_wsgi_server(
    env: dict[str, str],
    log_path: Path,
    *,
    app: str = "project.wsgi:application",
    workers: int = 1,
    threads: int = 4,
    ready_path: str = "/healthz",
) -> Iterator[Server]:
    """Run granian (WSGI) as production does until the block ends."""
    port = free_port()
    command = granian_command(app, port, workers=workers, threads=threads)
    with _running(command, env, log_path, port, ready_path) as server:
        yield server


def wait_until_up(server: Server, path: str = "/healthz", timeout: float = 30) -> None:
    """Wait until `path` answers at all (any status); RuntimeError with the log otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            raise RuntimeError(f"The server exited early:\n{server.log()[-4000:]}")
        try:
            with urllib.request.urlopen(server.url + path, timeout=2):  # noqa: S310
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"The server did not answer in {timeout:.0f} s:\n{server.log()[-4000:]}")


class RedisServer:
    """A redis-server of the test's own on a free port: start, stop, start again on that port.

    Outage tests stop it; the shared Redis on 6379 is never stopped (other runs use it).
    Nothing is persisted, so a restarted server comes back empty, as after a crash; pass
    `keep_data=True` to have it save on stop and load on start (a failover or network
    blip, where the old values are still there when Redis answers again).
    """

    def __init__(self, workdir: Path, *, keep_data: bool = False) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.keep_data = keep_data
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.process is not None

    def start(self) -> None:
        if self.process is not None:
            return
        options = {
            "port": str(self.port),
            "bind": "127.0.0.1",
            "save": "3600 1" if self.keep_data else "",
            "appendonly": "no",
            "dbfilename": "dump.rdb",
        }
        command = ["redis-server", "--dir", str(self.workdir)]
        for name, value in options.items():
            command += [f"--{name}", value]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            with (
                contextlib.suppress(redis.ConnectionError),
                redis.Redis.from_url(self.url, socket_connect_timeout=1) as client,
            ):
                if client.ping():
                    return
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop it (SIGTERM: it saves first when `keep_data`); its port stays ours to reuse."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)
