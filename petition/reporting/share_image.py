"""The image a link to the public page shows on social media (Open Graph, 1200×630 PNG): the
campaign's title, the number to call and the count, in the page's language.

Drawn once per language and per step of the count (see public_face.rounded_count) and kept in a
folder, so a thousand shares in an hour cost one drawing, not a thousand.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import astuple, dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from petition.i18n import Localizer
from petition.reporting.png_layout import (
    ACCENT,
    INK,
    MUTED,
    PAPER,
    TRACK,
    draw_lines,
    fitted,
    font,
    png_bytes,
    text_width,
)
from petition.reporting.public_face import SIGN_BY_PHONE, rounded_count

WIDTH, HEIGHT = 1200, 630
PAD = 72
# Bump when the drawing changes, so images cached by an older version are drawn again.
VERSION = 1


@dataclass(frozen=True)
class ShareCard:
    """Everything the image shows; two equal cards draw the same image."""

    title: str
    organisation: str
    number: str | None  # as people write it; None when the line does not take calls
    signatures: int
    target: int
    line: str  # open, closed, scheduled, ended


def share_png(card: ShareCard, loc: Localizer) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 18, HEIGHT), fill=ACCENT)
    width = WIDTH - 2 * PAD
    y = 56.0
    if card.organisation:
        face, lines = fitted(draw, card.organisation, width, range(30, 21, -2), 1)
        y = draw_lines(draw, lines, face, PAD, y, MUTED) + 8
    face, lines = fitted(draw, card.title, width, range(68, 35, -4), 3, bold=True)
    y = draw_lines(draw, lines, face, PAD, y, INK, spacing=1.15) + 18

    if card.number and card.line == "open":
        label = loc.gettext(SIGN_BY_PHONE)
        label_face = font(34)
        draw.text((PAD, y + 14), label, font=label_face, fill=MUTED)
        room = width - text_width(draw, label, label_face) - 24
        number_face, _ = fitted(draw, card.number, room, range(64, 35, -4), 1, bold=True)
        draw.text(
            (PAD + text_width(draw, label, label_face) + 24, y),
            card.number,
            font=number_face,
            fill=INK,
        )
        y += 84
    else:
        closed = (
            loc.gettext("This petition opens soon.")
            if card.line == "scheduled"
            else loc.gettext("This petition is closed.")
        )
        draw.text((PAD, y + 10), closed, font=font(40, bold=True), fill=INK)
        y += 84

    # The count and its bar, at the bottom, always in the same place.
    shown, rounded = rounded_count(card.signatures)
    count = loc.number(shown) + ("+" if rounded else "")
    words = loc.ngettext(
        "signature of %(target)s", "signatures of %(target)s", shown, target=loc.number(card.target)
    )
    base = HEIGHT - 150
    count_face = font(60, bold=True)
    draw.text((PAD, base), count, font=count_face, fill=ACCENT)
    draw.text(
        (PAD + text_width(draw, count, count_face) + 18, base + 22),
        words,
        font=font(34),
        fill=INK,
    )
    bar_top = HEIGHT - 62
    draw.rounded_rectangle((PAD, bar_top, WIDTH - PAD, bar_top + 22), radius=11, fill=TRACK)
    share = min(1.0, shown / card.target) if card.target else 0.0
    if shown:
        filled = PAD + max(22, int(width * share))
        draw.rounded_rectangle((PAD, bar_top, filled, bar_top + 22), radius=11, fill=ACCENT)
    return png_bytes(image)


def card_key(card: ShareCard, language: str) -> str:
    """What the cached file is named after: the card as drawn (the count by its step)."""
    shown = rounded_count(card.signatures)
    parts = (VERSION, language, *astuple(card)[:3], shown, card.target, card.line)
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


def cached_share_png(folder: Path, card: ShareCard, loc: Localizer) -> Path:
    """The card's image in `folder`, drawn when it is not there yet; older images of the same
    language are removed once the new one is in place."""
    key = card_key(card, loc.language)
    path = folder / f"share-{loc.language}-{key}.png"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{path.name}.{os.getpid()}"
    tmp.write_bytes(share_png(card, loc))
    os.replace(tmp, path)  # atomic: a visitor never gets half an image
    for old in folder.glob(f"share-{loc.language}-*.png"):
        if old != path:
            old.unlink(missing_ok=True)
    return path
