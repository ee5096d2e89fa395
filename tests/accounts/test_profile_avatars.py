"""Avatar uploads are proven to be real images and re-encoded without their metadata."""

import io
from typing import cast

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.accounts.profile.avatars import AVATAR_SIZE, MAX_BYTES, open_avatar, render_avatar


def _upload(data: bytes, name: str = "a.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def _image_bytes(fmt: str, size=(400, 300), mode="RGB", color=(10, 120, 200), **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=fmt, **save)
    return out.getvalue()


def _render(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(render_avatar(_upload(data)).read()))


def _rgb(image: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    r, g, b = cast("tuple[int, int, int]", image.convert("RGB").getpixel(xy))
    return r, g, b


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_render_avatar_accepts_the_four_formats_and_makes_a_square_webp(fmt):
    image = _render(_image_bytes(fmt, size=(500, 200)))
    assert image.format == "WEBP"
    assert image.size == (AVATAR_SIZE, AVATAR_SIZE)


def test_render_avatar_strips_exif_but_applies_its_rotation():
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 0.0)}  # GPS
    # A tall image stored sideways: left half black, right half white.
    sideways = Image.new("RGB", (400, 200), "white")
    sideways.paste((0, 0, 0), (0, 0, 200, 200))
    out = io.BytesIO()
    sideways.save(out, format="JPEG", exif=exif)
    assert Image.open(io.BytesIO(out.getvalue())).getexif()[0x010F] == "SpyCam"

    image = _render(out.getvalue())
    assert not image.getexif()
    assert "exif" not in image.info
    # Rotated upright: black on top, white at the bottom.
    assert sum(_rgb(image, (128, 10))) < 100
    assert sum(_rgb(image, (128, 245))) > 600


def test_render_avatar_crops_the_centre():
    wide = Image.new("RGB", (600, 200), (255, 0, 0))
    wide.paste((0, 255, 0), (200, 0, 400, 200))  # the middle third is green
    out = io.BytesIO()
    wide.save(out, format="PNG")
    image = _render(out.getvalue())
    for x in (5, 128, 250):
        r, g, _ = _rgb(image, (x, 128))
        assert g > 200
        assert r < 60


def test_render_avatar_keeps_transparency():
    image = _render(_image_bytes("PNG", mode="RGBA", color=(0, 0, 0, 0)))
    assert image.mode == "RGBA"
    assert cast("tuple[int, ...]", image.getpixel((10, 10)))[3] == 0


def test_render_avatar_takes_the_first_frame_of_an_animated_gif():
    frames = [Image.new("RGB", (100, 100), c) for c in [(255, 0, 0), (0, 0, 255)]]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    image = _render(out.getvalue())
    assert getattr(image, "n_frames", 1) == 1
    r, _, b = _rgb(image, (50, 50))
    assert r > 200
    assert b < 60


@pytest.mark.parametrize(
    "data",
    [
        b"I am a text file with a .png name.\n" * 10,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # a PNG signature and nothing valid after it
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"",
    ],
    ids=["text", "png-header-only", "svg", "empty"],
)
def test_open_avatar_rejects_files_that_are_not_images(data):
    with pytest.raises(ValidationError, match="not an image we can use"):
        open_avatar(_upload(data))


def test_open_avatar_rejects_a_truncated_jpeg():
    data = _image_bytes("JPEG", size=(800, 800))
    with pytest.raises(ValidationError, match="not an image we can use"):
        open_avatar(_upload(data[: len(data) // 2]))


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "ICO"])
def test_open_avatar_rejects_other_image_formats(fmt):
    with pytest.raises(ValidationError, match="JPEG, PNG, WebP or GIF"):
        open_avatar(_upload(_image_bytes(fmt, size=(64, 64))))


def test_open_avatar_rejects_files_over_5_mb():
    upload = _upload(b"\x00" * (MAX_BYTES + 1))
    with pytest.raises(ValidationError, match="larger than 5 MB") as info:
        open_avatar(upload)
    assert info.value.code == "too_large"


def test_open_avatar_rejects_more_than_40_megapixels_without_decoding():
    # One bit per pixel keeps the 48-megapixel test image small.
    data = _image_bytes("PNG", size=(8000, 6000), mode="1", color=0)
    assert len(data) < MAX_BYTES
    with pytest.raises(ValidationError, match="40 megapixels") as info:
        open_avatar(_upload(data))
    assert info.value.code == "too_many_pixels"


def test_open_avatar_rejects_decompression_bombs(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    with pytest.raises(ValidationError, match="not an image we can use"):
        open_avatar(_upload(_image_bytes("PNG", size=(200, 200))))
