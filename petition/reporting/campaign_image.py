"""The image a campaign shows on its public page: checked as a real image, re-encoded.

Nothing of the upload is trusted: not its name, not its content type, not its bytes. Pillow
must read it as an image of a known format and bounded size; what is kept is a fresh JPEG drawn
from its pixels (no metadata, so no camera GPS position either), at most MAX_SIDE pixels wide.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import IO

from PIL import Image, ImageOps

from petition.i18n import N_

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; more is a decompression bomb, not a picture
MAX_SIDE = 1600
MIN_SIDE = 200
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
NOT_AN_IMAGE = N_("This file is not an image we can read. Upload a JPEG, PNG, WebP or GIF image.")
TOO_LARGE = N_("The image is larger than %(mb)s MB. Upload a smaller one.")


class ImageRejected(ValueError):
    """The upload is not usable; `message` (a catalog msgid, filled from `values`) says why."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message % values)
        self.message = message
        self.values = values


def read_bounded(upload: IO[bytes], limit: int = MAX_BYTES) -> bytes:
    """The upload's bytes, or ImageRejected as soon as there are more than `limit`."""
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ImageRejected(TOO_LARGE, mb=limit // (1024 * 1024))
    return data


def store_image(upload: IO[bytes], dest: Path) -> tuple[int, int]:
    """Check `upload` and write it as a JPEG at `dest`; returns the stored width and height."""
    data = read_bounded(upload)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise ImageRejected(NOT_AN_IMAGE)
                probe.verify()  # the file's structure, before any pixel is decoded
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                image.load()
                picture = ImageOps.exif_transpose(image)
    except ImageRejected:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning) as exc:
        # Pillow says "cannot identify image file", "truncated", ... all one thing to staff.
        raise ImageRejected(NOT_AN_IMAGE) from exc
    if min(picture.size) < MIN_SIDE:
        raise ImageRejected(
            N_("The image is too small: at least %(px)s pixels on each side."), px=MIN_SIDE
        )
    if picture.mode in ("RGBA", "LA", "P"):
        rgba = picture.convert("RGBA")
        picture = Image.new("RGB", rgba.size, (255, 255, 255))
        picture.paste(rgba, mask=rgba.getchannel("A"))
    picture = picture.convert("RGB")
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.{os.getpid()}"
    picture.save(tmp, format="JPEG", quality=85, optimize=True, progressive=True)
    os.replace(tmp, dest)
    return picture.size
