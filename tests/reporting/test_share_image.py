"""The share image is drawn again when the count passes a step, not on every call."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from petition.i18n import Localizer
from petition.reporting.public_face import rounded_count
from petition.reporting.share_image import ShareCard, cached_share_png


def card(signatures: int) -> ShareCard:
    return ShareCard("Title", "Org", "+32 2 000 00 01", signatures, 25_000, "open")


def test_the_count_is_exact_below_100_then_rounded_down_to_its_step() -> None:
    assert rounded_count(99) == (99, False)
    assert rounded_count(125) == (120, True)
    assert rounded_count(1_234) == (1_200, True)
    assert rounded_count(25_000) == (25_000, False)


def test_the_cached_image_changes_only_when_the_count_passes_a_step(tmp_path: Path) -> None:
    loc = Localizer("nl")
    first = cached_share_png(tmp_path, card(121), loc)
    assert cached_share_png(tmp_path, card(129), loc) == first  # same step: not drawn again
    with Image.open(io.BytesIO(first.read_bytes())) as image:
        assert image.size == (1200, 630)
    moved = cached_share_png(tmp_path, card(130), loc)
    assert moved != first and not first.exists()  # the old image is gone
    other = cached_share_png(tmp_path, card(130), Localizer("fr"))
    assert other != moved and moved.exists()  # each language keeps its own
