"""Import fixtures: an admin, private upload and media folders, and WXR files built in tests.

The WXR files are written by apps.transfer.samples, which follows WordPress's exporter;
no third-party fixture file is used.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.transfer import services
from apps.transfer.models import ImportRun
from apps.transfer.samples import WxrComment, WxrItem, write_wxr
from tests.dashboard.conftest import give_role, verified_login  # noqa: F401  # a fixture
from tests.factories.accounts import UserFactory


@pytest.fixture(autouse=True)
def _private_dirs(settings, tmp_path):
    settings.TRANSFER_DIR = tmp_path / "imports"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin(db) -> User:
    return give_role(UserFactory.create(email="boss@example.com", username="boss"), Role.ADMIN)


def wxr_bytes(items: list[WxrItem], **kwargs: Any) -> bytes:
    out = io.BytesIO()
    write_wxr(out, items, **kwargs)
    return out.getvalue()


def blog_items(image_base: str = "") -> list[WxrItem]:
    """A small blog: a sticky post with threaded comments (guests, spam, trash, pingback),
    a page, a scheduled post by an author missing from the header, a draft, and images."""
    cover = (
        [
            WxrItem(
                id=90,
                title="cover",
                slug="cover",
                content="",
                post_type="attachment",
                attachment_url=f"{image_base}/cover.png",
            )
        ]
        if image_base
        else []
    )
    inline = f'<p>Look: <img src="{image_base}/inline.png" alt="A chart"></p>' if image_base else ""
    return [
        *cover,
        WxrItem(
            id=10,
            title="Hello world",
            slug="hello-world",
            content=f"Welcome to <strong>my</strong> blog.\n\nSecond paragraph.{inline}",
            excerpt="The first post",
            sticky=True,
            categories=[("news", "News")],
            tags=[("intro", "Intro"), ("life", "Life")],
            thumbnail_id=90 if image_base else None,
            comments=[
                WxrComment(1, "Ann Guest", "ann@guest.example", "Nice <em>post</em>!"),
                WxrComment(2, "Boss", "boss@example.com", "Thanks Ann", parent=1),
                WxrComment(3, "Ann Guest", "ann@guest.example", "You are welcome", parent=2),
                WxrComment(4, "Cy", "cy@guest.example", "Deeper still", parent=3),
                WxrComment(5, "Held", "held@guest.example", "Wait for me", approved="0"),
                WxrComment(6, "Spammer", "spam@guest.example", "Buy now", approved="spam"),
                WxrComment(7, "Trash", "trash@guest.example", "Gone", approved="trash"),
                WxrComment(8, "Other blog", "", "Linked here", type="pingback"),
            ],
        ),
        WxrItem(id=11, title="About", slug="about", content="About this site", post_type="page"),
        WxrItem(
            id=12,
            title="Coming soon",
            slug="coming-soon",
            content="Later",
            status="future",
            date_gmt="2035-01-01 10:00:00",
            author="nobody-here",
        ),
        WxrItem(id=13, title="Work in progress", slug="wip", content="Draft", status="draft"),
        WxrItem(
            id=14, title="Secret", slug="secret", content="Private", status="private", author="jane"
        ),
    ]


AUTHORS = (
    ("admin", "boss@example.com", "The Boss"),
    ("jane", "jane@old.example.com", "Jane Writer"),
)


@pytest.fixture
def blog_wxr() -> bytes:
    return wxr_bytes(
        blog_items(), authors=AUTHORS, categories=[("news", "News")], tags=[("intro", "Intro")]
    )


@pytest.fixture
def run_wxr(admin) -> Callable[..., ImportRun]:
    """Start an import of `data` as the admin and run it in this process."""

    def run(
        data: bytes, *, dry_run: bool = False, name: str = "export.xml", **kw: Any
    ) -> ImportRun:
        images = kw.pop("images", None)
        started = services.start_import(
            actor=admin,
            source=ImportRun.Source.WXR,
            file=io.BytesIO(data),
            file_name=name,
            dry_run=dry_run,
            enqueue=False,
            **kw,
        )
        return services.run_import(started.pk, images=images)

    return run


class _ImageHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.endswith(".png"):
            buffer = io.BytesIO()
            Image.new("RGB", (40, 30), "navy").save(buffer, "PNG")
            body, kind = buffer.getvalue(), "image/png"
        elif self.path.endswith(".html"):
            body, kind = b"<html></html>", "text/html"
        elif self.path.endswith(".big"):
            body, kind = b"x" * 3000, "image/png"
        elif self.path.endswith(".slow"):
            import time

            time.sleep(2)
            body, kind = b"", "image/png"
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def image_server() -> Iterator[str]:
    """A local HTTP server for images: /x.png (a PNG), /x.html, /x.big, /x.slow, else 404."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ImageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
