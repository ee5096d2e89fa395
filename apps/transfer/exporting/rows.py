"""One row as one JSON line, and back, without losing anything.

Django's serializers are close but not lossless here: DjangoJSONEncoder cuts datetimes to
milliseconds, and the python serializer asks one query per object for each many-to-many
field. So rows are read with `values_list` (no model instances), written as
`{"pk": …, "fields": {name: value}}` (Django's fixture shape, foreign keys as primary keys)
with full-precision ISO datetimes, and many-to-many links travel as rows of their
auto-created through models. Primary keys are kept: the target site is empty.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import models

from apps.core.cache import cachalot_off as cachalot_disabled
from apps.transfer.exporting.registry import NATURAL_KEY_MODELS, ModelSpec, exported_fields

CHUNK_SIZE = 1000


def keyset_chunks(
    queryset: models.QuerySet[Any, Any], *, key: str = "pk", size: int | None = None
) -> Iterator[Any]:
    """Every row of `queryset` ordered by `key`, read `size` rows per query.

    Not `.iterator()`: behind pgbouncer (DATABASE_POOLER) server-side cursors are off, and
    psycopg then fetches a whole result at once, a 100,000-post table included. Keyset
    pages ("key > last seen") keep memory flat with any pooler and any database, and each
    page is read with django-cachalot off, so the export does not copy the site into the
    cache (local memory or Redis). `key` must be unique and the first column (or the only
    value, for flat values_list).
    """
    size = size or CHUNK_SIZE
    last = None
    while True:
        page = queryset.order_by(key)
        if last is not None:
            page = page.filter(**{f"{key}__gt": last})
        # Past the cache: cachalot would otherwise store every page (the whole site) in it.
        with cachalot_disabled():
            rows = list(page[:size])
        if not rows:
            return
        full = len(rows) == size
        tail = rows[-1]
        if isinstance(tail, tuple):
            last = tail[0]
        elif isinstance(tail, dict):
            last = tail[key]
        else:
            last = getattr(tail, key, tail)
        del tail
        yield from rows
        # Dropped before the next page is read, so two pages are never held at once.
        del rows
        if not full:
            return


def json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    raise TypeError(f"Cannot export a {type(value).__name__}")


def dumps(row: dict[str, Any]) -> bytes:
    """One JSON line (UTF-8, newline-terminated)."""
    text = json.dumps(row, default=json_default, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def _natural_keys(model: type[models.Model]) -> dict[Any, list[Any]]:
    """Primary key → natural key of a small migration-made table (groups, permissions)."""
    manager = model._default_manager
    if model._meta.label_lower == "auth.permission":
        manager = manager.select_related("content_type")  # type: ignore[assignment]
    return {obj.pk: list(obj.natural_key()) for obj in manager.all()}  # type: ignore[attr-defined]


def iter_rows(spec: ModelSpec, *, with_passwords: bool) -> Iterator[dict[str, Any]]:
    """Every row of `spec`'s model, by primary key, read in chunks (memory stays flat)."""
    model = spec.model
    fields = exported_fields(spec, with_passwords=with_passwords)
    natural: dict[str, dict[Any, list[Any]]] = {}
    for f in fields:
        if f.is_relation and f.related_model is not None:
            target = f.related_model._meta.label_lower  # type: ignore[union-attr]
            if target in NATURAL_KEY_MODELS:
                natural[f.name] = _natural_keys(f.related_model)  # type: ignore[arg-type]
    names = [f.name for f in fields]
    columns = ["pk", *(f.attname for f in fields)]
    queryset = model._base_manager.values_list(*columns)
    for values in keyset_chunks(queryset):
        row = dict(zip(names, values[1:], strict=True))
        for name, keys in natural.items():
            if row[name] is not None:
                row[name] = keys[row[name]]
        yield {"pk": values[0], "fields": row}


class RowDecoder:
    """Turns exported rows back into unsaved instances of one model."""

    def __init__(self, spec: ModelSpec, field_names: set[str]) -> None:
        self.model = spec.model
        self.has_password = "password" in field_names
        self.pk_field = self.model._meta.pk
        self.fields: dict[str, models.Field[Any, Any]] = {}
        self.resolvers: dict[str, Callable[[list[Any]], Any]] = {}
        known = {f.name: f for f in self.model._meta.concrete_fields if not f.primary_key}
        unknown = field_names - set(known)
        if unknown:
            raise ValueError(
                f"{spec.label}: the export has fields this Inkwell does not know: "
                f"{', '.join(sorted(unknown))}"
            )
        for name in field_names:
            f = known[name]
            self.fields[name] = f
            if f.is_relation and f.related_model is not None:
                related = f.related_model
                if related._meta.label_lower in NATURAL_KEY_MODELS:  # type: ignore[union-attr]
                    self.resolvers[name] = self._resolver(related)  # type: ignore[arg-type]

    @staticmethod
    def _resolver(model: type[models.Model]) -> Callable[[list[Any]], Any]:
        cache: dict[tuple[Any, ...], Any] = {}

        def resolve(key: list[Any]) -> Any:
            k = tuple(key)
            if k not in cache:
                manager = model._default_manager
                cache[k] = manager.get_by_natural_key(*key).pk  # type: ignore[attr-defined]
            return cache[k]

        return resolve

    def build(self, row: dict[str, Any]) -> models.Model:
        values: dict[str, Any] = {}
        for name, value in row["fields"].items():
            f = self.fields[name]
            if value is None:
                values[f.attname] = None
            elif name in self.resolvers:
                values[f.attname] = self.resolvers[name](value)
            elif f.is_relation:
                values[f.attname] = f.target_field.to_python(value)  # type: ignore[attr-defined]
            elif isinstance(f, models.BinaryField):
                values[f.attname] = base64.b64decode(value)
            elif isinstance(f, models.JSONField | models.FileField):
                values[f.attname] = value
            else:
                values[f.attname] = f.to_python(value)
        if self.model._meta.label_lower == "accounts.user" and not self.has_password:
            # Exported without hashes: nobody can sign in until they reset their password.
            values["password"] = make_password(None)
        pk = row["pk"] if self.pk_field is None else self.pk_field.to_python(row["pk"])
        return self.model(pk=pk, **values)
