"""Campaigns: creating and changing them, and whether their line takes calls right now.

The staff pages and `petition campaign create` both go through `create` and `update`, which
check every field (`CampaignInvalid` lists what is wrong, field by field, as catalog messages
the edge translates) and write the change to the audit log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from petition import audit
from petition.counting.thresholds import CUSTOM, PRESETS, RuleError, rule_for
from petition.errors import PetitionError
from petition.i18n import DEFAULT_TIME_ZONE, LANGUAGES, N_, UnknownTimeZone, time_zone
from petition.models import Campaign, CampaignNumber, utcnow
from petition.privacy import phones

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
MAX_TITLE = 200
MAX_DESCRIPTION = 2000
MAX_ORGANISATION = 200
MAX_RETENTION_DAYS = 3650


class LineState(StrEnum):
    """Whether the campaign's number takes signatures now, and if not, why."""

    OPEN = "open"
    CLOSED = "closed"  # closed by hand
    SCHEDULED = "scheduled"  # its opening date-time is still to come
    ENDED = "ended"  # its closing date-time has passed


def line_state(campaign: Campaign, now: datetime | None = None) -> LineState:
    """The manual switch first, then the opening and closing date-times (naive UTC)."""
    now = now or utcnow()
    if not campaign.is_open:
        return LineState.CLOSED
    if campaign.opens_at is not None and now < campaign.opens_at:
        return LineState.SCHEDULED
    if campaign.closes_at is not None and now >= campaign.closes_at:
        return LineState.ENDED
    return LineState.OPEN


def takes_calls(campaign: Campaign, now: datetime | None = None) -> bool:
    return line_state(campaign, now) is LineState.OPEN


def rule_has_regions(rule_key: str) -> bool:
    """Whether the rule counts by region, so callers should key in their postcode."""
    preset = PRESETS.get(rule_key)
    return bool(preset and preset.regional_minimums)


def by_slug(session: so.Session, slug: str) -> Campaign | None:
    return session.scalar(sa.select(Campaign).where(Campaign.slug == slug))


def set_open(session: so.Session, campaign: Campaign, is_open: bool, *, actor: str) -> None:
    """Open or close a campaign to callers; the change is audited."""
    before = {"is_open": campaign.is_open}
    campaign.is_open = is_open
    campaign.closed_at = None if is_open else utcnow()
    audit.record(
        session,
        actor=actor,
        action="campaign_opened" if is_open else "campaign_closed",
        campaign_id=campaign.id,
        before=before,
        after={"is_open": is_open},
    )


@dataclass(frozen=True)
class Problem:
    """What is wrong with a field: a catalog message and the values for its placeholders."""

    message: str
    values: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % self.values


class CampaignInvalid(PetitionError, ValueError):
    """Some fields are wrong; `problems` maps each to what is wrong with it."""

    def __init__(self, problems: dict[str, Problem]) -> None:
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class CampaignDetails:
    """Everything an admin sets about a campaign. Times are naive UTC.

    `ask_postcode` None means: on when the rule counts by region.
    """

    slug: str
    title: str
    numbers: tuple[str, ...]
    description: str = ""
    languages: tuple[str, ...] = LANGUAGES
    rule_key: str = "be-chamber"
    rule_total: int | None = None
    rule_deadline: date | None = None
    ask_postcode: bool | None = None
    ask_declaration: bool = False
    ask_consent: bool = False
    # After the beep: the name read back for the caller to confirm, and keypad spelling.
    read_back: bool = True
    keypad_spelling: bool = True
    # A helpline the caller reaches with 0 (E.164), and whether the call offers it.
    helpline: str = ""
    offer_helpline: bool = False
    retention_days: int = 90
    organisation_name: str = ""
    organisation_contact: str = ""
    time_zone: str = DEFAULT_TIME_ZONE
    opens_at: datetime | None = None
    closes_at: datetime | None = None

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignDetails:
        """A campaign's details as they are, to show in a form or to change some of."""
        values = {f.name: getattr(campaign, f.name) for f in fields(cls) if f.name != "numbers"}
        values["languages"] = tuple(campaign.language_list)
        values["helpline"] = campaign.helpline or ""
        return cls(numbers=tuple(n.number for n in campaign.numbers), **values)


