import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What the site is built from: mkdocs.yml, docs/ and the files docs/hooks.py publishes.
SOURCES = ("mkdocs.yml", "docs", "README.md", "CONTRIBUTING.md", "CHANGELOG.md", "infrastructure")

pytestmark = [pytest.mark.slow, pytest.mark.once]


@pytest.fixture
def docs_copy(tmp_path: Path) -> Path:
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copy2(source, tmp_path / name)
    return tmp_path


def build(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(root / "mkdocs.yml"),
            "--site-dir",
            str(root / "site"),
        ],
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=120,
    )


def test_docs_build_publishes_the_files_outside_docs(docs_copy):
    result = build(docs_copy)

    assert result.returncode == 0, result.stderr
    deployment = (docs_copy / "site/deployment/index.html").read_text()
    assert 'href="../infrastructure/database/#backups"' in deployment
    home = (docs_copy / "site/index.html").read_text()
    assert 'href="architecture/"' in home
    assert (docs_copy / "site/infrastructure/docker/Dockerfile").is_file()


def test_docs_build_fails_on_a_broken_link(docs_copy):
    page = docs_copy / "docs/architecture.md"
    page.write_text(page.read_text() + "\nSee [the missing page](no-such-page.md).\n")

    result = build(docs_copy)

    assert result.returncode != 0
    assert "'no-such-page.md', but the target is not found" in result.stderr


def test_docs_build_fails_on_a_broken_anchor(docs_copy):
    page = docs_copy / "docs/architecture.md"
    page.write_text(page.read_text() + "\nSee [settings](configuration.md#no-such-section).\n")

    result = build(docs_copy)

    assert result.returncode != 0
    assert "does not contain an anchor '#no-such-section'" in result.stderr


def test_docs_build_fails_on_a_link_to_a_file_not_on_the_site(docs_copy):
    page = docs_copy / "docs/architecture.md"
    page.write_text(page.read_text() + "\nSee [the Makefile](../Makefile).\n")

    result = build(docs_copy)

    assert result.returncode != 0
    assert "'../Makefile'" in result.stderr
