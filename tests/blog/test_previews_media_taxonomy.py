"""Preview links, image uploads and taxonomy management."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from apps.blog import services
from apps.blog.models import PreviewLink, Tag
from apps.blog.services import PostContent
from tests.blog.helpers import user_in_role
from tests.factories.blog import PostFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_preview_link_shows_a_draft_to_anyone_holding_it(client):
    author = user_in_role("author")
    post = services.start_post(
        actor=author, content=PostContent(title="Secret", body="Hidden text.")
    )
    assert client.get(post.get_absolute_url()).status_code == 404
    _link, token = services.create_preview_link(actor=author, post=post, hours=2)
    response = client.get(f"/preview/{token}/")
    assert response.status_code == 200
    assert "Hidden text." in response.content.decode()
    assert "Preview: this post is" in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "ws-connect" not in response.content.decode()


def test_revoked_expired_and_forged_preview_links_stop_working(client):
    author = user_in_role("author")
    post = services.start_post(actor=author, content=PostContent(title="Secret", body="x"))
    link, token = services.create_preview_link(actor=author, post=post)
    services.revoke_preview_link(actor=author, link=link)
    assert client.get(f"/preview/{token}/").status_code == 404
    link2, token2 = services.create_preview_link(actor=author, post=post)
    PreviewLink.objects.filter(pk=link2.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(f"/preview/{token2}/").status_code == 404
    assert client.get(f"/preview/{token2[:-2]}xx/").status_code == 404


def test_only_people_who_may_edit_a_post_can_share_it():
    post = services.start_post(
        actor=user_in_role("author"), content=PostContent(title="A", body="b")
    )
    with pytest.raises(PermissionDenied):
        services.create_preview_link(actor=user_in_role("author"), post=post)
    with pytest.raises(ValidationError):
        services.create_preview_link(actor=post.author, post=post, hours=10_000)


def _image_file(name="photo.jpg", fmt="JPEG", size=(2400, 1600), exif=True) -> SimpleUploadedFile:
    image = Image.new("RGB", size, (200, 120, 40))
    buffer = io.BytesIO()
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # Make
        kwargs["exif"] = data.tobytes()
    image.save(buffer, fmt, **kwargs)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def test_uploaded_images_lose_exif_and_get_renditions():
    author = user_in_role("author")
    post = services.start_post(actor=author, content=PostContent(title="A", body="b"))
    picture = services.upload_post_image(actor=author, post=post, upload=_image_file(), alt="Kiln")
    assert (picture.width, picture.height) == (2400, 1600)
    assert set(picture.renditions) == {"640", "1280", "1920"}
    with default_storage.open(picture.original.name) as stored:
        assert b"SecretCam" not in stored.read()
    with default_storage.open(picture.renditions["640"]) as small:
        assert Image.open(small).size == (640, 427)
    assert services.markdown_for(picture).startswith("![Kiln](")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("fake.png", b"not an image at all", content_type="image/png"),
            "not an image",
        ),
        (
            SimpleUploadedFile("big.jpg", b"x" * (10 * 1024 * 1024 + 1), content_type="image/jpeg"),
            "10 MB",
        ),
    ],
)
def test_non_images_and_oversized_files_are_refused(upload, message):
    author = user_in_role("author")
    with pytest.raises(ValidationError, match=message):
        services.upload_post_image(actor=author, post=None, upload=upload)


def test_readers_cannot_upload_images():
    with pytest.raises(PermissionDenied):
        services.upload_post_image(actor=user_in_role("reader"), post=None, upload=_image_file())


def test_merge_tags_moves_posts_and_removes_the_sources():
    editor = user_in_role("editor")
    target, source = TagFactory.create(name="python"), TagFactory.create(name="py")
    both = PostFactory.create(tags=[target, source])
    only_source = PostFactory.create(tags=[source])
    moved = services.merge_tags(actor=editor, sources=[source], target=target)
    assert moved == 2
    assert not Tag.objects.filter(pk=source.pk).exists()
    assert list(both.tags.all()) == [target]
    assert list(only_source.tags.all()) == [target]


def test_taxonomy_names_must_be_unique_and_editors_only():
    editor = user_in_role("editor")
    services.save_category(actor=editor, name="Essays")
    with pytest.raises(ValidationError, match="already exists"):
        services.save_category(actor=editor, name="essays")
    with pytest.raises(PermissionDenied):
        services.save_tag(actor=user_in_role("author"), name="new")
    tag = services.save_tag(actor=editor, name="Old name")
    renamed = services.save_tag(actor=editor, name="New name", tag=tag)
    assert (renamed.pk, renamed.slug) == (tag.pk, "new-name")
