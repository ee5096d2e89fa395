import io
from datetime import UTC, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.utils import timezone
from lxml import etree

from apps.accounts.models import AuditEvent
from apps.transfer import wxr_export
from apps.transfer.wxr_export import NS, stream_wxr
from tests.factories.accounts import UserFactory
from tests.factories.blog import CategoryFactory, PostFactory, TagFactory
from tests.factories.comments import CommentFactory

WP = "{http://wordpress.org/export/1.2/}"


def _parse(data: bytes):
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.parse(io.BytesIO(data), parser).getroot()


def _wxr():
    return _parse(b"".join(stream_wxr()))


def _text(element, path):
    found = element.find(path, NS)
    return None if found is None else (found.text or "")


@pytest.fixture
def site(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = "https://ink.example"
    author = UserFactory.create(username="ada", email="ada@example.com", display_name="Ada L")
    guest_reader = UserFactory.create(username="rea", email="reader-private@example.com")
    category = CategoryFactory.create(name="Essays", description="Long")
    tag = TagFactory.create(name="python")
    post = PostFactory.create(
        author=author, category=category, tags=[tag], featured=True, title="Hello <World>"
    )
    post.body_html = "<p>Hi ]]> there</p>"
    post.save()
    post.cover_image.save("c.png", ContentFile(b"png"), save=True)
    PostFactory.create(author=author, status="in_review", published_at=None, title="Pending")
    PostFactory.create(author=author, status="archived", title="Gone")
    PostFactory.create(
        author=author, status="scheduled", published_at=timezone.now() + timedelta(days=1)
    )
    top = CommentFactory.create(post=post, author=guest_reader)
    reply = CommentFactory.create(parent=top, author=author)
    CommentFactory.create(post=post, author=None, status="held")
    CommentFactory.create(post=post, author=guest_reader, status="spam")
    return {"post": post, "top": top, "reply": reply}


def test_wxr_has_the_channel_elements_wordpress_reads(site):
    rss = _wxr()
    assert rss.tag == "rss"
    assert rss.get("version") == "2.0"
    channel = rss.find("channel")
    assert _text(channel, "wp:wxr_version") == "1.2"
    assert _text(channel, "wp:base_site_url") == "https://ink.example"
    authors = channel.findall("wp:author", NS)
    assert [_text(a, "wp:author_login") for a in authors] == ["ada"]
    assert _text(authors[0], "wp:author_email") == "ada@example.com"
    assert _text(authors[0], "wp:author_display_name") == "Ada L"
    category = channel.find("wp:category", NS)
    assert _text(category, "wp:category_nicename") == "essays"
    assert _text(category, "wp:cat_name") == "Essays"
    assert _text(channel.find("wp:tag", NS), "wp:tag_slug") == "python"


def test_wxr_items_carry_posts_with_status_dates_terms_and_comments(site, monkeypatch):
    monkeypatch.setattr(wxr_export, "CHUNK", 2)  # posts (and their prefetches) by pages
    channel = _wxr().find("channel")
    posts = [i for i in channel.findall("item") if _text(i, "wp:post_type") == "post"]
    by_title = {_text(i, "title"): i for i in posts}
    item = by_title["Hello <World>"]
    assert _text(item, "wp:post_id") == str(site["post"].pk)
    assert _text(item, "wp:status") == "publish"
    assert _text(item, "wp:post_name") == site["post"].slug
    assert _text(item, "wp:is_sticky") == "1"
    assert _text(item, "dc:creator") == "ada"
    assert _text(item, "content:encoded") == "<p>Hi ]]> there</p>"
    gmt = site["post"].published_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert _text(item, "wp:post_date_gmt") == gmt
    assert _text(item, "link") == "https://ink.example" + site["post"].get_absolute_url()
    terms = {(c.get("domain"), c.get("nicename"), c.text) for c in item.findall("category")}
    assert terms == {("category", "essays", "Essays"), ("post_tag", "python", "python")}
    assert {_text(i, "wp:status") for i in posts} == {"publish", "pending", "private", "future"}
    comments = item.findall("wp:comment", NS)
    assert len(comments) == 4
    by_id = {_text(c, "wp:comment_id"): c for c in comments}
    reply = by_id[str(site["reply"].pk)]
    assert _text(reply, "wp:comment_parent") == str(site["top"].pk)
    assert _text(reply, "wp:comment_approved") == "1"
    assert sorted(_text(c, "wp:comment_approved") for c in comments) == ["0", "1", "1", "spam"]
    for comment in comments:
        for name in ("comment_author", "comment_date_gmt", "comment_content", "comment_user_id"):
            assert comment.find(f"wp:{name}", NS) is not None


def test_wxr_keeps_commenters_emails_private(site):
    data = b"".join(stream_wxr())
    assert b"reader-private@example.com" not in data
    emails = _parse(data).iterfind(".//wp:comment_author_email", NS)
    assert all(not (e.text or "") for e in emails)


def test_wxr_cover_images_become_attachments(site):
    channel = _wxr().find("channel")
    attachments = [i for i in channel.findall("item") if _text(i, "wp:post_type") == "attachment"]
    assert len(attachments) == 1
    attachment = attachments[0]
    assert _text(attachment, "wp:attachment_url").startswith("https://ink.example/")
    assert _text(attachment, "wp:post_parent") == str(site["post"].pk)
    post_item = next(
        i
        for i in channel.findall("item")
        if _text(i, "wp:post_id") == str(site["post"].pk) and _text(i, "wp:post_type") == "post"
    )
    metas = {
        _text(m, "wp:meta_key"): _text(m, "wp:meta_value")
        for m in post_item.findall("wp:postmeta", NS)
    }
    assert metas["_thumbnail_id"] == _text(attachment, "wp:post_id")


def test_wxr_of_an_empty_site_is_valid(db):
    channel = _wxr().find("channel")
    assert channel.findall("item") == []


def test_wxr_survives_control_characters(site):
    site["post"].body_html = "<p>bell\x07</p>"
    site["post"].save()
    assert b"<p>bell</p>" in b"".join(stream_wxr())


def test_export_wxr_command(site, tmp_path):
    out = tmp_path / "wp.xml"
    call_command("export_wxr", str(out))
    assert _parse(out.read_bytes()).find("channel") is not None
    assert AuditEvent.objects.get(kind="site_exported").data["format"] == "wxr"
    with pytest.raises(CommandError, match="exists"):
        call_command("export_wxr", str(out))
