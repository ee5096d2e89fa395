"""Staff moves of subscribers in and out: CSV import and export.

An import is all or nothing. Every row is read and checked first; if any row is wrong
the report lists each problem (by line) and nothing is written. Otherwise one transaction
writes everything with batched inserts. The importer must confirm that the people on the
list agreed to be mailed (the Consent rows record who vouched for it, and when).
Addresses on the suppression list and people who unsubscribed earlier are reported and
left out: an import never overrides a bounce, a complaint or someone's "no".

The export streams: one query per chunk of subscribers, one line at a time, so memory
stays flat for any list size. Cells a spreadsheet would run as a formula are defused.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import IO, Final

import structlog
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from apps.accounts.audit import record_event
from apps.accounts.models import AuditEvent, User
from apps.accounts.permissions import can
from apps.newsletter.directory import suppressed_among
from apps.newsletter.models import (
    Consent,
    Newsletter,
    Source,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
    normalise_email,
)

logger = structlog.get_logger("inkwell.newsletter")

MAX_IMPORT_BYTES: Final = 10 * 1024 * 1024
MAX_IMPORT_ROWS: Final = 100_000
MAX_ERRORS_SHOWN: Final = 200
BATCH: Final = 1000
COLUMNS: Final = ("email", "name", "created")
MAX_NAME_LENGTH: Final = 150
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
EXPORT_HEADER: Final = [
    "email",
    "created",
    "confirmed",
    "subscribed",
    "pending",
    "unsubscribed",
    "suppressed",
]


@dataclass(frozen=True)
class RowError:
    line: int  # as a spreadsheet numbers it: the header is line 1
    value: str  # the row's address as written (or the whole row, shortened)
    message: str


@dataclass(frozen=True)
class RowSkipped:
    line: int
    email: str
    reason: str


@dataclass
class ImportReport:
    """What an import did, or would have done: shown to the importer row by row."""

    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    skipped: list[RowSkipped] = field(default_factory=list)
    created: int = 0  # new subscribers
    subscribed: int = 0  # subscriptions added or activated (new and existing subscribers)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors_shown(self) -> list[RowError]:
        return self.errors[:MAX_ERRORS_SHOWN]


@dataclass(frozen=True)
class _Row:
    line: int
    email: str
    created: datetime | None


# --------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------


@transaction.atomic
def import_subscribers(
    *,
    actor: User,
    file: IO[bytes] | IO[str],
    newsletters: Sequence[Newsletter],
    consent_confirmed: bool,
    note: str = "",
) -> ImportReport:
    """Add the CSV's addresses to `newsletters`, all or nothing, as confirmed subscribers.

    Refuses (ValidationError) without `consent_confirmed` or without a newsletter. Returns
    the report; when it has errors, nothing was written. The CSV has a header row with an
    `email` column and optional `name` and `created` (ISO date or date-time) columns.
    """
    if not can(actor, "newsletter.manage"):
        raise PermissionDenied(_("Only editors and admins can import subscribers."))
    if not consent_confirmed:
        raise ValidationError(
            _("Confirm that everyone on the list agreed to receive these newsletters."),
            code="consent",
        )
    if not newsletters:
        raise ValidationError(_("Choose at least one newsletter."), code="newsletters")
    report = ImportReport()
    rows = _parse(file, report)
    if not report.ok:
        return report
    rows = _drop_suppressed(rows, report)
    with transaction.atomic():  # the import and its audit entry stand or fall together
        _write(rows, newsletters=list(newsletters), actor=actor, note=note[:300], report=report)
        record_event(
            kind=AuditEvent.Kind.SUBSCRIBERS_IMPORTED,
            actor=actor,
            data={
                "rows": report.rows,
                "created": report.created,
                "subscribed": report.subscribed,
                "newsletters": [newsletter.slug for newsletter in newsletters],
            },
        )
    logger.info(
        "newsletter import",
        actor=actor.pk,
        rows=report.rows,
        created=report.created,
        subscribed=report.subscribed,
        skipped=len(report.skipped),
    )
    return report


def _text(file: IO[bytes] | IO[str], report: ImportReport) -> str | None:
    raw = file.read(MAX_IMPORT_BYTES + 1)
    if len(raw) > MAX_IMPORT_BYTES:
        report.errors.append(RowError(0, "", _("The file is larger than 10 MB; split it up.")))
        return None
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8-sig")  # a spreadsheet's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError:
        report.errors.append(
            RowError(0, "", _("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."))
        )
        return None


def _columns(header: list[str]) -> dict[str, int] | None:
    names = [cell.strip().lower() for cell in header]
    if "email" not in names:
        return None
    return {name: names.index(name) for name in COLUMNS if name in names}


def _parse(file: IO[bytes] | IO[str], report: ImportReport) -> list[_Row]:
    text = _text(file, report)
    if text is None:
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        report.errors.append(
            RowError(1, "", _("The header row cannot be read: %(error)s.") % {"error": exc})
        )
        return []
    if header is None:
        report.errors.append(RowError(0, "", _("The file is empty.")))
        return []
    columns = _columns(header)
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    if columns is None:
        if header and "@" in header[0]:
            # No header row: a plain list of addresses (email, then name, then created).
            columns = {name: i for i, name in enumerate(COLUMNS)}
            _check_row(header, 1, columns, rows, seen, report)
        else:
            report.errors.append(
                RowError(1, ",".join(header)[:80], _("The first row must name an “email” column."))
            )
            return []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank lines are not rows
            if report.rows >= MAX_IMPORT_ROWS:
                report.errors.append(
                    RowError(
                        reader.line_num,
                        "",
                        _("More than %(rows)s rows; split the file.")
                        % {"rows": number_format(MAX_IMPORT_ROWS, force_grouping=True)},
                    )
                )
                return []
            _check_row(cells, reader.line_num, columns, rows, seen, report)
    except csv.Error as exc:
        report.errors.append(
            RowError(reader.line_num, "", _("This row cannot be read: %(error)s.") % {"error": exc})
        )
    if not rows and report.ok:
        report.errors.append(RowError(0, "", _("The file has no addresses in it.")))
    return rows


def _check_row(
    cells: list[str],
    line: int,
    columns: dict[str, int],
    rows: list[_Row],
    seen: dict[str, int],
    report: ImportReport,
) -> None:
    report.rows += 1

    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    written = cell("email")
    email = normalise_email(written)
    problems = []
    if not email:
        problems.append(_("The address is missing."))
    else:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(_("This is not a valid email address."))
        if len(email) > 254:
            problems.append(_("The address is longer than 254 characters."))
    if len(cell("name")) > MAX_NAME_LENGTH:
        problems.append(
            _("The name is longer than %(count)d characters.") % {"count": MAX_NAME_LENGTH}
        )
    created, created_problem = _created(cell("created"))
    if created_problem:
        problems.append(created_problem)
    shown = written[:120] or ",".join(cells)[:120]
    for problem in problems:
        report.errors.append(RowError(line, shown, problem))
    if problems:
        return
    if email in seen:
        report.skipped.append(
            RowSkipped(
                line,
                email,
                _("The same address as line %(line)d; imported once.") % {"line": seen[email]},
            )
        )
        return
    seen[email] = line
    rows.append(_Row(line, email, created))


def _created(value: str) -> tuple[datetime | None, str]:
    if not value:
        return None, ""
    moment: datetime | None
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            moment = datetime.combine(day, time()) if day is not None else None
    except ValueError:
        moment = None
    if moment is None:
        return None, _("“created” must be a date such as 2024-05-31 (or a date and time).")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > timezone.now():
        return None, _("“created” is in the future.")
    return moment, ""


def _drop_suppressed(rows: list[_Row], report: ImportReport) -> list[_Row]:
    suppressed = suppressed_among([row.email for row in rows])
    kept = []
    for row in rows:
        if row.email in suppressed:
            report.skipped.append(
                RowSkipped(
                    row.line,
                    row.email,
                    _("On the suppression list (bounced, complained or blocked)."),
                )
            )
        else:
            kept.append(row)
    return kept


def _chunks(items: Sequence[_Row]) -> Iterator[Sequence[_Row]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def _write(
    rows: list[_Row],
    *,
    newsletters: list[Newsletter],
    actor: User,
    note: str,
    report: ImportReport,
) -> None:
    now = timezone.now()
    slugs = ",".join(n.slug for n in newsletters)[:500]
    wording = settings.NEWSLETTER_CONSENT_VERSION
    for chunk in _chunks(rows):
        by_email = {row.email: row for row in chunk}
        existing = {s.email: s for s in Subscriber.objects.filter(email__in=list(by_email))}
        new = [
            Subscriber(email=row.email, confirmed_at=now, created_at=row.created or now)
            for email, row in by_email.items()
            if email not in existing
        ]
        Subscriber.objects.bulk_create(new, batch_size=BATCH)
        report.created += len(new)
        # Importing vouches for consent: an unconfirmed sign-up on the list is confirmed.
        Subscriber.objects.filter(
            pk__in=[s.pk for s in existing.values() if s.confirmed_at is None]
        ).update(confirmed_at=now)
        # Primary keys read back by address: works the same whatever the database returns.
        ids = dict(Subscriber.objects.filter(email__in=list(by_email)).values_list("email", "pk"))
        current = {
            (sub, letter): status
            for sub, letter, status in Subscription.objects.filter(
                subscriber_id__in=list(ids.values()),
                newsletter__in=newsletters,
            ).values_list("subscriber_id", "newsletter_id", "status")
        }
        to_create: list[Subscription] = []
        to_activate: list[tuple[int, int]] = []
        consented: set[int] = set()
        for email, row in by_email.items():
            subscriber_id = ids[email]
            left = []
            for letter in newsletters:
                status = current.get((subscriber_id, letter.pk))
                if status is None:
                    to_create.append(
                        Subscription(
                            subscriber_id=subscriber_id,
                            newsletter=letter,
                            status=SubscriptionStatus.ACTIVE,
                            source=Source.IMPORT,
                            subscribed_at=row.created or now,
                        )
                    )
                    consented.add(subscriber_id)
                elif status == SubscriptionStatus.PENDING:
                    to_activate.append((subscriber_id, letter.pk))
                    consented.add(subscriber_id)
                elif status == SubscriptionStatus.UNSUBSCRIBED:
                    left.append(letter.name)
            if left:
                report.skipped.append(
                    RowSkipped(
                        row.line,
                        email,
                        "Unsubscribed earlier from " + ", ".join(left) + "; left as it is.",
                    )
                )
        Subscription.objects.bulk_create(to_create, batch_size=BATCH)
        for letter in newsletters:  # one UPDATE per newsletter, not per row
            Subscription.objects.filter(
                newsletter=letter,
                status=SubscriptionStatus.PENDING,
                subscriber_id__in=[sub for sub, nl in to_activate if nl == letter.pk],
            ).update(status=SubscriptionStatus.ACTIVE, subscribed_at=now)
        report.subscribed += len(to_create) + len(to_activate)
        given = {ids[row.email]: row.created or now for row in chunk}
        Consent.objects.bulk_create(
            [
                Consent(
                    subscriber_id=subscriber_id,
                    source=Source.IMPORT,
                    wording_version=wording,
                    newsletters=slugs,
                    given_at=given[subscriber_id],
                    recorded_by=actor,
                    note=note,
                )
                for subscriber_id in sorted(consented)
            ],
            batch_size=BATCH,
        )


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------


class _Echo:
    """csv.writer wants a file; this one hands each formatted line straight back."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value: object) -> str:
    """The value as text, with a leading apostrophe if a spreadsheet would evaluate it."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def _slugs(subscriptions: Iterable[Subscription], status: str) -> str:
    return " ".join(s.newsletter.slug for s in subscriptions if s.status == status)


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).isoformat() if moment is not None else ""


def export_subscribers(*, actor: User) -> Iterator[str]:
    """Every subscriber as CSV lines (header first), read in chunks: constant memory.

    Admins only (everyone's addresses at once). The permission is checked when this is
    called, not when the first line is read.
    """
    if not can(actor, "newsletter.export"):
        raise PermissionDenied(_("Only admins can export the subscriber list."))
    logger.info("newsletter export", actor=actor.pk)
    record_event(kind=AuditEvent.Kind.SUBSCRIBERS_EXPORTED, actor=actor)
    return _export_lines()


def _export_lines() -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_HEADER)
    subscribers = (
        Subscriber.objects.annotate(
            is_suppressed=Exists(Suppression.objects.filter(email=OuterRef("email")))
        )
        .prefetch_related(
            Prefetch(
                "subscriptions",
                queryset=Subscription.objects.select_related("newsletter").only(
                    "subscriber", "status", "newsletter__slug"
                ),
            )
        )
        .only("id", "email", "created_at", "confirmed_at")
        .order_by("id")
    )
    for subscriber in subscribers.iterator(chunk_size=2000):
        subs = list(subscriber.subscriptions.all())
        cells = [
            subscriber.email,
            _when(subscriber.created_at),
            _when(subscriber.confirmed_at),
            _slugs(subs, SubscriptionStatus.ACTIVE),
            _slugs(subs, SubscriptionStatus.PENDING),
            _slugs(subs, SubscriptionStatus.UNSUBSCRIBED),
            "yes" if subscriber.is_suppressed else "",
        ]
        yield writer.writerow([safe_cell(cell) for cell in cells])
