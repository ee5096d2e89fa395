"""Prometheus multiprocess mode: one /metrics for every worker process of a server.

granian and uvicorn run several worker processes behind one port, and a scrape reaches
one of them. With `PROMETHEUS_MULTIPROC_DIR` set, prometheus_client keeps every metric
in memory-mapped files in that directory (one per process and kind) and /metrics sums
them (apps.core.metrics.render). This module decides, before prometheus_client is first
imported (it reads the variable once, at import), whether this process takes part:

- server processes take part: the workers of granian and uvicorn (project.wsgi and
  project.asgi call `configure(SERVER)`) and `manage.py serve` itself (`SERVE`, from
  manage.py, which serves in-process with one worker);
- any other process (a management command, the task worker, the tests) keeps its metrics
  per process and never touches the directory, so `manage.py shell` in a web container
  cannot disturb the server's files.

A directory left from an earlier server would add its counters to the new one's, so the
first process of each server run empties it: a "generation" is one `manage.py serve`
(its workers inherit it through the environment) or one granian/uvicorn master (workers
share their parent). Each worker also removes the live gauges of siblings that died
without cleaning up, and marks its own files dead on exit (`atexit`, the one exit hook
both servers run in their workers).

A directory that is missing or not writable is not fatal: the process falls back to
per-process metrics and says so at start-up (apps.core.apps) and in `manage.py check`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"
GENERATION_ENV = "INKWELL_METRICS_GENERATION"
_MARKER = ".inkwell-generation"

SERVER = "server"  # a worker process of granian or uvicorn
SERVE = "serve"  # manage.py serve: the master of its uvicorn workers (or the one worker)
COMMAND = "command"  # anything else

# Set once per process by the first `configure` call.
role: str | None = None
requested: Path | None = None  # the directory named in the environment, if any
directory: Path | None = None
fallback_reason: str | None = None


def _start_time(pid: int) -> str:
    """When process `pid` started (clock ticks since boot), so a reused pid differs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "?"
    return stat.rsplit(")", 1)[-1].split()[19]


def problem(path: Path) -> str | None:
    if not path.is_dir():
        return f"{ENV}={path} is not a directory"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"{ENV}={path} is not writable by this process (uid {os.getuid()})"
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _claim(path: Path, generation: str) -> bool:
    """Empty `path` unless this generation already owns it; True if it was emptied."""
    with (path / f"{_MARKER}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = path / _MARKER
        with contextlib.suppress(OSError):
            if marker.read_text() == generation:
                return False
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
        marker.write_text(generation)
        return True


def _drop_dead_siblings(path: Path) -> None:
    """Remove the live gauges of worker processes that ended without cleaning up."""
    for live in path.glob("gauge_live*_*.db"):
        pid = live.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            live.unlink(missing_ok=True)


def _mark_dead(pid: int, path: Path) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, str(path))  # type: ignore[no-untyped-call]


def configure(this_role: str, environ: os._Environ[str] | dict[str, str] = os.environ) -> None:
    """Decide once, before prometheus_client is imported, whether this process shares."""
    global role, requested, directory, fallback_reason
    if role is not None:
        return
    role = this_role
    value = environ.get(ENV) or environ.get(ENV.lower())
    if not value:
        return
    requested = Path(value)
    if this_role == COMMAND:
        environ.pop(ENV, None)
        environ.pop(ENV.lower(), None)
        return
    path = Path(value)
    problem_now = problem(path)
    if problem_now is not None:
        fallback_reason = problem_now
        environ.pop(ENV, None)
        environ.pop(ENV.lower(), None)
        return
    generation = environ.get(GENERATION_ENV)
    if generation is None:
        owner = os.getpid() if this_role == SERVE else os.getppid()
        generation = f"{owner}:{_start_time(owner)}"
        if this_role == SERVE:
            environ[GENERATION_ENV] = generation  # the workers it starts join it
    try:
        _claim(path, generation)
        _drop_dead_siblings(path)
    except OSError as error:
        fallback_reason = f"{ENV}={path} cannot be used: {error}"
        environ.pop(ENV, None)
        environ.pop(ENV.lower(), None)
        return
    environ[ENV] = str(path)
    directory = path
    import atexit

    atexit.register(_mark_dead, os.getpid(), path)


def active() -> bool:
    """Whether this process writes its metrics to the shared directory."""
    return directory is not None
