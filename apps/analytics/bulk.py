"""Fast bulk inserts of plain rows: COPY on PostgreSQL, batched INSERTs elsewhere.

The batch writer and the rollup write thousands of rows at a time; building model instances
for them cost more than the database did.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model


def write_rows(model: type[Model], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert `rows` (values in `columns` order) into `model`'s table."""
    if not rows:
        return
    table = model._meta.db_table
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        # Elsewhere the fields prepare values as Django would (SQLite stores datetimes as text).
        fields = {field.column: field for field in model._meta.concrete_fields}
        prepare = [fields[column].get_db_prep_save for column in columns]
        prepared = [
            tuple(prep(value, connection) for prep, value in zip(prepare, row, strict=True))
            for row in rows
        ]
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", prepared)  # noqa: S608
