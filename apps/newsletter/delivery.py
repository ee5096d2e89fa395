"""Queue a campaign's recipients and send to them: batched, rate-capped, crash-safe.

Queueing writes one `Delivery` row per recipient before anything is sent, with a single
INSERT … SELECT (the database does the work; no recipient passes through Python), so
100,000 recipients cost the same few queries as ten.

The send loop, per batch (a constant number of queries per batch, plus one UPDATE per
message):

1. *Claim*: in one short transaction, lock up to NEWSLETTER_BATCH_SIZE due rows with
   `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL; several workers take disjoint batches),
   mark those no longer wanted SKIPPED (suppressed since queueing, unsubscribed, erased),
   mark the rest SENDING with `claimed_at`, and COMMIT before sending anything. A second
   worker therefore never sees them as due. (SQLite has no row locks: run one worker there.)
2. *Send* each through one backend connection for the batch, at most NEWSLETTER_SEND_RATE
   per second, and mark each SENT (with the provider's id) in its own autocommit UPDATE as
   soon as the provider accepts it.
3. A refused or timed-out message goes back to PENDING with `next_attempt_at` (exponential
   back-off) until NEWSLETTER_MAX_ATTEMPTS, then FAILED with the reason. The campaign is SENT
   when nothing is pending or sending, whatever failed.

**What a crash costs.** A worker killed at any moment leaves its claimed rows SENDING. Once
their lease (NEWSLETTER_CLAIM_LEASE_SECONDS) has passed they are due again and are sent by
the next worker, so nobody is skipped. Every row of that batch but one was never handed to
the provider, so it is sent once. The exception is the single message in flight at the
moment of the kill: if the provider had accepted it but our UPDATE had not committed, it is
sent a second time. That window is one network round trip plus one UPDATE per worker, and
the resend carries the same Message-ID (mail.message_id), which many providers and mail
clients use to drop the duplicate. Delivery is therefore exactly-once for every recipient
except at most one per killed worker, which is at-least-once. Closing that last gap would
need the provider to deduplicate by an idempotency key, which SMTP cannot offer.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import Exists, F, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from apps.core import metrics
from apps.newsletter import mail
from apps.newsletter.models import (
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
)

logger = structlog.get_logger("inkwell.newsletter")

D = DeliveryStatus
_TODO = (D.PENDING, D.SENDING)


def recipients(newsletter_ids: Sequence[int]) -> QuerySet[Subscriber]:
    """Confirmed subscribers with an active subscription to any of these, not suppressed.

    Written with EXISTS, so a subscriber of several of the newsletters appears once.
    """
    return (
        Subscriber.objects.filter(confirmed_at__isnull=False)
        .filter(
            Exists(
                Subscription.objects.filter(
                    subscriber=OuterRef("pk"),
                    newsletter_id__in=list(newsletter_ids),
                    status=SubscriptionStatus.ACTIVE,
                )
            )
        )
        .exclude(Exists(Suppression.objects.filter(email=OuterRef("email"))))
        .order_by()
    )


@transaction.atomic
def queue_campaign(*, campaign_id: int) -> int:
    """Write a PENDING delivery for every recipient of a SENDING campaign, once; the count.

    The campaign row is locked, so two workers cannot queue it twice; a campaign already
    queued (`queued_at`) is left alone.
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.queued_at is not None or campaign.status != CampaignStatus.SENDING:
        return 0
    newsletter_ids = list(campaign.newsletters.values_list("pk", flat=True))
    select_sql, params = (
        recipients(newsletter_ids).values(r_id=F("pk"), r_email=F("email")).query.sql_with_params()
    )
    table = connection.ops.quote_name(Delivery._meta.db_table)
    # One statement: the database streams the recipients into the table. Every column
    # without a database default is given here (Django's defaults live in Python). The
    # table name comes from _meta, the inner SQL is Django's, every value is a parameter.
    insert = (
        f"INSERT INTO {table} (campaign_id, subscriber_id, email, status, attempts, error, "  # noqa: S608
        "message_id, provider_id) "
        f"SELECT %s, r.r_id, r.r_email, %s, 0, '', '', '' FROM ({select_sql}) r "
        "ORDER BY r.r_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(insert, [campaign.pk, D.PENDING, *params])
        count = max(int(cursor.rowcount), 0)
    campaign.queued_at = timezone.now()
    campaign.recipients_count = count
    campaign.save(update_fields=["queued_at", "recipients_count", "updated_at"])
    logger.info("newsletter.queued", campaign_id=campaign.pk, recipients=count)
    return count


def _due(now: datetime) -> Q:
    stale = now - timedelta(seconds=settings.NEWSLETTER_CLAIM_LEASE_SECONDS)
    return Q(status=D.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    ) | Q(status=D.SENDING, claimed_at__lt=stale)


def _batch_size() -> int:
    size = max(1, settings.NEWSLETTER_BATCH_SIZE)
    if settings.NEWSLETTER_SEND_RATE > 0:
        # A batch must be sent well inside its lease, or a healthy worker's rows would be
        # taken for orphans: at most half the lease's worth of messages.
        lease = settings.NEWSLETTER_CLAIM_LEASE_SECONDS
        size = min(size, max(1, int(settings.NEWSLETTER_SEND_RATE * lease / 2)))
    return size


def claim_batch(*, campaign_id: int, now: datetime | None = None) -> list[Delivery]:
    """Take the next due deliveries for this worker and commit the claim (four queries)."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            # of=self: lock the deliveries only. Locking the joined campaign row too would make
            # every other worker skip *all* rows while one of them is claiming.
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(_due(now), campaign_id=campaign_id, campaign__status=CampaignStatus.SENDING)
            .order_by("id")
            .values_list("pk", flat=True)[: _batch_size()]
        )
        if not ids:
            return []
        campaign_newsletters = Campaign.newsletters.through.objects.filter(
            campaign_id=campaign_id
        ).values("newsletter_id")
        unwanted = (
            Q(subscriber__isnull=True)
            | Exists(Suppression.objects.filter(email=OuterRef("email")))
            | ~Exists(
                Subscription.objects.filter(
                    subscriber=OuterRef("subscriber"),
                    newsletter_id__in=campaign_newsletters,
                    status=SubscriptionStatus.ACTIVE,
                )
            )
        )
        Delivery.objects.filter(pk__in=ids).filter(unwanted).update(
            status=D.SKIPPED, error="Unsubscribed, suppressed or erased before sending."
        )
        Delivery.objects.filter(pk__in=ids, status__in=_TODO).update(
            status=D.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        return list(
            Delivery.objects.filter(pk__in=ids, status=D.SENDING)
            .select_related("subscriber")
            .order_by("id")
        )


def _retryable(exc: BaseException) -> bool:
    """A permanent refusal of the recipient (5xx) is final; everything else may pass."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return not codes or any(code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return bool(exc.smtp_code < 500)
    return True


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [
            f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for code, msg in exc.recipients.values()
        ]
        text = "Refused: " + "; ".join(parts)
    elif isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = f"{exc.smtp_code} {error.decode(errors='replace') if isinstance(error, bytes) else error}"
    elif isinstance(exc, TimeoutError) or "timed out" in str(exc).lower():
        text = "Timed out talking to the mail server."
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:500]


