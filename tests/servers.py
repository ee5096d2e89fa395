"""Start the real servers as subprocesses: ASGI (manage.py serve), WSGI (granian), Redis.

For e2e, outage and proxy tests; tests/perf/stack.py starts the same commands for the bench.
A throwaway redis-server (RedisServer) is for tests that stop Redis.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
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


PG_BIN = Path("/usr/lib/postgresql/15/bin")
PRIMARY_HOST, PRIMARY_PORT = "127.0.0.1", 5432


def _as_postgres(*command: str) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres OS user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


class PostgresReplica:
    """A streaming standby of the machine's PostgreSQL (127.0.0.1:5432), on a free port.

    `pg_basebackup -R` into a temporary directory owned by the postgres OS user, then
    `pg_ctl start` with a minimal configuration of its own (Debian keeps the cluster's
    postgresql.conf and pg_hba.conf outside the data directory, so the copy has none).
    Needs a `host replication` entry for 127.0.0.1 in the primary's pg_hba.conf (.ci/run adds
    it). No replication slot: nothing is left on the shared primary when a run dies.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="inkwell-replica-"))
        self.data = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self.started = False

    @staticmethod
    def available() -> str | None:
        """Why a replica cannot be made here, or None when it can."""
        if not (PG_BIN / "pg_ctl").exists():
            return f"needs PostgreSQL 15's server binaries in {PG_BIN}"
        if os.geteuid() == 0 and shutil.which("runuser") is None:
            return "needs runuser to run PostgreSQL as the postgres user"
        return None

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                str(PG_BIN / "pg_basebackup"),
                f"--host={PRIMARY_HOST}",
                f"--port={PRIMARY_PORT}",
                "--username=postgres",
                f"--pgdata={self.data}",
                "--wal-method=stream",
                "--write-recovery-conf",
                "--checkpoint=fast",
                "--no-sync",
            ),
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "hba_file": f"'{self.data / 'pg_hba.conf'}'",
            "hot_standby": "on",
            # A hot standby needs at least the primary's values of these.
            "max_connections": "100",
            "max_worker_processes": "8",
            "max_wal_senders": "10",
            "max_locks_per_transaction": "64",
            "shared_buffers": "16MB",
            "fsync": "off",
            "logging_collector": "off",
            "wal_receiver_status_interval": "1s",
        }
        conf = "".join(f"{name} = {value}\n" for name, value in settings.items())
        self._write_as_postgres(self.data / "postgresql.conf", conf)
        self._write_as_postgres(
            self.data / "pg_hba.conf",
            "local all all trust\nhost all all 127.0.0.1/32 trust\n",
        )
        self.start()

    def _write_as_postgres(self, path: Path, text: str) -> None:
        path.write_text(text)
        if os.geteuid() == 0:
            shutil.chown(path, "postgres", "postgres")

    def start(self) -> None:
        subprocess.run(
            _as_postgres(
                str(PG_BIN / "pg_ctl"),
                f"--pgdata={self.data}",
                f"--log={self.log_path}",
                "--wait",
                "--timeout=60",
                "start",
            ),
            check=True,
            capture_output=True,
            text=True,
            timeout=90,
        )
        self.started = True

    def stop(self) -> None:
        if not self.started:
            return
        subprocess.run(
            _as_postgres(
                str(PG_BIN / "pg_ctl"),
                f"--pgdata={self.data}",
                "--mode=immediate",
                "--wait",
                "stop",
            ),
            check=False,
            capture_output=True,
            timeout=60,
        )
        self.started = False

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def settings_for(self, name: str) -> dict[str, object]:
        """The DATABASES entry for database `name` on this replica."""
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": "postgres",
            "PASSWORD": "",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "OPTIONS": {"connect_timeout": 2},
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": True,
            "TEST": {"MIRROR": "default"},
        }

    def wait_for(
        self, name: str, sql: str, params: tuple[object, ...] = (), timeout: float = 30
    ) -> None:
        """Wait until `sql` returns a true first column on this replica (replay caught up)."""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(
                    host="127.0.0.1",
                    port=self.port,
                    user="postgres",
                    dbname=name,
                    connect_timeout=2,
                ) as conn:
                    row = conn.execute(sql, params).fetchone()
                    if row and row[0]:
                        return
            except psycopg.Error as exc:
                last = exc
            time.sleep(0.1)
        raise RuntimeError(f"the replica did not catch up in {timeout:.0f} s ({last})")


PGBOUNCER = "/usr/sbin/pgbouncer"


class PgBouncer:
    """pgbouncer in transaction mode on a free port, in front of 127.0.0.1:5432.

    Every database name is passed through (`* =`), so test databases made through it work.
    It runs as the postgres OS user when we are root (pgbouncer refuses root). `stop()` and
    `start()` again on the same port stand for a restart or a crash.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="inkwell-pgbouncer-"))
        self.log_path = self.root / "pgbouncer.log"
        self.process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> str | None:
        if not Path(PGBOUNCER).exists():
            return "needs pgbouncer (apt-get install pgbouncer; .ci/run installs it)"
        return None

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _write(self) -> Path:
        config = self.root / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"* = host={PRIMARY_HOST} port={PRIMARY_PORT}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            f"unix_socket_dir = {self.root}\n"
            "auth_type = trust\n"
            f"auth_file = {self.root / 'userlist.txt'}\n"
            "pool_mode = transaction\n"
            "default_pool_size = 10\n"
            "max_client_conn = 200\n"
            # A client waits this long for a server connection, then gets an error.
            "query_wait_timeout = 10\n"
            "server_idle_timeout = 10\n"
            "ignore_startup_parameters = extra_float_digits\n"
            f"logfile = {self.log_path}\n"
        )
        (self.root / "userlist.txt").write_text('"postgres" ""\n')
        if os.geteuid() == 0:
            for path in (self.root, config, self.root / "userlist.txt"):
                shutil.chown(path, "postgres", "postgres")
        return config

    def start(self) -> None:
        if self.process is not None:
            return
        config = self._write()
        as_postgres = {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}
        self.process = subprocess.Popen(
            [PGBOUNCER, str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **as_postgres,  # type: ignore[call-overload]
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with psycopg.connect(
                    host="127.0.0.1",
                    port=self.port,
                    user="postgres",
                    dbname="postgres",
                    connect_timeout=1,
                    prepare_threshold=None,
                ) as conn:
                    conn.execute("SELECT 1")
                    return
            except psycopg.OperationalError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = self.log_path.read_text() if self.log_path.exists() else ""
                raise RuntimeError(f"pgbouncer did not start:\n{log[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None:
            return
        # SIGINT: a "safe shutdown" waits for clients; SIGTERM drops them at once, as a crash.
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
