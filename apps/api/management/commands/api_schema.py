"""Write the OpenAPI documents of every API version (docs/api/openapi-vN.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from apps.api.v1 import api as api_v1
from apps.api.v2 import api as api_v2

APIS = {"v1": api_v1, "v2": api_v2}


def schema_text(version: str) -> str:
    """One version's OpenAPI document as the committed file holds it (stable key order)."""
    api = APIS[version]
    schema = api.get_openapi_schema(path_prefix=f"/api/{version}/")
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Write docs/api/openapi-v1.json and openapi-v2.json from the code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "docs" / "api"))

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        for version in APIS:
            target = out / f"openapi-{version}.json"
            target.write_text(schema_text(version), encoding="utf-8")
            self.stdout.write(f"wrote {target}")
