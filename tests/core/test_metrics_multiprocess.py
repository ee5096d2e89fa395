"""/metrics sums every worker process of a server (apps.core.multiproc, apps.core.metrics).

Real servers: granian (WSGI) with two workers, and `manage.py serve` (uvicorn, ASGI) with
two, sharing one PROMETHEUS_MULTIPROC_DIR. Requests go to both workers; whichever one
answers the scrape, the totals are the sum.
"""

from __future__ import annotations

import os
import re
import urllib.request
from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from apps.core import multiproc
from tests.servers import Server, clean_env, running_server, running_wsgi_server

HEALTHZ = re.compile(
    r'^django_http_responses_total_by_status_view_method_total\{method="GET",status="200",'
    r'view="healthz"\} ([0-9.e+]+)$',
    re.M,
)
REQUESTS = 60


def _get(url: str) -> bytes:
    # A new connection each time, so the server's workers share the requests.
    request = urllib.request.Request(url, headers={"Connection": "close"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return bytes(response.read())


def _healthz_total(server: Server) -> float:
    match = HEALTHZ.search(_get(server.url + "/metrics").decode())
    return float(match.group(1)) if match else 0.0


def _healthz_per_process(directory: Path) -> Tally[int]:
    """Each worker's own count, read from its file in the shared directory."""
    tally: Tally[int] = Tally()
    for path in directory.glob("counter_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        for metric in MultiProcessCollector.merge([str(path)], accumulate=True):
            for sample in metric.samples:
                if (
                    sample.name == "django_http_responses_total_by_status_view_method_total"
                    and sample.labels.get("view") == "healthz"
                ):
                    tally[pid] += int(sample.value)
    return tally


def _env(directory: Path, **extra: str) -> dict[str, str]:
    return clean_env(PROMETHEUS_MULTIPROC_DIR=str(directory), LOG_FORMAT="json", **extra)


def _drive(urls: list[str], directory: Path, *, until_processes: int) -> int:
    """Concurrent requests, in rounds until `until_processes` processes have answered some
    (an idle granian worker may otherwise accept every connection); how many were sent."""
    sent = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        while sent < 10 * REQUESTS:
            list(pool.map(_get, [url + "/healthz" for url in urls] * (REQUESTS // len(urls))))
            sent += REQUESTS // len(urls) * len(urls)
            if len(_healthz_per_process(directory)) >= until_processes:
                break
    return sent


def _assert_summed(servers: list[Server], directory: Path, *, processes: int = 2) -> None:
    before = sum(_healthz_per_process(directory).values())  # the start-up probes'
    sent = _drive([server.url for server in servers], directory, until_processes=processes)
    per_process = _healthz_per_process(directory)
    assert len(list(directory.glob("counter_*.db"))) >= processes
    assert sum(per_process.values()) == before + sent, per_process
    # Each scrape is answered by one process or another: always the sum.
    totals = {_healthz_total(server) for server in servers for _ in range(6)}
    assert totals == {float(before + sent)}


@pytest.fixture
def metrics_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "metrics"
    directory.mkdir()
    return directory


def test_granian_workers_sum_on_metrics_and_a_restart_starts_from_zero(
    metrics_dir: Path, tmp_path: Path
) -> None:
    env = _env(metrics_dir)
    with running_wsgi_server(env, tmp_path / "granian.log", workers=2, threads=2) as server:
        _assert_summed([server], metrics_dir)
    # The next run of the server empties the directory: no counts carried over.
    with running_wsgi_server(env, tmp_path / "again.log", workers=2, threads=2) as server:
        assert _healthz_total(server) == 1.0  # the start-up probe's request only


@pytest.mark.postgres
def test_uvicorn_workers_of_manage_py_serve_sum_on_metrics(
    metrics_dir: Path, tmp_path: Path, settings
) -> None:
    # More than one ASGI worker needs Redis (the channel layer).
    env = _env(metrics_dir, REDIS_URL=settings.REDIS_URL, WEB_CONCURRENCY="2")
    with running_server(env, tmp_path / "serve.log") as server:
        _assert_summed([server], metrics_dir)


def test_two_processes_sharing_the_directory_each_report_both(
    metrics_dir: Path, tmp_path: Path
) -> None:
    """Two granian servers of one generation (as `manage.py serve` hands to its workers):
    requests split evenly and known, so each process's part is checked too."""
    env = _env(metrics_dir, **{multiproc.GENERATION_ENV: "one-run"})
    with (
        running_wsgi_server(env, tmp_path / "a.log", workers=1, threads=2) as a,
        running_wsgi_server(env, tmp_path / "b.log", workers=1, threads=2) as b,
    ):
        before = _healthz_per_process(metrics_dir)
        for _ in range(REQUESTS // 2):
            _get(a.url + "/healthz")
            _get(b.url + "/healthz")
        after = _healthz_per_process(metrics_dir)
        assert len(after) == 2
        assert all(after[pid] - before[pid] == REQUESTS // 2 for pid in after), after
        total = float(sum(after.values()))
        assert _healthz_total(a) == _healthz_total(b) == total


def test_a_missing_directory_falls_back_to_per_process_metrics(tmp_path: Path) -> None:
    env = _env(tmp_path / "no-such-directory")
    with running_wsgi_server(env, tmp_path / "granian.log", workers=1, threads=2) as server:
        _get(server.url + "/healthz")
        assert _healthz_total(server) == 2.0  # the start-up probe's and this one
        log = server.log()
    assert "metrics.per_process_fallback" in log
    assert "is not a directory" in log


# --- apps.core.multiproc, in this process ----------------------------------------------


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """multiproc's per-process decision, undone after the test; no atexit hook left behind."""
    for name in ("role", "requested", "directory", "fallback_reason"):
        monkeypatch.setattr(multiproc, name, None)
    monkeypatch.setattr("atexit.register", lambda *args: None)


def test_a_command_never_uses_the_directory(fresh: None, metrics_dir: Path) -> None:
    (metrics_dir / "counter_1.db").write_bytes(b"x")
    environ = {multiproc.ENV: str(metrics_dir)}

    multiproc.configure(multiproc.COMMAND, environ)

    assert multiproc.ENV not in environ
    assert not multiproc.active()
    assert (metrics_dir / "counter_1.db").exists()  # a server's files are left alone


def test_workers_of_one_server_empty_the_directory_once(fresh: None, metrics_dir: Path) -> None:
    (metrics_dir / "counter_1.db").write_bytes(b"old run")
    environ = {multiproc.ENV: str(metrics_dir)}

    multiproc.configure(multiproc.SERVER, environ)

    assert multiproc.active()
    assert not (metrics_dir / "counter_1.db").exists()
    # A second worker of the same master (same parent) keeps what the first wrote.
    (metrics_dir / f"counter_{os.getpid()}.db").write_bytes(b"this run")
    assert not multiproc._claim(metrics_dir, (metrics_dir / ".inkwell-generation").read_text())
    assert (metrics_dir / f"counter_{os.getpid()}.db").exists()


def test_serve_hands_its_generation_to_its_workers(fresh: None, metrics_dir: Path) -> None:
    environ = {multiproc.ENV: str(metrics_dir)}

    multiproc.configure(multiproc.SERVE, environ)

    assert environ[multiproc.GENERATION_ENV].startswith(f"{os.getpid()}:")
    assert (metrics_dir / ".inkwell-generation").read_text() == environ[multiproc.GENERATION_ENV]


def test_live_gauges_of_dead_workers_are_removed(fresh: None, metrics_dir: Path) -> None:
    dead = 2**22 + 12345  # above any pid this kernel hands out by default
    (metrics_dir / f"gauge_livesum_{dead}.db").write_bytes(b"x")
    (metrics_dir / f"gauge_livesum_{os.getppid()}.db").write_bytes(b"x")
    environ = {multiproc.ENV: str(metrics_dir), multiproc.GENERATION_ENV: "same"}
    (metrics_dir / ".inkwell-generation").write_text("same")

    multiproc.configure(multiproc.SERVER, environ)

    assert not (metrics_dir / f"gauge_livesum_{dead}.db").exists()
    assert (metrics_dir / f"gauge_livesum_{os.getppid()}.db").exists()


def test_an_unwritable_directory_falls_back(
    fresh: None, metrics_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As root, chmod cannot make a directory unwritable: ask the check the same question.
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    environ = {multiproc.ENV: str(metrics_dir)}

    multiproc.configure(multiproc.SERVER, environ)

    assert not multiproc.active()
    assert multiproc.ENV not in environ
    assert "not writable" in (multiproc.fallback_reason or "")
