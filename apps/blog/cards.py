"""Social card images: a 1200 by 630 PNG with the post's title, author and the site's name.

A post without a cover still gets an `og:image` when it is shared: this module draws one
on the server with Pillow and keeps it in the default storage under a name made from what
it shows (`cards/<post id>-<digest>.png`). A new title (or author name, or site name) is a
new name, so the page links to the new image at once and every cache of the old URL is
simply never asked again; the older file of the post is deleted when the new one is drawn.
"""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from apps.blog.models import Post

if TYPE_CHECKING:  # Pillow is imported when a card is drawn, not by every page worker
    from PIL import ImageDraw, ImageFont

    FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont

WIDTH, HEIGHT = 1200, 630
MARGIN = 80
BACKGROUND = (30, 27, 75)  # the site's ink, dark
ACCENT = (129, 140, 248)
TEXT = (255, 255, 255)
MUTED = (199, 210, 254)
DIRECTORY = "cards"
# Bumped when the drawing changes, so every card is drawn again.
VERSION = "1"

# Debian's DejaVu when the machine has it; otherwise the font Pillow itself ships.
_SERIF_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf")
_SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@lru_cache(maxsize=16)
def _font(path: Path, size: int) -> FontType:
    from PIL import ImageFont

    if path.exists():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def card_digest(post: Post) -> str:
    """What the card shows, hashed: it names the file and changes when the card must."""
    shown = "\n".join([VERSION, post.title, post.author.name, str(settings.SITE_NAME)])
    return hashlib.blake2b(shown.encode(), digest_size=8).hexdigest()


def card_name(post: Post) -> str:
    """The card's file name in the default storage."""
    return f"{DIRECTORY}/{post.pk}-{card_digest(post)}.png"


def _wrap(text: str, font: FontType, width: int, draw: ImageDraw.ImageDraw) -> list[str]:
    """Greedy word wrap by measured width (a word longer than a line gets a line of its own)."""
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def _wrapped_title(title: str, draw: ImageDraw.ImageDraw) -> tuple[list[str], FontType]:
    """The title in at most four lines, in the largest size that fits (cut with … if none)."""
    width = WIDTH - 2 * MARGIN
    for size in (76, 64, 54, 46):
        font = _font(_SERIF_BOLD, size)
        lines = _wrap(title, font, width, draw)
        if len(lines) <= 4 and all(draw.textlength(line, font=font) <= width for line in lines):
            return lines, font
    lines = _wrap(title, font, width, draw)[:4]
    while lines[-1] and draw.textlength(lines[-1] + " …", font=font) > width:
        # Whole words off the end; a single word too long for the line loses letters.
        head, _, _ = lines[-1].rpartition(" ")
        lines[-1] = head or lines[-1][:-1]
    lines[-1] = lines[-1].rstrip() + " …"
    return lines, font


def draw_card(*, title: str, author: str, site: str) -> bytes:
    """The PNG of one card."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 12), fill=ACCENT)
    lines, font = _wrapped_title(title, draw)
    line_height = int(font.size * 1.2) if isinstance(font, ImageFont.FreeTypeFont) else 50
    top = MARGIN + 20
    for line in lines:
        draw.text((MARGIN, top), line, font=font, fill=TEXT)
        top += line_height
    small = _font(_SANS, 34)
    draw.text((MARGIN, HEIGHT - MARGIN - 40), author, font=small, fill=MUTED)
    site_width = draw.textlength(site, font=small)
    draw.ellipse(
        (
            WIDTH - MARGIN - site_width - 34,
            HEIGHT - MARGIN - 30,
            WIDTH - MARGIN - site_width - 14,
            HEIGHT - MARGIN - 10,
        ),
        fill=ACCENT,
    )
    draw.text((WIDTH - MARGIN - site_width, HEIGHT - MARGIN - 40), site, font=small, fill=TEXT)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def social_card(post: Post) -> str:
    """The storage name of the post's current card, drawn (and the older one removed) if needed."""
    name = card_name(post)
    if default_storage.exists(name):
        return name
    data = draw_card(title=post.title, author=post.author.name, site=str(settings.SITE_NAME))
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:
        # Another request drew it at the same moment: keep theirs, drop ours.
        default_storage.delete(saved)
    _forget_older_cards(post, keep=name)
    return name


def _forget_older_cards(post: Post, *, keep: str) -> None:
    try:
        _, files = default_storage.listdir(DIRECTORY)
    except FileNotFoundError:
        return
    prefix = f"{post.pk}-"
    for file in files:
        path = f"{DIRECTORY}/{file}"
        if file.startswith(prefix) and file.endswith(".png") and path != keep:
            default_storage.delete(path)
