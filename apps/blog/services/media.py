"""Images uploaded into posts: checked with Pillow, EXIF stripped, resized renditions made."""

from __future__ import annotations

import io
import uuid
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from apps.accounts.models import User
from apps.accounts.permissions import require
from apps.blog.models import Post, PostImage
from apps.blog.services.pages import invalidate_post

if TYPE_CHECKING:  # Pillow is imported by an upload, not by every page worker
    from PIL import Image

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
RENDITION_WIDTHS = (640, 1280, 1920)


def _open_checked(upload: UploadedFile) -> Image.Image:
    from PIL import Image, UnidentifiedImageError

    if upload.size is None or upload.size > MAX_BYTES:
        raise ValidationError({"image": "Images must be 10 MB or smaller."})
    data = upload.read()
    try:
        probe = Image.open(io.BytesIO(data))
        probe.verify()  # checks the file's structure without decoding every pixel
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as error:
        raise ValidationError({"image": "That file is not an image we can read."}) from error
    if image.format not in ALLOWED_FORMATS:
        raise ValidationError({"image": "Use a JPEG, PNG, WebP or GIF image."})
    if image.width * image.height > MAX_PIXELS:
        raise ValidationError({"image": "That image is too large (over 40 megapixels)."})
    return image


def _encode(image: Image.Image, fmt: str) -> bytes:
    """Re-encode from pixels only: metadata such as EXIF (and GPS) does not survive."""
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    elif fmt == "PNG":
        image.save(buffer, "PNG", optimize=True)
    elif fmt == "WEBP":
        image.save(buffer, "WEBP", quality=85)
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


@transaction.atomic
def upload_post_image(
    *, actor: User, post: Post | None, upload: UploadedFile, alt: str = ""
) -> PostImage:
    """Store an uploaded image for a post with 640/1280/1920-wide WebP renditions."""
    from PIL import Image, ImageOps

    if post is not None:
        require(actor, "post.edit", post)
    else:
        require(actor, "post.create")
    image = _open_checked(upload)
    fmt = str(image.format)
    # Honour the camera's orientation before the EXIF that records it is dropped.
    image = ImageOps.exif_transpose(image)
    stem = f"images/{uuid.uuid4().hex}"
    original_name = default_storage.save(
        f"{stem}.{ALLOWED_FORMATS[fmt]}", ContentFile(_encode(image, fmt))
    )
    renditions: dict[str, str] = {}
    for width in RENDITION_WIDTHS:
        if image.width <= width:
            continue
        height = round(image.height * width / image.width)
        resized = image.convert("RGBA" if image.mode in {"RGBA", "LA", "P"} else "RGB").resize(
            (width, height), Image.Resampling.LANCZOS
        )
        renditions[str(width)] = default_storage.save(
            f"{stem}-{width}.webp", ContentFile(_encode(resized, "WEBP"))
        )
    picture = PostImage(
        post=post,
        uploaded_by=actor,
        width=image.width,
        height=image.height,
        renditions=renditions,
        alt=alt.strip()[:200],
    )
    picture.original.name = original_name
    picture.save()
    return picture


def markdown_for(picture: PostImage) -> str:
    """The Markdown an author pastes into the body to show this image."""
    url = default_storage.url(picture.renditions.get("1280") or picture.original.name)
    alt = picture.alt.replace("]", "") or PurePosixPath(picture.original.name).stem
    return f"![{alt}]({url})"


@transaction.atomic
def set_post_cover(*, actor: User, post: Post, upload: UploadedFile | None, alt: str = "") -> Post:
    """Store `upload` as the post's cover (checked, EXIF stripped, 1920 wide); None removes it."""
    require(actor, "post.edit", post)
    name = ""
    if upload is not None:
        picture = upload_post_image(actor=actor, post=post, upload=upload, alt=alt)
        name = picture.renditions.get("1920") or picture.original.name
    Post.objects.filter(pk=post.pk).update(cover_image=name)
    post.cover_image.name = name
    invalidate_post(post)
    return post
