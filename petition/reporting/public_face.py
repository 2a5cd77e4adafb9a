"""What the public reads of a campaign, in its language: the number written two ways, the three
steps of the call with its length, and the privacy notice in plain words.

The public page, the share image and the poster all take their words from here, so the page a
visitor reads and the poster on a wall never disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import phonenumbers
from babel import Locale

from petition.i18n import N_, Localizer
from petition.line import helpline
from petition.models import Campaign
from petition.privacy import phones

# A call's parts, in seconds (ivr/twiml.py): the language menu, the greeting with its privacy
# sentence, ten seconds after the beep, the thanks; each optional step adds its own.
_BASE_SECONDS = 45
_STEP_SECONDS = {"ask_postcode": 15, "ask_declaration": 10, "ask_consent": 10, "read_back": 20}


@dataclass(frozen=True)
class ShownNumber:
    """A campaign number: E.164 for the tel: link, and as people write it."""

    e164: str
    international: str  # +32 2 000 00 01
    national: str  # 02 000 00 01, for callers in the number's own country
    country: str  # BE

    def country_name(self, language: str) -> str:
        return str(Locale.parse(language).territories.get(self.country, self.country))


def shown_number(e164: str) -> ShownNumber:
    parsed = phonenumbers.parse(e164)
    return ShownNumber(
        e164=e164,
        international=phonenumbers.format_number(
            parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        ),
        national=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL),
        country=phonenumbers.region_code_for_number(parsed) or "",
    )


def call_minutes(campaign: Campaign) -> int:
    """About how many minutes a call takes, rounded up: what the visitor should expect."""
    seconds = _BASE_SECONDS + sum(
        extra for step, extra in _STEP_SECONDS.items() if getattr(campaign, step)
    )
    return max(1, math.ceil(seconds / 60))


def steps(campaign: Campaign, loc: Localizer) -> list[str]:
    """The call in three short steps, as the campaign set it up."""
    first = (
        loc.gettext("Call the number and choose your language on the keypad.")
        if len(campaign.language_list) > 1
        else loc.gettext("Call the number.")
    )
    if campaign.ask_postcode:
        second = loc.gettext(
            "Key in your postcode, then after the beep say your first name and surname."
        )
    else:
        second = loc.gettext("After the beep, say your first name and surname.")
    if campaign.read_back:
        third = loc.gettext(
            "Listen to your name read back and confirm it: your signature is counted."
        )
    else:
        third = loc.gettext("Hang up: your signature is counted.")
    return [first, second, third]


def help_offer(campaign: Campaign, loc: Localizer) -> str | None:
    """The campaign's helpline, for a visitor who is affected themselves: 0 in the call, or
    its number. None when the call does not offer one."""
    if not helpline.offered(campaign) or campaign.helpline is None:
        return None
    number = phones.written(campaign.helpline)
    return loc.gettext(
        "Need to talk to someone? Press 0 at any time during the call, or call %(number)s.",
        number=number,
    )


def call_length(campaign: Campaign, loc: Localizer) -> str:
    n = call_minutes(campaign)
    return loc.ngettext(
        "The call takes about %(num)s minute.", "The call takes about %(num)s minutes.", n
    )


def privacy_notice(campaign: Campaign, loc: Localizer) -> list[str]:
    """What is kept, for how long, and how to have it erased: a few plain sentences."""
    days = campaign.retention_days
    kept = (
        loc.gettext("We keep the name you say and your postcode, to count your signature.")
        if campaign.ask_postcode
        else loc.gettext("We keep the name you say, to count your signature.")
    )
    recording = loc.ngettext(
        "The recording is deleted after %(num)s day at most.",
        "The recording is deleted after %(num)s days at most.",
        days,
    )
    number = loc.gettext(
        "Your phone number is kept only in coded form, so that each person signs once; "
        "it is never shown or passed on."
    )
    handed = loc.gettext("Your name is handed over with the petition.")
    organisation = campaign.organisation_name.strip()
    contact = campaign.organisation_contact.strip()
    if organisation and contact:
        erase = loc.gettext(
            "To have your signature erased, write to %(organisation)s (%(contact)s) with the "
            "number you called from.",
            organisation=organisation,
            contact=contact,
        )
    elif organisation or contact:
        erase = loc.gettext(
            "To have your signature erased, write to %(who)s with the number you called from.",
            who=organisation or contact,
        )
    else:
        erase = loc.gettext(
            "To have your signature erased, contact the campaign with the number you called from."
        )
    return [kept, recording, number, handed, erase]


def privacy_line(campaign: Campaign, loc: Localizer) -> str:
    """The privacy notice in one line, for a poster."""
    return loc.ngettext(
        "Your name counts for this petition only. The recording is deleted after %(num)s day; "
        "your number is kept only in coded form.",
        "Your name counts for this petition only. The recording is deleted after %(num)s days; "
        "your number is kept only in coded form.",
        campaign.retention_days,
    )


def rounded_count(n: int) -> tuple[int, bool]:
    """The count as a share image shows it: exact below 100, then down to a round step (10,
    100, 1,000), so the image changes when the count moves by a step, not on every call.
    The flag says whether it was rounded (the image writes "1,200+")."""
    if n < 100:
        return n, False
    step = 10 if n < 1_000 else 100 if n < 10_000 else 1_000
    shown = n - n % step
    return shown, shown != n


SIGN_BY_PHONE = N_("Sign by phone")
