"""A db_worker killed with SIGKILL mid-campaign: the next one finishes it, nobody twice.

Real processes on the real PostgreSQL, sending over SMTP into an aiosmtpd sink in this
process. The first worker sends at NEWSLETTER_SEND_RATE=100/s, so a campaign of 300 takes
about three seconds; it is killed once about a third has arrived. A second worker starts:
its reaper re-queues the dead worker's task (TASK_RUNNING_TIMEOUT=1), the task sends what
is pending, and the rows the dead worker had claimed are resent once their lease
(NEWSLETTER_CLAIM_LEASE_SECONDS=2) has passed, with the same Message-ID.

What is proved: every recipient received exactly one distinct Message-ID, and the raw
duplicates are at most one — the message that was in flight when the worker died (handed to
the SMTP server, not yet marked SENT). That one is at-least-once by design (see
apps.newsletter.delivery); it carries the same Message-ID, so it is the same message.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.db import connection

from apps.core.cache import cachalot_off as cachalot_disabled
from apps.newsletter.campaigns import send_campaign_task
from apps.newsletter.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from tests.factories.newsletter import NewsletterFactory
from tests.newsletter.sending import audience, sending_campaign
from tests.newsletter.smtp_sink import SmtpSink
from tests.servers import MANAGE, ROOT, clean_env

WORKER = [*MANAGE, "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"]
RECIPIENTS = 300

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _worker_env(sink: SmtpSink) -> dict[str, str]:
    db = connection.settings_dict
    return clean_env(
        DATABASE_URL=(
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        REDIS_URL="redis://127.0.0.1:6379/12",
        TASKS_BACKEND="database",
        TASK_RUNNING_TIMEOUT="1",
        EMAIL_URL=sink.email_url(),
        NEWSLETTER_EMAIL_BACKEND="",
        NEWSLETTER_SEND_RATE="100",
        NEWSLETTER_BATCH_SIZE="20",
        NEWSLETTER_CLAIM_LEASE_SECONDS="2",
    )


def _wait_for(what: str, check, log: Path, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError(f"Timed out waiting for {what}:\n{log.read_text()[-4000:]}")


def _start(name: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("a") as out:
        return subprocess.Popen(
            [*WORKER, "--worker-id", name], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


@pytest.fixture(autouse=True)
def _no_query_cache():
    # The workers write from other processes; this process must read the database itself.
    with cachalot_disabled():
        yield


def test_a_killed_worker_s_campaign_reaches_everyone_exactly_once(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    letter = NewsletterFactory.create()
    people = audience(RECIPIENTS, letter)
    campaign = sending_campaign(letter)
    send_campaign_task.enqueue(campaign.pk)
    log = tmp_path / "workers.log"

    with SmtpSink() as sink:
        env = _worker_env(sink)
        first = _start("first", env, log)
        try:
            _wait_for(
                "a third of the campaign, mid-batch",
                lambda: (
                    len(sink.messages) >= RECIPIENTS // 3
                    and Delivery.objects.filter(status=DeliveryStatus.SENDING).exists()
                ),
                log,
            )
            first.kill()  # SIGKILL: no handler, no finally, no last UPDATE
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        at_kill = len(sink.messages)
        assert 0 < at_kill < RECIPIENTS, "the worker must die mid-campaign"
        held = Delivery.objects.filter(campaign=campaign, status=DeliveryStatus.SENDING).count()
        assert held > 0  # what the dead worker had claimed: re-sent after the lease
        time.sleep(1.2)  # past TASK_RUNNING_TIMEOUT, so the next worker re-queues the task

        second = _start("second", env, log)
        try:
            _wait_for(
                "the campaign to finish",
                lambda: Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENT,
                log,
            )
        finally:
            second.kill()
            second.wait(10)
        received = list(sink.messages)

    ids_by_rcpt: dict[str, set[str]] = defaultdict(set)
    raw: Counter[str] = Counter()
    for message in received:
        for rcpt in message.recipients:
            ids_by_rcpt[rcpt].add(message.message_id)
            raw[rcpt] += 1
    assert set(ids_by_rcpt) == {p.email for p in people}  # nobody skipped
    assert all(len(ids) == 1 for ids in ids_by_rcpt.values())  # one message each
    duplicates = sum(n - 1 for n in raw.values())
    assert duplicates <= 1, f"{duplicates} raw duplicates: more than the one in flight"
    rows = Delivery.objects.filter(campaign=campaign)
    assert rows.count() == RECIPIENTS
    assert set(rows.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    for row in rows:
        assert ids_by_rcpt[row.email] == {row.message_id}
