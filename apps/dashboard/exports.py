"""CSV export of the audit log, streamed row by row and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.models import AuditEvent

HEADER = ["time", "event", "event_label", "actor", "target", "ip", "user_agent", "data"]
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """csv.writer wants a file; this one hands each formatted line straight back."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value: Any) -> str:
    """The value as text, quoted with a leading apostrophe if a spreadsheet would evaluate it."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def _row(event: AuditEvent) -> list[str]:
    return [
        timezone.localtime(event.created_at).isoformat(),
        event.kind,
        str(event.get_kind_display()),
        event.actor_label,
        event.target_label,
        event.ip or "",
        event.user_agent,
        json.dumps(event.data, sort_keys=True, ensure_ascii=False) if event.data else "",
    ]


def audit_csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """The header, then one CSV line per event, reading the events in chunks (one query)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(HEADER)
    for event in events.iterator(chunk_size=2000):
        yield writer.writerow([safe_cell(cell) for cell in _row(event)])