def backend_connection() -> BaseEmailBackend:
    """The campaign mail backend: NEWSLETTER_EMAIL_BACKEND, else Django's EMAIL_BACKEND."""
    backend: BaseEmailBackend = get_connection(
        settings.NEWSLETTER_EMAIL_BACKEND or None, fail_silently=False
    )
    return backend


class RateLimiter:
    """At most `rate` sends per second (0: no limit), smoothed, per worker."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_at = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self.next_at > now:
            time.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval


@dataclass
class SendResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    finished: bool = False
    next_run_at: datetime | None = None
    errors: list[str] = field(default_factory=list)


def send_batch(
    campaign: Campaign, rows: list[Delivery], *, limiter: RateLimiter, result: SendResult
) -> None:
    """Send claimed rows through one connection; mark each as soon as its fate is known."""
    lease_ends = time.monotonic() + settings.NEWSLETTER_CLAIM_LEASE_SECONDS * 0.8
    versions = mail.campaign_versions(campaign)  # each subscriber's language's, if any
    backend = backend_connection()
    done: set[int] = set()
    _fast_commits(True)
    try:
        try:
            backend.open()
        except Exception as exc:  # noqa: BLE001  (the server is down or refuses us: every row retries later)
            for delivery in rows:
                _record_failure(delivery, exc, result)
                done.add(delivery.pk)
            return
        for delivery in rows:
            if time.monotonic() > lease_ends:
                break  # hand the rest back below, before anyone takes them for orphans
            limiter.wait()
            message = mail.build_message(campaign=campaign, delivery=delivery, versions=versions)
            try:
                backend.send_messages([message])
            except Exception as exc:  # noqa: BLE001  (any backend's refusal: anymail, SMTP, network)
                _record_failure(delivery, exc, result)
                done.add(delivery.pk)
                _reopen(backend)
                continue
            status = getattr(message, "anymail_status", None)
            provider_id = getattr(status, "message_id", None) or ""
            # Autocommit: this row is SENT the moment the provider has the message.
            Delivery.objects.filter(pk=delivery.pk, status=D.SENDING).update(
                status=D.SENT,
                sent_at=timezone.now(),
                message_id=message.extra_headers["Message-ID"],
                provider_id=str(provider_id)[:200],
                error="",
                next_attempt_at=None,
            )
            done.add(delivery.pk)
            result.sent += 1
            metrics.email_sent("newsletter")
    finally:
        _fast_commits(False)
        backend.close()
        left = [row.pk for row in rows if row.pk not in done]
        if left:
            # Not sent by us: give them back (and the attempt) rather than wait for the lease.
            Delivery.objects.filter(pk__in=left, status=D.SENDING).update(
                status=D.PENDING, claimed_at=None, attempts=F("attempts") - 1
            )


def _fast_commits(on: bool) -> None:
    """On PostgreSQL, do not wait for the WAL flush of each per-message mark.

    Each SENT mark is its own commit; waiting for its fsync capped a worker at ~130
    messages/s here. With `synchronous_commit = off` the commit is visible to every other
    session at once and survives any crash of the *worker*, which is what the resume logic
    relies on; only a crash of the database server itself could lose the last fraction of a
    second of marks, and those messages would be sent again (same Message-ID).
    """
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF" if on else "RESET synchronous_commit")


def _reopen(backend: BaseEmailBackend) -> None:
    # After a timeout or a dropped connection the SMTP session is unusable; start anew.
    try:
        backend.close()
    except Exception:  # noqa: BLE001  (a broken connection may fail to close; it is gone)
        logger.debug("newsletter.close_failed")
    try:
        backend.open()
    except Exception:  # noqa: BLE001  (the next send reports it against its own row)
        logger.debug("newsletter.reopen_failed")


def _record_failure(delivery: Delivery, exc: BaseException, result: SendResult) -> None:
    reason = _reason(exc)
    metrics.email_failed("newsletter")  # each refused attempt, retried or not
    if delivery.attempts >= settings.NEWSLETTER_MAX_ATTEMPTS or not _retryable(exc):
        Delivery.objects.filter(pk=delivery.pk, status=D.SENDING).update(
            status=D.FAILED, error=reason, next_attempt_at=None
        )
        result.failed += 1
        logger.warning("newsletter.delivery_failed", delivery_id=delivery.pk, reason=reason)
    else:
        delay = settings.NEWSLETTER_RETRY_BASE_SECONDS * 2 ** max(0, delivery.attempts - 1)
        Delivery.objects.filter(pk=delivery.pk, status=D.SENDING).update(
            status=D.PENDING,
            error=reason,
            claimed_at=None,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
        result.retried += 1
        logger.info(
            "newsletter.delivery_retry", delivery_id=delivery.pk, reason=reason, delay=delay
        )
    result.errors.append(reason)


def finish_if_done(*, campaign_id: int) -> bool:
    """Mark a SENDING campaign SENT once no delivery is pending or sending; True if it is."""
    todo = Delivery.objects.filter(campaign_id=campaign_id, status__in=_TODO)
    finished = (
        Campaign.objects.filter(
            pk=campaign_id, status=CampaignStatus.SENDING, queued_at__isnull=False
        )
        .filter(~Exists(todo))
        .update(status=CampaignStatus.SENT, finished_at=timezone.now())
    )
    if finished:
        logger.info("newsletter.campaign_sent", campaign_id=campaign_id)
    return bool(finished)


def next_due_at(*, campaign_id: int) -> datetime | None:
    """When something of this campaign can next be claimed (a retry, an expired lease)."""
    lease = timedelta(seconds=settings.NEWSLETTER_CLAIM_LEASE_SECONDS)
    row = Delivery.objects.filter(campaign_id=campaign_id, status__in=_TODO).aggregate(
        pending=Min("next_attempt_at", filter=Q(status=D.PENDING)),
        pending_now=Min("pk", filter=Q(status=D.PENDING, next_attempt_at__isnull=True)),
        claimed=Min("claimed_at", filter=Q(status=D.SENDING)),
    )
    if row["pending_now"] is not None:
        return timezone.now()
    times = [t for t in (row["pending"], row["claimed"] and row["claimed"] + lease) if t]
    return min(times) if times else None


def run_campaign(*, campaign_id: int, budget_seconds: float | None = None) -> SendResult:
    """Queue the campaign if needed, then send batches until done or the budget is spent.

    Safe to run in several workers at once and to run again after a crash. The result says
    whether the campaign finished and, if not, when there will next be something to send.
    """
    result = SendResult()
    campaign = Campaign.objects.select_related("post").filter(pk=campaign_id).first()
    if campaign is None or campaign.status != CampaignStatus.SENDING:
        result.finished = campaign is not None and campaign.status == CampaignStatus.SENT
        return result
    if campaign.queued_at is None:
        queue_campaign(campaign_id=campaign_id)
    budget = settings.NEWSLETTER_TASK_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    limiter = RateLimiter(settings.NEWSLETTER_SEND_RATE)
    while time.monotonic() < deadline:
        rows = claim_batch(campaign_id=campaign_id)
        if not rows:
            break
        send_batch(campaign, rows, limiter=limiter, result=result)
    result.finished = finish_if_done(campaign_id=campaign_id)
    if not result.finished:
        if Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SENDING).exists():
            result.next_run_at = next_due_at(campaign_id=campaign_id)
        else:  # cancelled meanwhile, or finished by another worker: nothing more to do
            result.finished = True
    return result
