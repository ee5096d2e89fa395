"""Browser journeys: Playwright drives Debian's Chromium against the real ASGI server.

The server is started with the same command `make serve` uses (manage.py serve,
uvicorn) on a throwaway SQLite database seeded with the demo content, so
WebSockets work exactly as they do for a reader.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page

from tests.servers import clean_env, manage, running_server

# Playwright's sync API runs an event loop in this thread; Django's async-safety
# guard would otherwise refuse the ORM in fixtures (the known pytest-playwright issue).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def e2e_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def mail_dir(e2e_workdir: Path) -> Path:
    """Where the server writes the mail it sends (one file per message)."""
    path = e2e_workdir / "mail"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def server_env(e2e_workdir: Path, mail_dir: Path) -> dict[str, str]:
    """The environment of the server and of any command run against its database."""
    return clean_env(
        DATABASE_URL=f"sqlite:///{e2e_workdir / 'e2e.sqlite3'}",
        DJANGO_DEBUG="false",
        LOG_LEVEL="WARNING",
        EMAIL_URL=f"filemail://{mail_dir}",
        DJANGO_MEDIA_ROOT=str(e2e_workdir / "media"),
        # Scheduled posts go out within a second on the embedded default's runner.
        INPROCESS_PERIODIC_SECONDS="1",
    )


@pytest.fixture(scope="session")
def live_server_url(e2e_workdir: Path, server_env: dict[str, str]) -> Iterator[str]:
    """The real ASGI server (uvicorn via manage.py serve) on a seeded throwaway database."""
    manage("migrate", "--noinput", "-v0", env=server_env)
    manage("seed_demo", env=server_env)
    with running_server(server_env, e2e_workdir / "server.log") as server:
        yield server.url


@pytest.fixture(scope="session")
def run_in_django(server_env: dict[str, str]) -> Callable[[str], str]:
    """Run Python in `manage.py shell` against the server's database; returns its output."""

    def run(code: str) -> str:
        return manage("shell", "-c", code, env=server_env).stdout

    return run


@pytest.fixture(scope="session")
def base_url(live_server_url: str) -> str:
    return live_server_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium: Playwright cannot download its own browser here."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(autouse=True)
def _fail_on_csp_and_script_errors(page: Page) -> Iterator[None]:
    """Any CSP violation or uncaught script error in the page fails the test."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        text = message.text
        if message.type == "error" and (
            "Content Security Policy" in text or "Refused to" in text or "Uncaught" in text
        ):
            problems.append(text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    yield
    assert problems == [], "The browser reported:\n" + "\n".join(problems)
