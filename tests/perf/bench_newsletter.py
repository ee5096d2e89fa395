"""A campaign to N generated subscribers, sent by a real db_worker into an SMTP sink.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        python tests/perf/bench_newsletter.py [--subscribers 100000] [--keep]

Creates a throwaway database next to the one in DATABASE_URL (`inkwell_newsletter_bench`),
migrates it, inserts N confirmed subscribers of the default newsletter with SQL, starts an
aiosmtpd sink in its own process (tests/newsletter/smtp_sink.py), enqueues the campaign's
send task and runs one `manage.py db_worker` until the campaign is SENT. It prints the time
to queue the deliveries (one INSERT … SELECT), messages per second over the send, and the
worker's resident memory as the send goes on and at its peak (VmHWM), then checks that the
sink received exactly one message per subscriber. Figures are printed, never asserted.
`make bench-newsletter` runs it (not part of `make test`).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.servers import MANAGE, clean_env, free_port, manage  # noqa: E402


def _rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _seed(conn: psycopg.Connection, count: int) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM newsletter_newsletter WHERE slug = 'weekly'")
        row = cur.fetchone()
        assert row is not None
        letter = row[0]
        cur.execute(
            "INSERT INTO newsletter_subscriber (email, confirmed_at, created_at, token_version) "
            "SELECT 'bench' || g || '@example.com', now(), now(), 0 "
            "FROM generate_series(1, %s) g",
            [count],
        )
        cur.execute(
            "INSERT INTO newsletter_subscription "
            "(subscriber_id, newsletter_id, status, source, created_at, subscribed_at) "
            "SELECT id, %s, 'active', 'import', now(), now() FROM newsletter_subscriber",
            [letter],
        )
        body = (
            "## This week\n\nA paragraph of the weekly digest with [a link](/blog/) and "
            "**some emphasis**, long enough to look like a real issue.\n\n" * 4
        )
        cur.execute(
            "INSERT INTO newsletter_campaign (subject, preheader, body, body_html, from_publish, "
            "status, created_at, updated_at, started_at, recipients_count) "
            "VALUES ('Benchmark issue', 'Numbers', %s, %s, false, 'sending', now(), now(), "
            "now(), 0) RETURNING id",
            [body, '<h2>This week</h2><p>A paragraph with <a href="/blog/">a link</a>.</p>' * 4],
        )
        row = cur.fetchone()
        assert row is not None
        campaign = int(row[0])
        cur.execute(
            "INSERT INTO newsletter_campaign_newsletters (campaign_id, newsletter_id) "
            "VALUES (%s, %s)",
            [campaign, letter],
        )
    conn.commit()
    return campaign


def run(database_url: str, *, subscribers: int, keep: bool) -> None:
    parts = urlsplit(database_url)
    name = "inkwell_newsletter_bench"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    bench_url = urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    port = free_port()
    sink_log = Path(f"/tmp/inkwell-bench-sink-{os.getpid()}.log")
    sink_log.unlink(missing_ok=True)
    env = clean_env(
        DATABASE_URL=bench_url,
        DJANGO_DEBUG="false",  # as production: no query log growing in the worker
        REDIS_URL="",
        TASKS_BACKEND="database",
        EMAIL_URL=f"smtp://127.0.0.1:{port}",
        NEWSLETTER_EMAIL_BACKEND="",
        SITE_URL="https://bench.example.com",
    )
    sink = worker = None
    try:
        print(f"migrating {name} …", flush=True)  # noqa: T201
        manage("migrate", "--no-input", env=env)
        with psycopg.connect(bench_url) as conn:
            t0 = time.monotonic()
            campaign = _seed(conn, subscribers)
            took = time.monotonic() - t0
            print(f"seeded {subscribers:,} subscribers in {took:.1f} s", flush=True)  # noqa: T201
            sink = subprocess.Popen(
                [sys.executable, "-m", "tests.newsletter.smtp_sink", "--port", str(port),
                 "--log", str(sink_log)],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert sink.stdout is not None
            sink.stdout.readline()  # "listening on …"
            manage(
                "shell", "-c",
                "from apps.newsletter.campaigns import send_campaign_task;"
                f"send_campaign_task.enqueue({campaign})",
                env=env,
            )  # fmt: skip
            worker = subprocess.Popen(
                [*MANAGE, "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            started = time.monotonic()
            samples: list[tuple[int, int]] = []
            next_sample = 0.0
            while True:
                row = conn.execute(
                    "SELECT status, queued_at - started_at, finished_at - queued_at, "
                    "(SELECT count(*) FROM newsletter_delivery WHERE campaign_id = %s "
                    " AND status = 'sent') FROM newsletter_campaign WHERE id = %s",
                    [campaign, campaign],
                ).fetchone()
                conn.commit()
                assert row is not None
                status, queue_time, send_time, sent = row
                if time.monotonic() >= next_sample:
                    samples.append((sent, _rss_kib(worker.pid, "VmRSS")))
                    next_sample = time.monotonic() + 5
                if status == "sent":
                    break
                if worker.poll() is not None:
                    raise SystemExit("the worker exited early")
                if time.monotonic() - started > 3600:
                    raise SystemExit("no finish within an hour")
                time.sleep(0.5)
            peak = _rss_kib(worker.pid, "VmHWM")
            samples.append((sent, _rss_kib(worker.pid, "VmRSS")))
            failed = conn.execute(
                "SELECT count(*) FROM newsletter_delivery WHERE status <> 'sent'"
            ).fetchone()
    finally:
        for proc in (worker, sink):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if not keep:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    lines = sink_log.read_text().splitlines()
    sink_log.unlink(missing_ok=True)
    recipients = {line.split("\t", 1)[0] for line in lines}
    seconds = send_time.total_seconds()
    print()  # noqa: T201
    print(f"subscribers            {subscribers:,}")  # noqa: T201
    print(f"queue (INSERT…SELECT)  {queue_time.total_seconds():.2f} s")  # noqa: T201
    print(f"send                   {seconds:.1f} s")  # noqa: T201
    print(f"messages per second    {subscribers / seconds:,.0f}")  # noqa: T201
    print(f"worker peak RSS        {peak / 1024:.0f} MiB (VmHWM)")  # noqa: T201
    step = max(1, len(samples) // 8)
    shown = [*samples[1:-1:step], samples[-1]]  # the first sample is before Django loaded
    rss = ", ".join(f"{s:,}: {r / 1024:.0f}" for s, r in shown)
    print(f"worker RSS by sent     {rss} (MiB)")  # noqa: T201
    print(f"sink received          {len(lines):,} messages, {len(recipients):,} recipients")  # noqa: T201
    print(f"not sent               {failed[0] if failed else '?'}")  # noqa: T201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    run(url, subscribers=args.subscribers, keep=args.keep)


if __name__ == "__main__":
    main()
