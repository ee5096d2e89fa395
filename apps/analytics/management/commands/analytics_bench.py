"""`manage.py analytics_bench`: generate N events over D days, then time the dashboard and ingestion.

PostgreSQL only, and destructive: it EMPTIES the analytics tables of the database it runs on
(pass --yes). `make bench-analytics` runs it on a database of its own.

1. Generation: visits and their page views are made by INSERT … SELECT over generate_series
   in PostgreSQL (no Python per row): a Zipf-like spread over --posts post pages, referrers,
   campaigns, browsers and devices; about 45 % of visits bounce. The last day is today.
2. Rollup: every finished day goes through the real `roll_up_day`.
3. The dashboard's heaviest selector calls, each --samples times (cachalot off): p50/p95/max,
   once with today computed from raw events (ANALYTICS_TODAY_ROLLUP_SECONDS=0, the embedded
   default) and once with today rolled up provisionally (the production default).
4. Ingestion: --beacons beacons through the real endpoint (Django's test client, in process,
   distinct visitors) into the in-process buffer, then the batch writer; per-beacon latency
   and events per second of each stage.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from apps.analytics import buffer, partitions, selectors
from apps.analytics.models import DailyRollup, Event, HourlyRollup, RolledDay, Visit
from apps.analytics.rollup import roll_up_day
from apps.analytics.selectors import Filters
from apps.core.cache import cachalot_off as cachalot_disabled

PAGEVIEWS_PER_VISIT = 2.375  # the generator's mean (45 % one page, else 2-5)
POST_ID_BASE = 1_000_000
AUTHORS = 20

PATH = (
    "'/posts/post-' || floor(power((abs(hashtext(v.id::text || ':' || {i}::text)) %% 1000000)"
    " / 1000000.0, 3) * %(posts)s)::int || '/'"
)

VISITS_SQL = f"""
INSERT INTO analytics_visit (id, visitor_id, day, started_at, last_seen_at, duration,
    pageviews, entry_path, exit_path, referrer, utm_source, utm_medium, utm_campaign,
    browser, os, device, country)
SELECT v.id, v.visitor_id, (v.started_at AT TIME ZONE %(tz)s)::date, v.started_at,
    v.started_at + make_interval(secs => v.duration), v.duration, v.pageviews,
    {PATH.format(i="1")}, {PATH.format(i="v.pageviews")},
    v.referrer, v.utm_source, v.utm_medium, v.utm_campaign, v.browser, v.os, v.device, ''
FROM (
    SELECT g AS id,
        (g / 2) * 1000 + (g %% %(days)s) AS visitor_id,
        ((%(first)s::date + (g %% %(days)s)::int)::timestamp
            + make_interval(secs => (abs(hashtext('t' || g)) %% 86000)))
            AT TIME ZONE %(tz)s AS started_at,
        p.pageviews,
        CASE WHEN p.pageviews = 1 THEN 0
             ELSE (p.pageviews - 1) * (20 + abs(hashtext('d' || g)) %% 240) END AS duration,
        (ARRAY['', '', '', '', 'google.com', 'duckduckgo.com', 'news.ycombinator.com',
               'bsky.app', 'bing.com', 'reddit.com', 'example.org', 'lobste.rs'])
            [1 + abs(hashtext('r' || g)) %% 12] AS referrer,
        CASE WHEN abs(hashtext('c' || g)) %% 20 < 2 THEN 'newsletter' ELSE '' END AS utm_source,
        CASE WHEN abs(hashtext('c' || g)) %% 20 < 2 THEN 'email' ELSE '' END AS utm_medium,
        CASE abs(hashtext('c' || g)) %% 20 WHEN 0 THEN 'spring' WHEN 1 THEN 'launch'
             ELSE '' END AS utm_campaign,
        (ARRAY['Chrome', 'Chrome', 'Chrome', 'Firefox', 'Safari', 'Mobile Safari', 'Edge',
               'Samsung Internet'])[1 + abs(hashtext('b' || g)) %% 8] AS browser,
        (ARRAY['Windows', 'Mac OS X', 'Linux', 'Android', 'iOS'])
            [1 + abs(hashtext('o' || g)) %% 5] AS os,
        (ARRAY['desktop', 'desktop', 'mobile', 'mobile', 'tablet'])
            [1 + abs(hashtext('o' || g)) %% 5] AS device
    FROM generate_series(%(low)s::bigint, %(high)s::bigint) AS g,
    LATERAL (SELECT CASE WHEN abs(hashtext('n' || g)) %% 100 < 45 THEN 1
                         ELSE 2 + abs(hashtext('m' || g)) %% 4 END AS pageviews) AS p
) AS v
"""  # noqa: S608 (constants only; values are parameters)

EVENTS_SQL = f"""
INSERT INTO analytics_event (day, hour, ts, name, visitor_id, visit_id, path, post_id,
    author_id, referrer, utm_source, utm_medium, utm_campaign, browser, os, device, country)
