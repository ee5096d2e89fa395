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


# --------------------------------------------------------------------------
# People of every role, signed in once per session (the page-wide bars, the editor)
# --------------------------------------------------------------------------

PEOPLE_PASSWORD = "a-long-enough-passphrase"
PEOPLE_TOTP_HEX = "3132333435363738393031323334353637383931"
ROLES = ("reader", "author", "editor", "admin")

PEOPLE_SETUP = f"""
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from apps.accounts.models import User
from apps.accounts.services import mark_email_verified
from apps.blog.content import PostContent
from apps.blog.services import save_post_draft
for role in {ROLES!r}:
    user = User.objects.create_user(
        f"bars-{{role}}@example.com", "{PEOPLE_PASSWORD}", username=f"bars-{{role}}",
        display_name=f"Bars {{role.title()}}",
    )
    if role != "reader":
        user.groups.add(Group.objects.get(name=role))
    mark_email_verified(user=user)
    if role in ("editor", "admin"):
        TOTPDevice.objects.create(user=user, name="app", confirmed=True, key="{PEOPLE_TOTP_HEX}")
author = User.objects.get(username="bars-author")
save_post_draft(actor=author, post=None, content=PostContent(
    title="A draft with a rather long title that must not push the table sideways",
    body="## A heading\\n\\nSome words, a [link](https://example.com) and `code`.\\n",
))
"""


@pytest.fixture(scope="session")
def people(run_in_django: Callable[[str], str]) -> dict[str, str]:
    """role → email of a verified account (editors and admins have a TOTP device)."""
    run_in_django(PEOPLE_SETUP)
    return {role: f"bars-{role}@example.com" for role in ROLES}


def sign_in(page: Page, base_url: str, email: str) -> None:
    """Sign in through the real forms, with the second factor where the role needs one."""
    from django_otp.oath import totp

    page.goto(base_url + "/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PEOPLE_PASSWORD)
    page.locator("form").get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    code = page.get_by_label("Verification code")
    if code.count():
        code.fill(f"{totp(bytes.fromhex(PEOPLE_TOTP_HEX)):06d}")
        page.get_by_role("button", name="Verify").click()
        page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"{email} could not sign in"


@pytest.fixture(scope="session")
def signed_in_states(
    browser: Any, base_url: str, people: dict[str, str], e2e_workdir: Path
) -> Callable[[str], str | None]:
    """role → a Playwright storage state file of a signed-in session (None: anonymous).

    Each role signs in once per session: a TOTP code cannot be used twice."""
    states: dict[str, str] = {}

    def state_for(role: str) -> str | None:
        if role == "anonymous":
            return None
        if role not in states:
            context = browser.new_context()
            page = context.new_page()
            sign_in(page, base_url, people[role])
            path = e2e_workdir / f"state-{role}.json"
            context.storage_state(path=str(path))
            context.close()
            states[role] = str(path)
        return states[role]

    return state_for
