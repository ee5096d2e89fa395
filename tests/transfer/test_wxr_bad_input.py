"""Files that must not import: each gets one clear line in the report, and nothing is written."""

from __future__ import annotations

import io

import pytest

from apps.blog.models import Post
from apps.transfer.models import ImportRun
from apps.transfer.records import SourceError
from apps.transfer.wxr import read_wxr

pytestmark = pytest.mark.django_db

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>&lol9;</title>
<wp:post_type>post</wp:post_type><wp:status>publish</wp:status></item></channel></rss>
"""


def _xxe(path: str) -> bytes:
    return f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{path}">]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>Leak &xxe;</title>
<wp:post_id>1</wp:post_id><wp:post_type>post</wp:post_type><wp:status>publish</wp:status>
</item></channel></rss>
""".encode()


def _errors(run: ImportRun) -> list[str]:
    errors: list[str] = run.report["errors"]
    return errors


def test_billion_laughs_is_refused(run_wxr):
    run = run_wxr(BILLION_LAUGHS)
    assert run.status == ImportRun.Status.FAILED
    assert "declares a DOCTYPE or entities" in _errors(run)[0]
    assert Post.objects.count() == 0


def test_external_entity_does_not_read_a_local_file(run_wxr, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    run = run_wxr(_xxe(str(secret)))
    assert run.status == ImportRun.Status.FAILED
    assert "TOP-SECRET" not in repr(run.report)
    assert not Post.objects.filter(title__contains="TOP-SECRET").exists()


def test_entities_are_not_expanded_even_past_the_prologue_check(tmp_path):
    # The parser itself never resolves entities nor loads DTDs: a DOCTYPE hidden after
    # a long comment (past the prologue check) still leaks nothing.
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = _xxe(str(secret)).replace(
        b'<?xml version="1.0"?>\n', b'<?xml version="1.0"?>\n<!--' + b"x" * 70_000 + b"-->\n"
    )
    try:
        records = list(read_wxr(io.BytesIO(data)))
    except SourceError:
        return  # refused outright is fine too
    assert "TOP-SECRET" not in repr(records)


def test_malformed_xml_is_reported_with_its_line(run_wxr, blog_wxr):
    broken = blog_wxr.replace(b"<title>About</title>", b"<title>About</titel>")
    run = run_wxr(broken)
    assert run.status == ImportRun.Status.FAILED
    assert "not well-formed XML (line" in _errors(run)[0]
    # The first pass reads the whole file before anything is written.
    assert Post.objects.count() == 0


def test_truncated_file_is_reported(run_wxr, blog_wxr):
    run = run_wxr(blog_wxr[: len(blog_wxr) // 2])
    assert run.status == ImportRun.Status.FAILED
    assert "looks truncated" in _errors(run)[0]
    assert Post.objects.count() == 0


def test_xml_that_is_not_wordpress_is_refused(run_wxr):
    run = run_wxr(b'<?xml version="1.0"?><feed><rss/></feed>')
    assert run.status == ImportRun.Status.FAILED
    assert "starts with <feed>, not <rss>" in _errors(run)[0]


def test_start_import_refuses_a_non_xml_file(admin):
    from django.core.exceptions import ValidationError

    from apps.transfer import services

    with pytest.raises(ValidationError, match="not an XML file"):
        services.start_import(
            actor=admin,
            source="wxr",
            file=io.BytesIO(b"PK\x03\x04zip"),
            file_name="a.xml",
            enqueue=False,
        )
    assert ImportRun.objects.count() == 0


def test_start_import_is_for_admins_only(db):
    from django.core.exceptions import PermissionDenied

    from apps.transfer import services
    from tests.factories.accounts import UserFactory

    with pytest.raises(PermissionDenied):
        services.start_import(
            actor=UserFactory.create(),
            source="wxr",
            file=io.BytesIO(b"<rss/>"),
            file_name="a.xml",
            enqueue=False,
        )
