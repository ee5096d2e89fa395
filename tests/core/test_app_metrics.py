"""The application metrics move at their seams (apps.core.metrics), and /metrics shows them.

Emails are counted in tests/notifications/test_tasks.py and tests/newsletter/test_delivery.py,
comments in tests/comments/test_services_create.py, beside what they count.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
import urllib.request
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core.cache import caches
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult, get_date_max
from redis.exceptions import ConnectionError as RedisConnectionError

from apps.blog.models import Post
from apps.blog.services import publish_if_due
from apps.core import metrics
from apps.core.live import LiveEvent, Query, ReadOnlyLiveConsumer, send_event
from apps.core.websocket import LiveSocketGuard
from tests.factories.blog import PostFactory
from tests.utils import metric_sample

pytestmark = pytest.mark.django_db


def test_a_scheduled_post_published_late_is_counted(django_capture_on_commit_callbacks, settings):
    settings.SCHEDULED_POST_LATE_AFTER = 120
    on_time = PostFactory.create(
        status=Post.Status.SCHEDULED, published_at=timezone.now() - timedelta(seconds=5)
    )
    late = PostFactory.create(
        status=Post.Status.SCHEDULED, published_at=timezone.now() - timedelta(minutes=10)
    )
    before_late = metric_sample("inkwell_scheduled_posts_published_late_total")
    before_all = metric_sample("inkwell_scheduled_post_delay_seconds_count")
    with django_capture_on_commit_callbacks(execute=True):
        assert publish_if_due(post_id=on_time.pk)
    assert metric_sample("inkwell_scheduled_posts_published_late_total") == before_late
    with django_capture_on_commit_callbacks(execute=True):
        assert publish_if_due(post_id=late.pk)
    assert metric_sample("inkwell_scheduled_posts_published_late_total") == before_late + 1
    assert metric_sample("inkwell_scheduled_post_delay_seconds_count") == before_all + 2


def test_cache_reads_count_hits_and_misses_per_alias():
    cache = caches["default"]
    hits = metric_sample("inkwell_cache_hits_total", cache="default")
    misses = metric_sample("inkwell_cache_misses_total", cache="default")
    cache.set("metrics-test-key", None)  # a stored None is a hit, not a miss
    assert cache.get("metrics-test-key", "default") is None
    assert cache.get("metrics-test-absent", "fallback") == "fallback"
    assert cache.get_many(["metrics-test-key", "metrics-test-absent", "metrics-test-b"]) == {
        "metrics-test-key": None
    }
    assert metric_sample("inkwell_cache_hits_total", cache="default") == hits + 2
    assert metric_sample("inkwell_cache_misses_total", cache="default") == misses + 3


@task()
def _metrics_test_task(fail: bool) -> str:
    if fail:
        raise ValueError("this task fails on purpose")
    return "done"


def test_tasks_enqueued_and_failed_are_counted():
    enqueued = metric_sample("inkwell_tasks_enqueued_total", queue="default")
    failed_name = f"{__name__}._metrics_test_task"
    failed = metric_sample("inkwell_tasks_failed_total", task=failed_name)
    _metrics_test_task.enqueue(fail=False)  # the immediate backend runs it now
    _metrics_test_task.enqueue(fail=True)
    assert metric_sample("inkwell_tasks_enqueued_total", queue="default") == enqueued + 2
    assert metric_sample("inkwell_tasks_failed_total", task=failed_name) == failed + 1


def _task_row(*, run_after=None, enqueued_ago: timedelta, queue: str = "default") -> None:
    row = DBTaskResult.objects.create(
        status="READY",
        args_kwargs={"args": [], "kwargs": {}},
        task_path=f"{__name__}._metrics_test_task",
        queue_name=queue,
        backend_name="default",
        run_after=run_after or get_date_max(),
        exception_class_path="",
        traceback="",
    )
    DBTaskResult.objects.filter(pk=row.pk).update(enqueued_at=timezone.now() - enqueued_ago)


def test_tasks_queued_and_late_are_read_from_the_task_table(client, settings):
    settings.TASKS_LATE_AFTER = 300
    now = timezone.now()
    _task_row(enqueued_ago=timedelta(seconds=10))  # due now: queued, not late
    _task_row(enqueued_ago=timedelta(minutes=30))  # due for 30 minutes: late
    _task_row(run_after=now - timedelta(minutes=20), enqueued_ago=timedelta(hours=1))  # late
    _task_row(run_after=now + timedelta(hours=1), enqueued_ago=timedelta(hours=1))  # not due
    _task_row(enqueued_ago=timedelta(hours=2), queue="email")  # late
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'inkwell_tasks_queued{queue="default"} 4.0' in body
    assert 'inkwell_tasks_late{queue="default"} 2.0' in body
    assert 'inkwell_tasks_late{queue="email"} 1.0' in body


def test_every_application_metric_is_registered():
    names = metrics.exported_sample_names()
    for name in (
        "inkwell_comments_posted_total",
        "inkwell_live_sockets_open",
        "inkwell_live_socket_drops_total",
        "inkwell_broadcast_latency_seconds_bucket",
        "inkwell_tasks_enqueued_total",
        "inkwell_tasks_failed_total",
        "inkwell_tasks_queued",
        "inkwell_tasks_late",
        "inkwell_emails_sent_total",
        "inkwell_emails_failed_total",
        "inkwell_cache_hits_total",
        "inkwell_cache_misses_total",
        "inkwell_scheduled_posts_published_late_total",
        "inkwell_db_pool_requests_waiting",
    ):
        assert name in names, name


# --- live sockets ------------------------------------------------------------------------


class _EchoConsumer(ReadOnlyLiveConsumer):
    async def start(self, query: Query) -> None:
        await self.join("metrics.test")
        await self.send_json({"type": "live.connected"})

    metrics_test = ReadOnlyLiveConsumer.forward


def _open(path: str = "/ws/comments/1/") -> float:
    return metric_sample("inkwell_live_sockets_open", route=metrics.socket_route(path))


def test_open_sockets_are_counted_until_they_close_and_broadcasts_timed():
    async def run() -> None:
        before = _open()
        communicator = WebsocketCommunicator(
            LiveSocketGuard(_EchoConsumer.as_asgi()), "/ws/comments/1/"
        )
        connected, _ = await communicator.connect()
        assert connected
        assert (await communicator.receive_json_from())["type"] == "live.connected"
        assert _open() == before + 1
        delivered = metric_sample("inkwell_broadcast_latency_seconds_count", event="metrics.test")
        event: LiveEvent = {"type": "metrics.test", "html": "<p>hi</p>", "data": {}}
        await _send(event)
        assert await communicator.receive_from() == "<p>hi</p>"
        # Written in a batch a moment after the relay, off the broadcast's path.
        for _ in range(40):
            counted = metric_sample("inkwell_broadcast_latency_seconds_count", event="metrics.test")
            if counted == delivered + 1:
                break
            await asyncio.sleep(0.05)
        assert counted == delivered + 1
        await communicator.disconnect()
        assert _open() == before

    async_to_sync(run)()


async def _send(event: LiveEvent) -> None:
    from asgiref.sync import sync_to_async

    await sync_to_async(send_event)("metrics.test", event)


def test_a_socket_closed_for_a_redis_outage_is_a_drop():
    class _Broken(ReadOnlyLiveConsumer):
        async def start(self, query: Query) -> None:
            raise RedisConnectionError("Redis is down")

    async def run() -> None:
        before_open = _open()
        drops = metric_sample(
            "inkwell_live_socket_drops_total", route="comments", reason="redis_unavailable"
        )
        communicator = WebsocketCommunicator(LiveSocketGuard(_Broken.as_asgi()), "/ws/comments/1/")
        await communicator.connect()
        closed = await communicator.receive_output()
        assert closed == {"type": "websocket.close", "code": 1013}
        assert (
            metric_sample(
                "inkwell_live_socket_drops_total", route="comments", reason="redis_unavailable"
            )
            == drops + 1
        )
        assert _open() == before_open
        await communicator.wait()

    async_to_sync(run)()


def test_the_task_worker_serves_its_own_metrics():
    from apps.core.management.commands.db_worker import serve_metrics
    from tests.servers import free_port

    port = free_port()
    server = serve_metrics("127.0.0.1", port)
    try:
        metrics.email_failed("notification")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            body = response.read().decode()
    finally:
        server.shutdown()
    assert 'inkwell_emails_failed_total{kind="notification"}' in body


def test_a_taken_metrics_port_is_a_clear_error():
    from django.core.management.base import CommandError

    from apps.core.management.commands.db_worker import serve_metrics

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"Cannot serve metrics on 127.0.0.1:{port}"):
            serve_metrics("127.0.0.1", port)


@pytest.mark.postgres
def test_the_database_pool_gauges_follow_psycopg_pool(client):
    client.get("/healthz")  # request_finished refreshes them
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    gauges = dict(re.findall(r"^inkwell_db_pool_(size|available) ([0-9.]+)$", body, re.M))
    size, available = float(gauges["size"]), float(gauges["available"])
    assert size >= 1
    assert 0 <= available <= size


def test_batched_broadcast_latencies_fill_the_same_buckets_as_one_observe_each():
    def buckets(event: str) -> list[float]:
        return [
            metric_sample("inkwell_broadcast_latency_seconds_bucket", event=event, le=le)
            for le in ("0.005", "0.01", "0.1", "1.0", "+Inf")
        ]

    latencies = [0.001, 0.004, 0.007, 0.05, 0.3, 0.3, 7.0, 20.0]  # none on a bound
    for latency in latencies:
        metrics.BROADCAST_LATENCY.labels(event="batch.one").observe(latency)

    async def relay() -> None:
        now = time.time()
        for latency in latencies:
            metrics.broadcast_delivered("batch.many", now - latency)
        metrics.flush_broadcast_latencies()

    async_to_sync(relay)()
    assert buckets("batch.many") == buckets("batch.one")
    assert metric_sample(
        "inkwell_broadcast_latency_seconds_sum", event="batch.many"
    ) == pytest.approx(sum(latencies), abs=0.05)
