"""`make infra-check` fails when a file under infrastructure/ is broken.

Each case copies infrastructure/ and .github/ into a temporary tree, breaks one file the
way a careless edit would, and runs infrastructure/ci/infra-check.sh on the copy with only
the check that owns that file. The untouched copy passes the same checks, so a failure
is the broken file's doing and not the harness's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "infrastructure" / "ci" / "infra-check.sh"
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def _tool(name: str) -> bool:
    return shutil.which(name) is not None or Path("/usr/sbin", name).exists()


needs = {
    "nginx": pytest.mark.skipif(not _tool("nginx"), reason="nginx is not installed"),
    "promtool": pytest.mark.skipif(not _tool("promtool"), reason="promtool is not installed"),
    "actionlint": pytest.mark.skipif(not _tool("shellcheck"), reason="shellcheck is missing"),
    "shellcheck": pytest.mark.skipif(not _tool("shellcheck"), reason="shellcheck is missing"),
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for part in ("infrastructure", ".github", ".ci"):
        shutil.copytree(REPO / part, tmp_path / part, symlinks=True)
    return tmp_path


def infra_check(root: Path, *checks: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INFRA_ROOT": str(root), "BIN": str(BIN), "INFRA_SKIP_IMAGE": "1"}
    return subprocess.run(
        ["bash", str(SCRIPT), *checks], env=env, capture_output=True, text=True, timeout=300
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} is no longer in {path.name}: pick another edit"
    path.write_text(text.replace(old, new, 1))


def break_nginx(root: Path) -> None:
    edit(
        root / "infrastructure/nginx/inkwell.conf",
        "proxy_http_version 1.1;",
        "proxy_http_versio 1.1;",
    )


def break_kustomization(root: Path) -> None:
    edit(root / "infrastructure/k8s/base/kustomization.yaml", "  - web.yaml\n", "  - web.yml\n")


def break_manifest_schema(root: Path) -> None:
    # Renders fine; only strict schema validation sees the misspelt field.
    edit(
        root / "infrastructure/k8s/base/worker.yaml",
        "revisionHistoryLimit:",
        "revisionHistoryLimt:",
    )


def break_overlay(root: Path) -> None:
    edit(
        root / "infrastructure/k8s/overlays/staging/kustomization.yaml",
        "path: /spec/maxReplicas",
        "path: /spec/maxReplica/x",
    )


def break_alert_rule(root: Path) -> None:
    rules = root / "infrastructure/monitoring/alerts.yml"
    text = rules.read_text()
    marker = "expr: "
    at = text.index(marker) + len(marker)
    rules.write_text(text[:at] + "sum(rate(" + text[at:])  # unbalanced parentheses


def break_dockerfile(root: Path) -> None:
    edit(
        root / "infrastructure/docker/Dockerfile",
        "WORKDIR /app\n",
        "WORKDIR /app\nRUN cd /app && ls\n",
    )


def break_workflow(root: Path) -> None:
    edit(root / ".github/workflows/ci.yml", "runs-on: ubuntu-24.04", "runs-on: ${{ matrix.os }}")


def break_script(root: Path) -> None:
    edit(root / "infrastructure/ci/build-image.sh", 'mkdir -p "$CACHE"', "mkdir -p $CACHE")


def break_compose(root: Path) -> None:
    edit(
        root / "infrastructure/compose/compose.yaml",
        "    restart: unless-stopped\n",
        "    restart: unless-stopped\n    restrat: always\n",
    )


CASES: list[tuple[str, Callable[[Path], None], str]] = [
    ("nginx", break_nginx, "unknown directive"),
    ("kustomize", break_kustomization, "kustomize failed"),
    ("kustomize", break_manifest_schema, "schema validation failed"),
    ("kustomize", break_overlay, "overlays/staging: kustomize failed"),
    ("promtool", break_alert_rule, "FAILED"),
    ("hadolint", break_dockerfile, "DL3003"),
    ("actionlint", break_workflow, "matrix"),
    ("shellcheck", break_script, "SC2086"),
    ("compose", break_compose, "restrat"),
]


def _param(check: str, breaker: Callable[[Path], None], expected: str) -> object:
    marks = [needs[check]] if check in needs else []
    return pytest.param(check, breaker, expected, id=breaker.__name__, marks=marks)


@pytest.mark.parametrize(("check", "breaker", "expected"), [_param(*c) for c in CASES])
def test_the_check_fails_on_a_broken_file(
    tree: Path, check: str, breaker: Callable[[Path], None], expected: str
) -> None:
    breaker(tree)
    result = infra_check(tree, check)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"infra-check FAILED: {check}" in output
    assert expected in output, output


@needs["nginx"]
@needs["promtool"]
@needs["shellcheck"]
def test_the_untouched_copy_passes_every_check_but_the_image(tree: Path) -> None:
    checks = ("nginx", "kustomize", "promtool", "hadolint", "actionlint", "shellcheck", "compose")
    result = infra_check(tree, *checks)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"infra-check passed: {' '.join(checks)}" in result.stdout


def test_an_unknown_check_name_is_refused(tree: Path) -> None:
    result = infra_check(tree, "nginxx")
    assert result.returncode == 2
    assert "unknown check 'nginxx'" in result.stdout