def _check(
    session: so.Session, details: CampaignDetails, campaign: Campaign | None
) -> tuple[dict[str, Any], list[str]]:
    """The cleaned column values and E.164 numbers, or CampaignInvalid."""
    problems: dict[str, Problem] = {}
    values: dict[str, Any] = {}

    slug = details.slug.strip().lower()
    if not SLUG.fullmatch(slug):
        problems["slug"] = Problem(
            N_("Use 1 to 64 lower-case letters, digits and dashes, such as glenn-2025.")
        )
    elif session.scalar(
        sa.select(Campaign.id).where(
            Campaign.slug == slug, Campaign.id != (campaign.id if campaign else -1)
        )
    ):
        problems["slug"] = Problem(N_("Another campaign has this short name."))
    values["slug"] = slug

    title = " ".join(details.title.split())
    if not title:
        problems["title"] = Problem(N_("Give the campaign a title."))
    elif len(title) > MAX_TITLE:
        problems["title"] = Problem(N_("At most %(n)s characters."), {"n": MAX_TITLE})
    values["title"] = title
    values["description"] = details.description.strip()
    if len(values["description"]) > MAX_DESCRIPTION:
        problems["description"] = Problem(N_("At most %(n)s characters."), {"n": MAX_DESCRIPTION})

    numbers = _check_numbers(session, details.numbers, campaign, problems)

    languages = [lang for lang in details.languages if lang]
    if not languages:
        problems["languages"] = Problem(N_("Choose at least one language."))
    elif any(lang not in LANGUAGES for lang in languages) or len(set(languages)) != len(languages):
        problems["languages"] = Problem(N_("Each of nl, fr, de and en at most once."))

    values["rule_key"] = details.rule_key
    custom = details.rule_key == CUSTOM
    values["rule_total"] = details.rule_total if custom else None
    values["rule_deadline"] = details.rule_deadline if custom else None
    try:
        rule_for(details.rule_key, custom_total=values["rule_total"])
    except RuleError:
        if custom:
            problems["rule_total"] = Problem(N_("A custom rule needs a number of signatures."))
        else:
            problems["rule_key"] = Problem(N_("Choose a rule from the list."))

    if details.ask_postcode is None:
        values["ask_postcode"] = rule_has_regions(details.rule_key)
    else:
        values["ask_postcode"] = details.ask_postcode
    values["ask_declaration"] = details.ask_declaration
    values["ask_consent"] = details.ask_consent
    values["read_back"] = details.read_back
    values["keypad_spelling"] = details.keypad_spelling  # a step of the read-back, if on
    values["helpline"], values["offer_helpline"] = _check_helpline(details, problems)

    if not 1 <= details.retention_days <= MAX_RETENTION_DAYS:
        problems["retention_days"] = Problem(
            N_("Between 1 and %(n)s days."), {"n": MAX_RETENTION_DAYS}
        )
    values["retention_days"] = details.retention_days

    for name in ("organisation_name", "organisation_contact"):
        values[name] = " ".join(getattr(details, name).split())
        if len(values[name]) > MAX_ORGANISATION:
            problems[name] = Problem(N_("At most %(n)s characters."), {"n": MAX_ORGANISATION})

    values["time_zone"] = details.time_zone.strip()
    try:
        time_zone(values["time_zone"])
    except UnknownTimeZone:
        problems["time_zone"] = Problem(N_("Not a time zone; use a name like Europe/Brussels."))

    values["opens_at"], values["closes_at"] = details.opens_at, details.closes_at
    if details.opens_at and details.closes_at and details.closes_at <= details.opens_at:
        problems["closes_at"] = Problem(N_("The line must close after it opens."))

    if problems:
        raise CampaignInvalid(problems)
    values["languages"] = ",".join(languages)
    return values, numbers


def _check_helpline(
    details: CampaignDetails, problems: dict[str, Problem]
) -> tuple[str | None, bool]:
    raw = details.helpline.strip()
    if not raw:
        if details.offer_helpline:
            problems["helpline"] = Problem(N_("Give the helpline's number to offer it."))
        return None, False
    number = phones.normalize_helpline(raw)
    if number is None:
        problems["helpline"] = Problem(
            N_("Not a phone number one can call: %(number)s"), {"number": raw}
        )
    return number, details.offer_helpline


def _check_numbers(
    session: so.Session,
    typed: tuple[str, ...],
    campaign: Campaign | None,
    problems: dict[str, Problem],
) -> list[str]:
    numbers: list[str] = []
    for raw in (n.strip() for n in typed):
        if not raw:
            continue
        e164 = phones.normalize(raw)
        if e164 is None:
            problems["numbers"] = Problem(N_("Not a phone number: %(number)s"), {"number": raw})
            return []
        if e164 not in numbers:
            numbers.append(e164)
    if not numbers:
        problems["numbers"] = Problem(N_("Give at least one phone number."))
        return []
    taken = session.scalars(
        sa.select(CampaignNumber.number).where(
            CampaignNumber.number.in_(numbers),
            CampaignNumber.campaign_id != (campaign.id if campaign else -1),
        )
    ).all()
    if taken:
        problems["numbers"] = Problem(
            N_("Another campaign answers on %(number)s."), {"number": ", ".join(sorted(taken))}
        )
    return numbers


def _recorded(values: dict[str, Any]) -> dict[str, Any]:
    """Values as the audit log keeps them (JSON: dates and times as ISO text)."""
    return {
        key: value.isoformat() if isinstance(value, date | datetime) else value
        for key, value in values.items()
    }


def create(session: so.Session, details: CampaignDetails, *, actor: str) -> Campaign:
    """A new campaign, open (within its dates); CampaignInvalid if a field is wrong."""
    values, numbers = _check(session, details, None)
    campaign = Campaign(**values, numbers=[CampaignNumber(number=n) for n in numbers])
    session.add(campaign)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="campaign_created",
        campaign_id=campaign.id,
        after=_recorded({**values, "numbers": numbers}),
    )
    return campaign


def update(
    session: so.Session, campaign: Campaign, details: CampaignDetails, *, actor: str
) -> dict[str, Any]:
    """Change `campaign` to `details`; audit what changed and return it (field: new value)."""
    values, numbers = _check(session, details, campaign)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in values.items():
        if getattr(campaign, name) != value:
            before[name], after[name] = getattr(campaign, name), value
            setattr(campaign, name, value)
    current = [n.number for n in campaign.numbers]
    if current != numbers:
        before["numbers"], after["numbers"] = current, numbers
        kept = {n.number: n for n in campaign.numbers}
        campaign.numbers = [kept.get(n) or CampaignNumber(number=n) for n in numbers]
        # Numbers moved between campaigns in one go: the old rows go before the new come.
        session.flush()
    if after:
        audit.record(
            session,
            actor=actor,
            action="campaign_changed",
            campaign_id=campaign.id,
            before=_recorded(before),
            after=_recorded(after),
        )
    return after