SELECT (x.ts AT TIME ZONE %(tz)s)::date, date_trunc('hour', x.ts), x.ts, 'pageview',
    v.visitor_id, v.id, x.path, {POST_ID_BASE} + x.post_no,
    {POST_ID_BASE} + x.post_no %% {AUTHORS}, v.referrer, v.utm_source, v.utm_medium,
    v.utm_campaign, v.browser, v.os, v.device, ''
FROM analytics_visit v
CROSS JOIN LATERAL generate_series(1, v.pageviews) AS i
CROSS JOIN LATERAL (
    SELECT v.started_at + make_interval(
               secs => (i - 1) * v.duration / greatest(v.pageviews - 1, 1)) AS ts,
           {PATH.format(i="i")} AS path,
           floor(power((abs(hashtext(v.id::text || ':' || i::text)) %% 1000000)
               / 1000000.0, 3) * %(posts)s)::int AS post_no
) AS x
WHERE v.id BETWEEN %(low)s AND %(high)s
"""  # noqa: S608 (constants only; values are parameters)


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


class Command(BaseCommand):
    help = (
        "Benchmark analytics on PostgreSQL: generate events, roll up, time selectors and ingestion."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--events", type=int, default=10_000_000)
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--posts", type=int, default=500)
        parser.add_argument("--samples", type=int, default=20)
        parser.add_argument("--beacons", type=int, default=5000)
        parser.add_argument(
            "--reuse", action="store_true", help="Keep the generated data of an earlier run."
        )
        parser.add_argument(
            "--ingestion-only", action="store_true", help="Only time the ingestion path."
        )
        parser.add_argument("--yes", action="store_true", help="Yes, empty the analytics tables.")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("analytics_bench needs PostgreSQL (DATABASE_URL).")
        if not options["yes"]:
            raise CommandError("This empties the analytics tables of this database: pass --yes.")
        report: dict[str, Any] = {"database": connection.settings_dict["NAME"]}
        if options["ingestion_only"]:
            report["ingestion"] = self._ingest(options["beacons"])
            self.stdout.write(json.dumps(report, indent=2, default=str))
            return
        today = timezone.localdate()
        first = today - timedelta(days=options["days"] - 1)
        if not options["reuse"]:
            report["generate"] = self._generate(options, first, today)
            report["rollup"] = self._roll_up(first, today)
        report["rows"] = {
            "events": Event.objects.count(),
            "visits": Visit.objects.count(),
            "daily_rollups": DailyRollup.objects.count(),
            "hourly_rollups": HourlyRollup.objects.count(),
        }
        # Today first as the embedded default serves it (raw events on every call), then
        # as production does (ANALYTICS_TODAY_ROLLUP_SECONDS: provisional rollup of today).
        RolledDay.objects.filter(day=today).delete()
        report["selectors_today_raw"] = self._time_selectors(today, options["samples"])
        began = time.perf_counter()
        roll_up_day(today)
        report["rollup_today_seconds"] = round(time.perf_counter() - began, 2)
        report["selectors_today_rolled"] = self._time_selectors(today, options["samples"])
        report["ingestion"] = self._ingest(options["beacons"])
        self.stdout.write(json.dumps(report, indent=2, default=str))

    def _generate(self, options: dict[str, Any], first: date, today: date) -> dict[str, Any]:
        visits = round(options["events"] / PAGEVIEWS_PER_VISIT)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for table in ("analytics_event", "analytics_visit"):
                cursor.execute(f"TRUNCATE {table}")
        for model in (DailyRollup, HourlyRollup, RolledDay):
            model.objects.all().delete()
        partitions.ensure_partitions(first, partitions.add_months(today, partitions.MONTHS_AHEAD))
        chunk = 500_000
        params: dict[str, Any] = {
            "tz": settings.TIME_ZONE,
            "days": options["days"],
            "first": first,
            "posts": options["posts"],
        }
        for low in range(1, visits + 1, chunk):
            high = min(visits, low + chunk - 1)
            with connection.cursor() as cursor:
                cursor.execute(VISITS_SQL, {**params, "low": low, "high": high})
                cursor.execute(EVENTS_SQL, {**params, "low": low, "high": high})
            self.stderr.write(f"generated visits {high:,}/{visits:,}")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE analytics_event")
            cursor.execute("ANALYZE analytics_visit")
        return {"visits": visits, "seconds": round(time.perf_counter() - started, 1)}

    def _roll_up(self, first: date, today: date) -> dict[str, Any]:
        started = time.perf_counter()
        day, per_day = first, []
        while day < today:
            began = time.perf_counter()
            roll_up_day(day)
            per_day.append(time.perf_counter() - began)
            day += timedelta(days=1)
            if len(per_day) % 10 == 0:
                self.stderr.write(f"rolled up {len(per_day)} day(s)")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE analytics_dailyrollup")
            cursor.execute("ANALYZE analytics_hourlyrollup")
        return {
            "days": len(per_day),
            "seconds": round(time.perf_counter() - started, 1),
            "per_day_seconds_p50": round(statistics.median(per_day), 2) if per_day else None,
        }

    def _time_selectors(self, today: date, samples: int) -> dict[str, Any]:
        month = today - timedelta(days=29)
        week = today - timedelta(days=6)
        quarter = today - timedelta(days=89)
        post = Filters(post_id=POST_ID_BASE + 1)
        calls: dict[str, Callable[[], object]] = {
            "summary 30d": lambda: selectors.summary(month, today),
            "summary 30d previous period": lambda: selectors.summary(
                month - timedelta(days=30), month - timedelta(days=1)
            ),
            "summary 90d": lambda: selectors.summary(quarter, today),
            "summary today": lambda: selectors.summary(today, today),
            "timeseries 30d by day": lambda: selectors.timeseries(month, today),
            "timeseries 7d by hour": lambda: selectors.timeseries(week, today, interval="hour"),
            "breakdown page 30d": lambda: selectors.breakdown("page", month, today),
            "breakdown entry_page 30d": lambda: selectors.breakdown("entry_page", month, today),
            "breakdown referrer 30d": lambda: selectors.breakdown("referrer", month, today),
            "breakdown browser 30d": lambda: selectors.breakdown("browser", month, today),
            "breakdown page 30d, referrer filter": lambda: selectors.breakdown(
                "page", month, today, Filters(referrer="google.com")
            ),
            "summary 30d, one post": lambda: selectors.summary(month, today, post),
            "timeseries 30d, one post": lambda: selectors.timeseries(month, today, post),
            "summary 30d, one author": lambda: selectors.summary(
                month, today, Filters(author_id=POST_ID_BASE + 1)
            ),
            "posts_with_stats 30d": lambda: selectors.posts_with_stats(month, today),
            "live_visitors": lambda: selectors.live_visitors(),
        }
        results = {}
        with cachalot_disabled():
            for name, call in calls.items():
                call()  # warm the connection and plans
                timings = []
                for _ in range(samples):
                    began = time.perf_counter()
                    call()
                    timings.append(time.perf_counter() - began)
                results[name] = _percentiles(timings)
                self.stderr.write(f"{name}: {results[name]}")
        return results

    def _ingest(self, beacons: int) -> dict[str, Any]:
        host = next((h for h in settings.ALLOWED_HOSTS if h and h[0] not in ".*["), "localhost")
        user_agent = (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36"
        )
        client = Client(HTTP_HOST=host, HTTP_USER_AGENT=user_agent)
        bodies = [
            json.dumps(
                {
                    "u": f"http://{host}/posts/post-{n % 50}/?utm_source=x",
                    "r": "https://google.com/",
                }
            )
            for n in range(beacons)
        ]
        with override_settings(
            # One batch larger than the run: nothing is written until the writer is timed.
            ANALYTICS_BUFFER="memory",
            ANALYTICS_FLUSH_SECONDS=3600,
            ANALYTICS_BATCH_SIZE=beacons + 1,
        ):
            client.post("/a/e", bodies[0], content_type="text/plain", REMOTE_ADDR="10.9.0.1")
            buffer.drain()
            timings, statuses = [], set()
            began = time.perf_counter()
            for n, body in enumerate(bodies):
                ip = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
                start = time.perf_counter()
                response = client.post("/a/e", body, content_type="text/plain", REMOTE_ADDR=ip)
                timings.append(time.perf_counter() - start)
                statuses.add(response.status_code)
            endpoint_seconds = time.perf_counter() - began
            with override_settings(ANALYTICS_BATCH_SIZE=1000):
                began = time.perf_counter()
                written = buffer.drain()
                writer_seconds = time.perf_counter() - began
        return {
            "beacons": beacons,
            "statuses": sorted(statuses),
            "endpoint": {**_percentiles(timings), "per_second": round(beacons / endpoint_seconds)},
            "batch_writer": {
                "written": written,
                "per_second": round(written / writer_seconds) if writer_seconds else None,
            },
            "end_to_end_per_second": round(written / (endpoint_seconds + writer_seconds)),
        }
