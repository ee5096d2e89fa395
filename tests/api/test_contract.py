"""The committed API contract (docs/api/) matches the code. Regenerate with `make api-schema`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from apps.api.management.commands.api_schema import APIS, schema_text

DOCS = Path(settings.BASE_DIR) / "docs" / "api"
OPENAPI_TS = Path(settings.BASE_DIR) / "apps/theme/static_src/node_modules/.bin/openapi-typescript"
STALE = "docs/api is stale: run `make api-schema` and commit the result."


@pytest.mark.parametrize("version", sorted(APIS))
def test_openapi_document_matches_committed_file(version):
    committed = (DOCS / f"openapi-{version}.json").read_text(encoding="utf-8")

    assert schema_text(version) == committed, STALE


@pytest.mark.parametrize("version", sorted(APIS))
def test_openapi_document_documents_error_envelope_for_every_operation(version):
    import json

    schema = json.loads(schema_text(version))
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            statuses = set(operation["responses"])
            assert {"400", "413", "429"} <= statuses, (method, path)
            assert operation["responses"]["429"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorOut"
            }


@pytest.mark.slow
@pytest.mark.parametrize("version", sorted(APIS))
def test_typescript_definitions_match_committed_json(version, tmp_path):
    if shutil.which("node") is None:
        pytest.skip("node is not installed: cannot run openapi-typescript (install Node.js 20+)")
    if not OPENAPI_TS.exists():
        pytest.fail("openapi-typescript is missing: run `make npm-install`")
    target = tmp_path / f"{version}.d.ts"

    subprocess.run(
        [str(OPENAPI_TS), str(DOCS / f"openapi-{version}.json"), "-o", str(target)],
        check=True,
        capture_output=True,
        timeout=120,
    )

    assert target.read_text(encoding="utf-8") == (DOCS / f"{version}.d.ts").read_text(
        encoding="utf-8"
    ), STALE


def test_every_error_code_the_api_raises_is_listed_and_documented():
    import re

    from apps.api import comments
    from apps.api.errors import CODES

    source = "\n".join(p.read_text() for p in (Path(settings.BASE_DIR) / "apps/api").rglob("*.py"))
    raised = set(re.findall(r'ApiError\(\s*(\d{3}),\s*"([a-z_]+)"', source))
    for table in (
        comments.CREATE_REFUSALS,
        comments.EDIT_REFUSALS,
        comments.DELETE_REFUSALS,
        comments.REPORT_REFUSALS,
    ):
        raised |= {(str(status), code) for status, code, _ in table.values()}
    readme = (DOCS / "README.md").read_text(encoding="utf-8")

    for status, code in sorted(raised):
        assert code in CODES[int(status)], f"{status} {code} is missing from errors.CODES"
        assert f"`{code}`" in readme, f"{code} is not documented in docs/api/README.md"
