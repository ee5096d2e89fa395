from __future__ import annotations

import pytest

from apps.blog.models import Post, PostImage
from apps.transfer.images import ImageStore
from apps.transfer.samples import WxrItem
from tests.transfer.conftest import AUTHORS, blog_items, wxr_bytes

pytestmark = pytest.mark.django_db


def test_featured_and_inline_images_are_fetched_and_stored(run_wxr, image_server):
    run = run_wxr(wxr_bytes(blog_items(image_server), authors=AUTHORS))
    assert run.report["counts"]["images"] == {"fetched": 2}
    post = Post.objects.get(slug="hello-world")
    assert post.cover_image.name.startswith("images/")
    assert image_server not in post.body
    assert "![A chart](/media/images/" in post.body
    assert PostImage.objects.filter(post=post).count() == 2
    assert '<img src="/media/images/' in post.body_html


def test_images_are_fetched_once_across_imports(run_wxr, image_server):
    data = wxr_bytes(blog_items(image_server), authors=AUTHORS)
    run_wxr(data)
    second = run_wxr(data)
    assert second.report["counts"]["images"] == {"already imported": 2}
    assert PostImage.objects.count() == 2
    assert image_server not in Post.objects.get(slug="hello-world").body


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing.gif", "could not be fetched (HTTP 404)"),
        ("/page.html", "is not an image (Content-Type text/html)"),
        ("/huge.big", "is larger than"),
        ("/slow.slow", "could not be fetched (timed out)"),
    ],
)
def test_broken_images_stay_links_and_are_reported(run_wxr, image_server, path, reason):
    url = f"{image_server}{path}"
    item = WxrItem(id=1, title="Pics", slug="pics", content=f'<p><img src="{url}" alt="x"></p>')
    store = ImageStore(timeout=0.5, max_bytes=1024)
    run = run_wxr(wxr_bytes([item]), images=store)
    assert run.status == "done"
    assert run.report["counts"]["images"] == {"failed": 1}
    [warning] = [w for w in run.report["warnings"] if "image" in w["message"]]
    assert reason in warning["message"]
    assert "left as a link" in warning["message"]
    assert url in Post.objects.get(slug="pics").body


def test_unreadable_image_bytes_are_reported(run_wxr, image_server, monkeypatch):
    store = ImageStore()
    monkeypatch.setattr(store, "_fetch", lambda url: (b"not an image", ""))
    item = WxrItem(id=1, title="Pics", slug="pics", content='<img src="http://x.test/a.png">')
    run = run_wxr(wxr_bytes([item]), images=store)
    assert "is not an image we can read" in run.report["warnings"][0]["message"]


def test_dry_run_fetches_no_images(run_wxr, image_server):
    run = run_wxr(wxr_bytes(blog_items(image_server), authors=AUTHORS), dry_run=True)
    assert run.report["counts"]["images"] == {"not fetched (dry run)": 2}
    assert PostImage.objects.count() == 0


def test_featured_image_missing_from_the_file_is_reported(run_wxr):
    item = WxrItem(id=1, title="Pics", slug="pics", content="x", thumbnail_id=77)
    run = run_wxr(wxr_bytes([item]))
    assert any("featured image 77 not in the file" in w["message"] for w in run.report["warnings"])
