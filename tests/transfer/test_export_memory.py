"""The export's memory does not grow with the site: 2,000 and 20,000 posts peak alike.

On PostgreSQL only (the `postgres` mark): that is where reading a table whole would hurt
(keyset pages, no server-side cursors behind pgbouncer), and seeding 20,000 posts twice,
once per database, cost the suite a minute.
"""

import hashlib
import io
import tracemalloc

import pytest
from django.utils import timezone

from apps.blog.models import Post
from apps.comments.models import Comment
from apps.transfer.exporting import stream_site_export
from apps.transfer.portable import import_site_export
from apps.transfer.wxr_export import stream_wxr
from tests.factories.accounts import UserFactory
from tests.factories.blog import CategoryFactory
from tests.transfer.test_export_roundtrip import wipe

BODY = "Some words about making things, " * 40  # about 1.3 kB, like a short post


def _seed(count: int) -> None:
    author = UserFactory.create()
    category = CategoryFactory.create()
    now = timezone.now()
    start = Post.objects.count()
    Post.objects.bulk_create(
        (
            Post(
                title=f"Post {n}",
                slug=f"post-{n}",
                body=BODY,
                body_html=f"<p>{BODY}</p>",
                author=author,
                category=category,
                status="published",
                published_at=now,
            )
            for n in range(start, start + count)
        ),
        batch_size=1000,
    )
    post_ids = list(Post.objects.order_by("pk").values_list("pk", flat=True)[:count:10])
    Comment.objects.bulk_create(
        (
            Comment(post_id=pk, author=author, body="Nice", body_html="<p>Nice</p>")
            for pk in post_ids
        ),
        batch_size=1000,
    )


def _peak(stream_factory) -> int:
    tracemalloc.start()
    try:
        digest = hashlib.sha256()
        for chunk in stream_factory():
            digest.update(chunk)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("stream_factory", [stream_site_export, stream_wxr], ids=["site", "wxr"])
def test_export_memory_does_not_grow_with_rows(settings, tmp_path, stream_factory):
    settings.MEDIA_ROOT = tmp_path
    _seed(200)
    _peak(stream_factory)  # warm: first-use costs (imports, compiled patterns) are not rows
    _seed(1_800)
    small = _peak(stream_factory)
    _seed(18_000)
    assert Post.objects.count() == 20_000
    large = _peak(stream_factory)
    print(  # noqa: T201  (the figures, with -s)
        f"peak traced memory: 2k posts {small / 2**20:.1f} MiB, 20k posts {large / 2**20:.1f} MiB"
    )
    # Ten times the rows, about the same peak (chunks, buffers, one page of rows).
    assert large < small * 1.5 + 2 * 2**20
    assert large < 40 * 2**20


def _import_peak(data: bytes) -> int:
    wipe()
    tracemalloc.start()
    try:
        import_site_export(io.BytesIO(data))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db
def test_import_memory_does_not_grow_with_rows(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DEBUG = True  # the query log must not keep every insert (make run's default)
    _seed(2_000)
    small_export = b"".join(stream_site_export())
    _seed(18_000)
    large_export = b"".join(stream_site_export())
    small = _import_peak(small_export)
    large = _import_peak(large_export)
    assert Post.objects.count() == 20_000
    print(  # noqa: T201  (the figures, with -s)
        f"import peak: 2k posts {small / 2**20:.1f} MiB, 20k posts {large / 2**20:.1f} MiB"
    )
    assert large < small * 1.5 + 2 * 2**20
