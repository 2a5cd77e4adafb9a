"""Caller numbers: normalise to E.164, recognise withheld IDs, hash and mask.

A number is personal data tied to a political opinion, so it is kept only as a keyed HMAC (to
match repeat callers) and a masked form (to show staff). The key lives outside the database.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import phonenumbers
from phonenumbers import shortnumberinfo

# What carriers send instead of a number when the caller withheld it.
WITHHELD_NUMBERS = frozenset({"+266696687", "+7378742833", "+86282452253", "+2562533", "+8656696"})
WITHHELD_WORDS = frozenset(
    {"anonymous", "restricted", "private", "unknown", "unavailable", "withheld", ""}
)


@dataclass(frozen=True)
class Caller:
    """What we keep of a caller's number."""

    hash: str | None  # None when withheld: withheld callers are never merged into one signer
    masked: str
    withheld: bool
    country: str | None  # ISO 3166 alpha-2, from the number's prefix
    range: str | None = None  # the block of numbers it belongs to (see number_range)


# Digits of the subscriber number, after the operator or area prefix, that name a range.
RANGE_DIGITS = 2


def _parse(raw: str, default_region: str = "BE") -> phonenumbers.PhoneNumber | None:
    try:
        parsed = phonenumbers.parse(raw.strip(), default_region)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_possible_number(parsed) else None


def normalize(raw: str, default_region: str = "BE") -> str | None:
    """E.164 form of a number, or None when it is not a plausible phone number."""
    parsed = _parse(raw, default_region)
    if parsed is None:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_withheld(raw: str | None) -> bool:
    if raw is None:
        return True
    value = raw.strip()
    return value.lower() in WITHHELD_WORDS or value in WITHHELD_NUMBERS


def hash_number(e164: str, key: str) -> str:
    return hmac.new(key.encode(), e164.encode(), hashlib.sha256).hexdigest()


def mask(e164: str) -> str:
    """Keep the country prefix and the last two digits: +32 4•• ••• •67."""
    return _mask(phonenumbers.parse(e164))


def _mask(parsed: phonenumbers.PhoneNumber) -> str:
    prefix = f"+{parsed.country_code}"
    national = str(parsed.national_number)
    hidden = "•" * max(len(national) - 2, 0)
    return f"{prefix} {hidden}{national[-2:]}"


def number_range(e164: str) -> str:
    """The block of numbers a number belongs to: country code, the operator or area prefix
    (phonenumbers' national destination code), then RANGE_DIGITS more digits.

    A Belgian mobile +32 470 12 34 56 is in range "+32 470 12", a block of 10,000 numbers: a
    SIP trunk that spoofs caller IDs tends to walk through one such block.
    """
    return _range(phonenumbers.parse(e164))


def _range(parsed: phonenumbers.PhoneNumber) -> str:
    national = str(parsed.national_number)
    prefix = phonenumbers.length_of_national_destination_code(parsed)
    head, rest = national[:prefix], national[prefix : prefix + RANGE_DIGITS]
    return " ".join(part for part in (f"+{parsed.country_code}", head, rest) if part)


def identify(raw: str | None, key: str) -> Caller:
    """Turn the carrier's `From` into what we store."""
    if is_withheld(raw):
        return Caller(hash=None, masked="withheld", withheld=True, country=None)
    assert raw is not None
    parsed = _parse(raw)  # once: parsing is most of the cost of a new call's webhook
    if parsed is None:
        # Not a number we can match on (e.g. a SIP address): treated like a withheld ID.
        return Caller(hash=None, masked="unrecognised", withheld=True, country=None)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    region = phonenumbers.region_code_for_number(parsed)
    return Caller(
        hash=hash_number(e164, key),
        masked=_mask(parsed),
        withheld=False,
        country=region if region and region != "ZZ" else None,
        range=_range(parsed),
    )


def normalize_helpline(raw: str, default_region: str = "BE") -> str | None:
    """E.164 form of a helpline's number, or None when it is not a number one can call.

    Stricter than `normalize` (a number typed by an admin, not sent by a carrier), but a
    helpline is often a short number of the region, such as the 116 000: those count too.
    """
    try:
        parsed = phonenumbers.parse(raw.strip(), default_region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(parsed) or shortnumberinfo.is_valid_short_number(parsed):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return None


def dialled_groups(e164: str, caller_region: str = "BE") -> list[str]:
    """The digits a caller in `caller_region` dials for a number, in the groups people write
    them in: ["116", "000"]; ["070", "23", "34", "43"]; from abroad ["00", "32", "70", ...]."""
    parsed = phonenumbers.parse(e164)
    if phonenumbers.is_valid_number(parsed):
        dialled = phonenumbers.format_out_of_country_calling_number(parsed, caller_region)
    else:  # a short number, dialled as it is within its country: no grouping of its own
        digits = phonenumbers.national_significant_number(parsed)
        dialled = f"{digits[:3]} {digits[3:]}" if len(digits) == 6 else digits
    groups = ["".join(ch for ch in group if ch.isdigit()) for group in dialled.split()]
    return [group for group in groups if group]


def spoken_digits(e164: str, caller_region: str = "BE") -> str:
    """A number as a voice should read it to a caller: the digits one by one, their groups
    apart ("1 1 6, 0 0 0"; "0 7 0, 2 3, 3 4, 4 3")."""
    return ", ".join(" ".join(group) for group in dialled_groups(e164, caller_region))


def written(e164: str, caller_region: str = "BE") -> str:
    """A number as people write it for a caller in `caller_region`: "116 000"."""
    return " ".join(dialled_groups(e164, caller_region))


def region_of(raw: str | None, default: str = "BE") -> str:
    """The country (ISO 3166 alpha-2) of a number, such as the campaign number a caller
    dialled: where they call from, most likely. `default` when it cannot be told."""
    parsed = _parse(raw or "")
    region = phonenumbers.region_code_for_number(parsed) if parsed is not None else None
    return region if region and region != "ZZ" else default
