"""Drawing text and QR codes on PNG images with Pillow: the share image and the square poster.

Text typed by staff (a title in Arabic, a `<script>` tag) is only ever drawn as glyphs. Pillow
lays it out with libraqm when present, so right-to-left text reads right to left.
"""

from __future__ import annotations

import io
from functools import cache

import segno
from PIL import Image, ImageDraw, ImageFont

from petition.reporting.pdf_layout import FONT_DIR, FONTS

Font = ImageFont.FreeTypeFont

INK = (17, 24, 39)
MUTED = (75, 85, 99)
PAPER = (255, 255, 255)
ACCENT = (4, 120, 87)  # the public page's green
TRACK = (229, 231, 235)


@cache
def font(size: int, bold: bool = False) -> Font:
    return ImageFont.truetype(str(FONT_DIR / FONTS[("Sans", "B" if bold else "")]), size)


def text_width(draw: ImageDraw.ImageDraw, text: str, face: Font) -> float:
    return draw.textlength(text, font=face)


def wrap(draw: ImageDraw.ImageDraw, text: str, face: Font, width: float) -> list[str]:
    """Words into lines no wider than `width` (a word longer than a line is cut)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if text_width(draw, candidate, face) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while text_width(draw, word, face) > width and len(word) > 1:
                cut = len(word)
                while cut > 1 and text_width(draw, word[:cut], face) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        if line:
            lines.append(line)
    return lines


def fitted(
    draw: ImageDraw.ImageDraw,
    text: str,
    width: float,
    sizes: range,
    max_lines: int,
    bold: bool = False,
) -> tuple[Font, list[str]]:
    """The largest font of `sizes` (given largest first) that sets `text` in `max_lines`; at
    the smallest size, the lines beyond are dropped and the last one ends with an ellipsis."""
    face, lines = font(sizes.start, bold), [text]
    for size in sizes:
        face = font(size, bold)
        lines = wrap(draw, text, face, width)
        if len(lines) <= max_lines:
            return face, lines
    kept = lines[:max_lines]
    last = kept[-1]
    while last and text_width(draw, last + "…", face) > width:
        last = last[:-1]
    kept[-1] = last.rstrip() + "…"
    return face, kept


def draw_lines(
    draw: ImageDraw.ImageDraw,
    lines: list[str],
    face: Font,
    x: float,
    y: float,
    fill: tuple[int, int, int] = INK,
    spacing: float = 1.2,
) -> float:
    """Draw `lines` from the top-left (x, y); returns the y below the last."""
    step = face.size * spacing
    for line in lines:
        draw.text((x, y), line, font=face, fill=fill)
        y += step
    return y


def qr_image(uri: str, size: int) -> Image.Image:
    """A QR code of `uri`, black on white with its quiet zone, `size` pixels square at most
    (whole pixels per module, so a phone's camera reads every edge sharp)."""
    qr = segno.make(uri, error="m", micro=False)
    modules = qr.symbol_size(scale=1, border=4)[0]
    scale = max(1, size // modules)
    out = io.BytesIO()
    qr.save(out, kind="png", scale=scale, border=4)
    out.seek(0)
    return Image.open(out).convert("RGB")


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
