"""`fanout.py --start`: the servers a fan-out measurement needs, in the production shape.

Two ASGI processes (`manage.py serve`, one process each, like two `ws` pods) serve the
sockets and one granian WSGI worker takes the comment POSTs, all with
`DJANGO_ENV=production` (DEBUG off) against a throwaway PostgreSQL database
(created if missing, migrated) and Redis. The post is new each run, published with
comments open; the commenter has a verified email and a session; the moderation hold
mode is "none" and `COMMENT_RATE_LIMIT` is lifted so the reader may comment every 200 ms.
Prints the table and the Redis client connections of our Redis database before and after.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis

from tests.perf.fanout import format_table, run_fanout
from tests.servers import MANAGE, ROOT, clean_env, free_port, manage

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"

SEED = """
import json, secrets
from importlib import import_module
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from apps.comments.models import ModerationSettings
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
ModerationSettings.objects.update_or_create(pk=1, defaults={"hold": ModerationSettings.Hold.NONE})
run = secrets.token_hex(4)
post = PostFactory.create(comments_open=True, title=f"Fan-out {run}")
user = UserFactory.create(username=f"fanout-{run}", email=f"fanout-{run}@example.com")
EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
store = import_module(settings.SESSION_ENGINE).SessionStore()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.create()
print(json.dumps({"post_id": post.pk, "path": post.get_absolute_url(), "session": store.session_key}))
"""


# Run manage.py under cProfile and write the stats on SIGINT (uvicorn's own handler is
# replaced: the stats are all we want from that process).
PROFILED = """
import cProfile, os, runpy, signal, sys
profile, sys.argv = sys.argv[1], sys.argv[2:]
profiler = cProfile.Profile()
def dump(*_):
    profiler.disable(); profiler.dump_stats(profile); os._exit(0)
import uvicorn.server
uvicorn.server.HANDLED_SIGNALS = ()
signal.signal(signal.SIGINT, dump)
profiler.enable()
runpy.run_path(sys.argv[0], run_name="__main__")
"""


GC_LOGGED = """
import gc, runpy, sys, time
log, sys.argv = open(sys.argv[1], "w", buffering=1), sys.argv[2:]
started = {}
def watch(phase, info):
    if phase == "start":
        started[0] = time.perf_counter()
    else:
        log.write(f"{time.time():.3f} gen{info['generation']} {(time.perf_counter() - started[0]) * 1000:.1f} ms\\n")
gc.callbacks.append(watch)
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _ensure_database(name: str) -> str:
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def redis_clients(redis_url: str) -> int:
    """Client connections to our Redis database (others share the server), ours left out."""
    db = int(urlsplit(redis_url).path.strip("/") or 0)
    with redis.Redis.from_url(redis_url) as client:
        me = client.client_id()
        return sum(1 for c in client.client_list() if int(c["db"]) == db and int(c["id"]) != me)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"A server exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):  # noqa: S310
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer in 60 s:\n{log.read_text()[-3000:]}")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def _servers(env: dict[str, str], logs: Path) -> Iterator[tuple[str, list[str]]]:
    ws_ports = [free_port(), free_port()]
    http_port = free_port()
    commands = [[*MANAGE, "serve", "--host", "127.0.0.1", "--port", str(port)] for port in ws_ports]
    if gc_log := os.environ.get("FANOUT_GC_LOG"):
        # Log the first ASGI process's garbage collections (generation, ms) into that file.
        commands[0] = [sys.executable, "-c", GC_LOGGED, gc_log, *commands[0][1:]]
    if profile := os.environ.get("FANOUT_PROFILE"):
        # cProfile the first ASGI process into that file (written when it stops).
        commands[0] = [sys.executable, "-c", PROFILED, profile, *commands[0][1:]]
    commands.append(
        [
            str(Path(sys.executable).parent / "granian"),
            "--interface=wsgi", "--host=127.0.0.1", f"--port={http_port}",
            "--workers=1", "--blocking-threads=4", "project.wsgi:application",
        ]
    )  # fmt: skip
    processes: list[tuple[subprocess.Popen[bytes], Path, str]] = []
    try:
        for n, (command, port) in enumerate(zip(commands, [*ws_ports, http_port], strict=True)):
            log = logs / f"server{n}.log"
            with log.open("w") as out:
                process = subprocess.Popen(
                    command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
                )
            processes.append((process, log, f"http://127.0.0.1:{port}"))
        for process, log, url in processes:
            _wait_until_up(url, process, log)
        yield f"http://127.0.0.1:{http_port}", [f"ws://127.0.0.1:{p}" for p in ws_ports]
        cpu = [f"{_cpu_seconds(process.pid):.1f}" for process, _log, _url in processes]
        print(f"server CPU seconds (ASGI, ASGI, WSGI): {', '.join(cpu)}")  # noqa: T201
    finally:
        for process, _log, _url in processes:
            process.send_signal(signal.SIGINT)
        for process, _log, _url in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for _process, log, _url in processes:
            text = log.read_text()
            if "Traceback" in text or "MaxConnectionsError" in text or "survived_cancel" in text:
                print(f"--- {log.name} has errors:\n{text[-2000:]}", file=sys.stderr)  # noqa: T201


def start_and_measure(
    *, layer: str | None, redis_url: str, database: str, sockets: list[int], messages: int
) -> int:
    database_url = _ensure_database(database)
    env = clean_env(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="fanout-bench-" + "k" * 60,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        # Pub/sub channels are not per Redis database: a prefix of our own.
        CACHE_KEY_PREFIX=os.environ.get("CACHE_KEY_PREFIX", "fanout"),
        COMMENT_RATE_LIMIT="100000",
        LOG_LEVEL="WARNING",
        DJANGO_STATIC_ROOT=str(Path(tempfile.gettempdir()) / "inkwell-fanout-static"),
        DJANGO_SETTINGS_MODULE="project.settings",
    )
    if layer:
        env["CHANNEL_LAYER_BACKEND"] = layer
    manage("migrate", "--noinput", env=env)
    manage("collectstatic", "--noinput", env=env)
    try:
        seeded = manage("shell", "-c", SEED, env=env).stdout
    except subprocess.CalledProcessError as error:
        raise SystemExit(f"Seeding failed:\n{error.stderr}") from error
    seed = json.loads(seeded.strip().splitlines()[-1])
    with redis.Redis.from_url(redis_url) as client:
        client.flushdb()  # our database only: stale groups and presence of earlier runs
    with tempfile.TemporaryDirectory() as logs, _servers(env, Path(logs)) as (http, ws_urls):
        before = redis_clients(redis_url)
        results = run_fanout(
            http, ws_urls, seed["post_id"], seed["path"], seed["session"], sockets, messages
        )
        after = redis_clients(redis_url)
    print(format_table(results, f"layer: {layer or 'default'}, 2 ASGI processes"))  # noqa: T201
    print(f"Redis client connections (db of {redis_url}): before {before}, after {after}")  # noqa: T201
    return 0
