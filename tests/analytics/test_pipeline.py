import time
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from prometheus_client import REGISTRY

from apps.analytics import partitions, selectors
from apps.analytics.models import DailyRollup, Event, HourlyRollup, RolledDay, Salt, Visit
from apps.analytics.rollup import roll_up_day
from apps.analytics.services import prune, roll_up, roll_up_today
from apps.analytics.visitors import visitor_ids
from tests.analytics.conftest import beacon
from tests.factories.analytics import visit

pytestmark = pytest.mark.django_db


def _dropped(reason: str) -> float:
    return (
        REGISTRY.get_sample_value("inkwell_analytics_events_dropped_total", {"reason": reason})
        or 0.0
    )


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def test_redis_down_drops_and_counts_events_and_never_errors(client, own_redis, settings, drain):
    settings.ANALYTICS_BUFFER = "redis"
    assert beacon(client).status_code == 202
    before = _dropped("redis_down")
    own_redis.stop()
    for _ in range(3):
        assert beacon(client, ip="198.51.100.9").status_code == 202
    assert _dropped("redis_down") == before + 3
    assert drain() == 0  # the drain job, too, carries on without Redis
    own_redis.start()  # it comes back with the event it held before the outage
    time.sleep(0.3)  # the cache tries a dead Redis again after 0.2 s here
    assert drain() == 1
    assert Event.objects.count() == 1


def test_roll_up_rolls_finished_days_once(settings):
    settings.TIME_ZONE = "UTC"
    today = timezone.localdate()
    for back in (1, 2):
        visit(back, [(noon(today - timedelta(days=back)), "/")])
    visit(9, [(timezone.now(), "/")])
    rolled = roll_up()
    assert rolled == [today - timedelta(days=2), today - timedelta(days=1)]
    assert roll_up() == []
    assert not RolledDay.objects.filter(day=today).exists()
    assert HourlyRollup.objects.filter(day=today - timedelta(days=1), scope="").count() == 1
    # Today still comes from raw events; the finished days from rollups, same totals.
    assert selectors.summary(today - timedelta(days=2), today).pageviews == 3


def test_roll_up_deletes_salts_older_than_48_hours(settings):
    today = timezone.localdate()
    for back in (0, 1, 2, 3):
        visitor_ids(user_agent="x", ip="1", host="h", day=today - timedelta(days=back))
    roll_up()
    assert set(Salt.objects.values_list("day", flat=True)) == {today, today - timedelta(days=1)}


def test_prune_keeps_figures_and_deletes_old_raw_rows(settings):
    settings.TIME_ZONE = "UTC"
    settings.ANALYTICS_RAW_RETENTION_DAYS = 5
    today = timezone.localdate()
    old, recent = today - timedelta(days=8), today - timedelta(days=2)
    visit(1, [(noon(old), "/old/")])
    visit(2, [(noon(recent), "/recent/")])
    # The old day was never rolled up: prune rolls it up first, so its figures stay.
    events, visits = prune()
    assert (events, visits) == (1, 1)
    assert list(Event.objects.values_list("path", flat=True)) == ["/recent/"]
    assert Visit.objects.count() == 1
    assert selectors.summary(old, old).pageviews == 1
    assert DailyRollup.objects.filter(day=old, dimension="page", value="/old/").exists()


def test_rollup_command(settings):
    settings.TIME_ZONE = "UTC"
    yesterday = timezone.localdate() - timedelta(days=1)
    visit(1, [(noon(yesterday), "/")])
    call_command("analytics_rollup")
    assert RolledDay.objects.filter(day=yesterday).exists()
    DailyRollup.objects.all().delete()
    call_command("analytics_rollup", day=[yesterday])
    assert DailyRollup.objects.filter(day=yesterday, scope="", dimension="").exists()


def test_drain_command_writes_waiting_events(client):
    beacon(client)
    call_command("analytics_drain")
    assert Event.objects.count() == 1


@pytest.mark.postgres
def test_raw_events_are_partitioned_by_month_on_postgresql():
    today = timezone.localdate()
    roll_up()
    names = partitions.existing_partitions()
    for months in range(partitions.MONTHS_AHEAD + 1):
        assert partitions.partition_name(partitions.add_months(today, months)) in names
    old_month = partitions.add_months(today, -0).replace(year=today.year - 1)
    partitions.ensure_partitions(old_month, old_month)
    visit(1, [(noon(old_month), "/")])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {partitions.partition_name(old_month)}")  # noqa: S608
        assert cursor.fetchone() == (1,)
    prune()
    assert partitions.partition_name(old_month) not in partitions.existing_partitions()
    assert not Event.objects.filter(day=old_month).exists()


@pytest.mark.postgres
def test_events_outside_created_months_land_in_the_default_partition():
    far = date(2001, 1, 15)
    visit(1, [(noon(far), "/")])
    assert Event.objects.filter(day=far).count() == 1
    assert partitions.ensure_partitions(far, far) == [partitions.partition_name(far)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {partitions.partition_name(far)}")  # noqa: S608
        assert cursor.fetchone() == (1,)


def test_today_is_rolled_up_provisionally_when_configured(settings):
    settings.ANALYTICS_TODAY_ROLLUP_SECONDS = 0
    visit(1, [(timezone.now(), "/")])
    assert not roll_up_today()
    settings.ANALYTICS_TODAY_ROLLUP_SECONDS = 300
    assert roll_up_today()
    assert not roll_up_today()  # rolled up less than 300 s ago
    today = timezone.localdate()
    DailyRollup.objects.filter(day=today, scope="", dimension="").update(pageviews=42)
    assert selectors.summary(today, today).pageviews == 42  # read from the rollup
    assert selectors.live_visitors() == 1  # live figures always come from raw events


def test_a_day_rolled_up_during_the_day_is_rolled_up_again_once_settled(settings):
    settings.TIME_ZONE = "UTC"
    today = timezone.localdate()
    day = today - timedelta(days=3)
    visit(1, [(noon(day), "/")])
    roll_up_day(day)
    RolledDay.objects.filter(day=day).update(rolled_at=noon(day))  # a provisional roll-up
    visit(2, [(noon(day) + timedelta(hours=5), "/")])  # arrived later that day
    assert roll_up() == [day]
    assert selectors.summary(day, day).pageviews == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_full_batch_is_written_by_the_writer_thread_not_the_request(client, settings):
    # The embedded default: the request only appends; the background thread writes the
    # batch as soon as it is full (here 2 events), long before the hour-long timer.
    settings.ANALYTICS_BUFFER = "memory"
    settings.ANALYTICS_BATCH_SIZE = 2
    assert beacon(client).status_code == 202
    time.sleep(0.3)
    assert Event.objects.count() == 0  # one event waits: the batch is not full
    assert beacon(client, ip="198.51.100.8").status_code == 202
    deadline = time.monotonic() + 10
    while Event.objects.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert Event.objects.count() == 2
