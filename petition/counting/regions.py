"""Belgian regions and the postcode a caller keys in on the phone.

Pure domain: no web, database or queue imports. The ranges follow the product brief
(DESIGN.md, "Thresholds"): the region is what the Chamber's regional minimums are counted in.
"""

from __future__ import annotations

import re
from enum import StrEnum

from petition.i18n import N_, translations


class Region(StrEnum):
    """Where a signer lives, as far as their postcode tells. UNKNOWN is its own bucket."""

    FLANDERS = "flanders"
    WALLONIA = "wallonia"
    BRUSSELS = "brussels"
    UNKNOWN = "unknown"


# Official names of the regions (translated in the catalogs).
NAMES: dict[Region, str] = {
    Region.FLANDERS: N_("Flemish Region"),
    Region.WALLONIA: N_("Walloon Region"),
    Region.BRUSSELS: N_("Brussels-Capital Region"),
    Region.UNKNOWN: N_("Unknown region"),
}

# ASCII digits only: str.isdigit() would also accept Arabic-Indic or superscript digits.
_POSTCODE = re.compile(r"[0-9]{4}")


def region_label(region: Region, language: str) -> str:
    """The region's official name in `language` ("nl", "fr", "de", "en"; "nl-BE" works too).

    An unsupported language falls back to English rather than failing a page.
    """
    return translations(language).gettext(NAMES[Region(region)])


def parse_postcode(digits: str | None) -> str | None:
    """Return `digits` if it is a Belgian postcode (exactly four digits, 1000-9999), else None."""
    if digits is None or not _POSTCODE.fullmatch(digits):
        return None
    return digits if int(digits) >= 1000 else None


def region_for_postcode(postcode: str | None) -> Region:
    """The region a Belgian postcode belongs to; UNKNOWN for a missing or invalid postcode."""
    valid = parse_postcode(postcode)
    if valid is None:
        return Region.UNKNOWN
    number = int(valid)
    if number <= 1299:
        return Region.BRUSSELS
    # 4700-4791 (the German-speaking Community) lies inside 4000-7999: it is part of the
    # Walloon Region, which is what the Chamber's regional minimums count.
    if number <= 1499 or 4000 <= number <= 7999:
        return Region.WALLONIA
    return Region.FLANDERS
