"""The import journey: an admin uploads a WordPress export on the dashboard, watches the
run's progress bar reach the end, reads the report, then finds the imported post with its
threaded comments (a guest's among them) at its new address, while the old permalink and
`?p=ID` answer with a redirect to it.

The WXR file is written here by apps.transfer.samples (WordPress's export format). The
session's server runs tasks at once (the embedded default), so there the run has finished
when its page opens. The second journey runs a server of its own with the production
shape, `TASKS_BACKEND=database` and a `db_worker` process, so the admin watches the bar
move while the worker imports a few hundred posts batch by batch.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from apps.transfer.samples import WxrComment, WxrItem, write_wxr
from tests.e2e.conftest import PEOPLE_PASSWORD, PEOPLE_TOTP_HEX, sign_in
from tests.servers import MANAGE, ROOT, RedisServer, clean_env, manage, running_server

pytestmark = [pytest.mark.e2e]

SLUG = "from-wordpress-with-love"


def _export(path: Path) -> Path:
    items = [
        WxrItem(
            id=4242,
            title="From WordPress with love",
            slug=SLUG,
            content="It moved <em>here</em>.\n\nWith its comments.",
            date_gmt="2021-06-15 08:00:00",
            tags=[("moving", "Moving")],
            comments=[
                WxrComment(1, "Wanda Guest", "wanda@old.example", "Welcome to the new place!"),
                WxrComment(2, "Theo", "theo@old.example", "Glad you made it", parent=1),
            ],
        ),
        WxrItem(id=4243, title="An old draft", slug="an-old-draft", content="…", status="draft"),
    ]
    with path.open("wb") as out:
        write_wxr(out, items, authors=[("admin", "bars-admin@example.com", "Admin")])
    return path


def test_admin_imports_a_wordpress_site(
    browser: Browser,
    base_url: str,
    signed_in_states: Callable[[str], str | None],
    tmp_path: Path,
) -> None:
    context = browser.new_context(storage_state=signed_in_states("admin"))
    page = context.new_page()
    page.goto(base_url + "/dashboard/imports/")
    expect(page.get_by_role("heading", name="Import a site", level=1)).to_be_visible()
    page.get_by_label("Import from").select_option("wxr")
    page.get_by_label("Export file").set_input_files(str(_export(tmp_path / "export.xml")))
    page.get_by_role("button", name="Start the import").click()

    page.wait_for_url(re.compile(r"/dashboard/imports/\d+/$"))
    bar = page.locator("#import-progress progress")
    expect(bar).to_be_visible()
    expect(page.locator("[data-import-status]")).to_have_attribute(
        "data-import-status", "done", timeout=30_000
    )
    expect(bar).to_have_attribute("value", "100")
    report = page.locator("#import-progress")
    expect(report.get_by_role("heading", name="Report")).to_be_visible()
    expect(report).to_contain_text("1 created")  # posts: one published, one draft…
    expect(report).to_contain_text("2 created")  # …comments
    expect(page.get_by_role("button", name="Roll back this import")).to_be_visible()

    page.goto(base_url + f"/posts/{SLUG}/")
    expect(page.get_by_role("heading", name="From WordPress with love")).to_be_visible()
    comments = page.locator("#comment-list, [data-comment-id]").first
    expect(comments).to_be_visible()
    expect(page.get_by_text("Welcome to the new place!")).to_be_visible()
    expect(page.get_by_text("Glad you made it")).to_be_visible()
    expect(page.get_by_text("Wanda Guest")).to_be_visible()
    assert "wanda@old.example" not in page.content()

    page.goto(base_url + f"/2021/06/{SLUG}/")
    expect(page).to_have_url(re.compile(rf"/posts/{SLUG}/$"))
    page.goto(base_url + "/?p=4242")
    expect(page).to_have_url(re.compile(rf"/posts/{SLUG}/$"))
    context.close()


ADMIN_SETUP = f"""
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from apps.accounts.models import User
from apps.accounts.services import mark_email_verified
user = User.objects.create_user("worker-admin@example.com", "{PEOPLE_PASSWORD}", username="wadmin")
user.groups.add(Group.objects.get(name="admin"))
mark_email_verified(user=user)
TOTPDevice.objects.create(user=user, name="app", confirmed=True, key="{PEOPLE_TOTP_HEX}")
"""


@pytest.fixture(scope="module")
def worker_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server and a database task worker on a database of their own."""
    folder = tmp_path_factory.mktemp("import-worker")
    # Two processes: the cache (and cachalot's query cache in it) must be shared, as in
    # production, or the server would keep serving the run as it was before the worker.
    redis = RedisServer(folder)
    redis.start()
    env = clean_env(
        REDIS_URL=redis.url,
        DATABASE_URL=f"sqlite:///{folder / 'site.sqlite3'}",
        DJANGO_DEBUG="false",
        LOG_LEVEL="WARNING",
        DJANGO_MEDIA_ROOT=str(folder / "media"),
        TRANSFER_DIR=str(folder / "imports"),
        TASKS_BACKEND="database",
    )
    manage("migrate", "--noinput", "-v0", env=env)
    manage("shell", "-c", ADMIN_SETUP, env=env)
    with (folder / "worker.log").open("w") as log:
        worker = subprocess.Popen(
            [*MANAGE, "db_worker", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        with running_server(env, folder / "server.log") as server:
            yield server.url
    finally:
        worker.terminate()
        worker.wait(timeout=10)
        redis.stop()


def test_admin_watches_the_worker_import_batch_by_batch(
    browser: Browser, worker_site: str, tmp_path: Path
) -> None:
    items = [
        WxrItem(
            id=n,
            title=f"Moved post {n}",
            slug=f"moved-post-{n}",
            content="<p>Words</p>" * 20,
            date_gmt="2022-02-02 10:00:00",
            comments=[WxrComment(n * 10, "Guest", "guest@old.example", "Hello")],
        )
        for n in range(1, 801)  # four batches
    ]
    path = tmp_path / "big.xml"
    with path.open("wb") as out:
        write_wxr(out, items)
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, worker_site, "worker-admin@example.com")
    page.goto(worker_site + "/dashboard/imports/")
    page.get_by_label("Export file").set_input_files(str(path))
    page.get_by_role("button", name="Start the import").click()
    page.wait_for_url(re.compile(r"/dashboard/imports/\d+/$"))

    status = page.locator("[data-import-status]")
    bar = page.locator("#import-progress progress")
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = (
            status.get_attribute("data-import-status") or "",
            int(bar.get_attribute("value") or 0),
        )
        if not seen or seen[-1] != state:
            seen.append(state)
        if state[0] in {"done", "failed"}:
            break
        page.wait_for_timeout(150)
    assert seen[-1] == ("done", 100), seen
    # The bar was seen part-way: the page polled while the worker went batch by batch.
    assert any(0 < value < 100 for _, value in seen), seen
    expect(page.locator("#import-progress")).to_contain_text("800 created")
    context.close()
