"""Avatar uploads: prove the file is a real, reasonably sized image, then re-encode it.

The stored avatar is drawn again from the decoded pixels, so nothing else in the
upload survives: no EXIF (camera, GPS position), no comments, no trailing payload
after the image data. The result is a square WebP of a fixed size.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # Pillow is imported by an upload, not by every page worker
    from PIL import Image

AVATAR_SIZE = 256
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
# Pillow's names for the formats we accept; `Image.open` tries no other decoder.
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
ACCEPT = "image/jpeg,image/png,image/webp,image/gif"

_NOT_AN_IMAGE = _("This file is not an image we can use. Upload a JPEG, PNG, WebP or GIF picture.")


def open_avatar(upload: File[bytes]) -> Image.Image:
    """The upload decoded as an image; ValidationError says what is wrong with it otherwise."""
    from PIL import Image, UnidentifiedImageError

    if upload.size is not None and upload.size > MAX_BYTES:
        raise ValidationError(
            _("This image is larger than 5 MB. Please choose a smaller one."), code="too_large"
        )
    upload.seek(0)
    data = upload.read(MAX_BYTES + 1)  # a copy: Pillow closes what it is given
    upload.seek(0)
    if len(data) > MAX_BYTES:
        raise ValidationError(
            _("This image is larger than 5 MB. Please choose a smaller one."), code="too_large"
        )
    try:
        # Pillow warns (and past twice its limit, raises) on decompression bombs; both refuse.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    _("This image has more than 40 megapixels. Please choose a smaller one."),
                    code="too_many_pixels",
                )
            # JPEG can decode at a fraction of full size, which is all an avatar needs.
            image.draft("RGB", (AVATAR_SIZE * 2, AVATAR_SIZE * 2))
            image.load()  # decodes the pixels: truncated or corrupt files fail here
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ) as error:
        raise ValidationError(_NOT_AN_IMAGE, code="not_an_image") from error
    return image


def render_avatar(upload: File[bytes]) -> ContentFile[bytes]:
    """The upload as a validated, square-cropped, EXIF-free AVATAR_SIZE² WebP."""
    from PIL import Image, ImageOps

    image = open_avatar(upload)
    # Apply the camera's rotation before the EXIF that records it is dropped.
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    image = ImageOps.fit(image, (AVATAR_SIZE, AVATAR_SIZE), method=Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=85, method=6)
    return ContentFile(out.getvalue())
