"""Parliamentary thresholds a campaign counts toward, and how far it has come.

Pure domain: no web, database or queue imports. A `Rule` says what a parliament asks for, a
`Tally` is what the campaign has counted, and `progress()` compares the two for the dashboard,
the stats API, the public badge and the export.

Be honest in the product (DESIGN.md): most parliaments only count signatures made on their own
platform or on paper, with an identification a phone call cannot give. Each such rule carries an
`identification_note` saying so; progress is "support shown against the rule", not a promise that
the parliament will act.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any

from petition.counting.regions import Region
from petition.errors import PetitionError
from petition.i18n import N_

CUSTOM = "custom"
CUSTOM_TITLE = N_("Custom threshold")


class RuleError(PetitionError, ValueError):
    """A threshold rule cannot be found or built; the edge answers it with a 400."""


class UnknownRule(RuleError):
    """No preset has this key (and it is not "custom")."""


class InvalidRule(RuleError):
    """The numbers of a rule contradict each other or are missing."""


@dataclass(frozen=True)
class Milestone:
    """A named step of a rule: what the campaign earns at `count` signatures."""

    label: str
    count: int


@dataclass(frozen=True)
class Rule:
    """What a parliament asks for before it acts on a petition.

    `total` is the number that makes the rule reached; `milestones` name what each number earns
    (the first is always `total`; the UK has a second one, the debate). Each regional minimum,
    and `min_countries` country minimums, must be met as well as `total` (they are parts of it,
    not additions). `window_days` counts from the campaign's opening; `deadline` is the last day
    on which signatures count.
    """

    key: str
    title: str
    total: int
    eligibility: str = ""
    regional_minimums: Mapping[Region, int] = field(default_factory=dict)
    country_minimums: Mapping[str, int] = field(default_factory=dict)
    min_countries: int = 0
    window_days: int | None = None
    deadline: date | None = None
    milestones: tuple[Milestone, ...] = ()
    identification_note: str | None = None

    def __post_init__(self) -> None:
        if self.total < 1:
            raise InvalidRule(f"{self.key}: total must be at least 1, not {self.total}")
        regional = {Region(region): count for region, count in self.regional_minimums.items()}
        if Region.UNKNOWN in regional:
            raise InvalidRule(f"{self.key}: the unknown region cannot have a minimum")
        if any(count < 1 for count in regional.values()):
            raise InvalidRule(f"{self.key}: a regional minimum must be at least 1")
        # Minimums that add up to more than the total would make the total a lie.
        if sum(regional.values()) > self.total:
            raise InvalidRule(f"{self.key}: regional minimums add up to more than the total")
        countries = {code.upper(): count for code, count in self.country_minimums.items()}
        if any(count < 1 for count in countries.values()):
            raise InvalidRule(f"{self.key}: a country minimum must be at least 1")
        if not 0 <= self.min_countries <= len(countries):
            raise InvalidRule(f"{self.key}: min_countries must be between 0 and the countries")
        if self.window_days is not None and self.window_days < 1:
            raise InvalidRule(f"{self.key}: window_days must be at least 1")
        milestones = self.milestones or (Milestone(self.title, self.total),)
        counts = [milestone.count for milestone in milestones]
        if counts[0] != self.total or counts != sorted(set(counts)):
            raise InvalidRule(f"{self.key}: milestones must rise and start at the total")
        # Read-only views: presets are shared module-level objects.
        object.__setattr__(self, "regional_minimums", MappingProxyType(regional))
        object.__setattr__(self, "country_minimums", MappingProxyType(countries))
        object.__setattr__(self, "milestones", milestones)


# Minimum number of signatories per Member State for a European citizens' initiative registered
# from 16 July 2024: Annex I to Regulation (EU) 2019/788 as replaced by Commission Delegated
# Regulation (EU) 2024/1082 of 6 February 2024. Each is the Member State's number of MEPs for
# the 2024-2029 term (European Council Decision (EU) 2023/2061) times 720, the total number of
# MEPs. Keys are ISO 3166-1 alpha-2 codes (Greece is "GR", not the EU's own "EL").
ECI_COUNTRY_MINIMUMS: Mapping[str, int] = MappingProxyType(
    {
        "AT": 14_400,  # 20 MEPs
        "BE": 15_840,  # 22
        "BG": 12_240,  # 17
        "CY": 4_320,  # 6
        "CZ": 15_120,  # 21
        "DE": 69_120,  # 96
        "DK": 10_800,  # 15
        "EE": 5_040,  # 7
        "ES": 43_920,  # 61
        "FI": 10_800,  # 15
        "FR": 58_320,  # 81
        "GR": 15_120,  # 21
        "HR": 8_640,  # 12
        "HU": 15_120,  # 21
        "IE": 10_080,  # 14
        "IT": 54_720,  # 76
        "LT": 7_920,  # 11
        "LU": 4_320,  # 6
        "LV": 6_480,  # 9
        "MT": 4_320,  # 6
        "NL": 22_320,  # 31
        "PL": 38_160,  # 53
        "PT": 15_120,  # 21
        "RO": 23_760,  # 33
        "SE": 15_120,  # 21
        "SI": 6_480,  # 9
        "SK": 10_800,  # 15
    }
)

PRESETS: dict[str, Rule] = {
    "be-chamber": Rule(
        key="be-chamber",
        title=N_("Belgian Chamber of Representatives"),
        total=25_000,
        eligibility=N_("16+ and domiciled in Belgium"),
        regional_minimums={Region.FLANDERS: 14_500, Region.WALLONIA: 8_000, Region.BRUSSELS: 2_500},
        milestones=(Milestone(N_("Hearing by a committee of the Chamber"), 25_000),),
        identification_note=N_(
            "The Chamber counts only signatures made on its own platform with e-ID or itsme; "
            "voice signatures are evidence of support, not signatures the Chamber will count."
        ),
    ),
    "flemish-parliament": Rule(
        key="flemish-parliament",
        title=N_("Flemish Parliament"),
        total=15_000,
        eligibility=N_("Anyone: no condition of age, nationality or residence"),
        milestones=(Milestone(N_("Hearing by a committee of the Flemish Parliament"), 15_000),),
        identification_note=N_(
            "The Flemish Parliament counts only written petitions signed by hand with each "
            "signer's name; voice signatures are evidence of support, not signatures the Flemish "
            "Parliament will count."
        ),
    ),
    "walloon-parliament": Rule(
        key="walloon-parliament",
        title=N_("Walloon Parliament"),
        total=1_000,
        eligibility=N_("16+"),
        milestones=(Milestone(N_("Author heard by the Walloon Parliament"), 1_000),),
        identification_note=N_(
            "The Walloon Parliament counts only signatures made on its own website or on paper "
            "with each signer's name and address; voice signatures are evidence of support, not "
            "signatures the Walloon Parliament will count."
        ),
    ),
    # Only Brussels residents count, so the whole target is a Brussels minimum: callers from
    # elsewhere, or who keyed no postcode, show in the total but bring the rule no closer.
    "brussels-parliament": Rule(
        key="brussels-parliament",
        title=N_("Brussels Parliament"),
        total=1_000,
        eligibility=N_("16+ and domiciled in the Brussels-Capital Region"),
        regional_minimums={Region.BRUSSELS: 1_000},
        milestones=(Milestone(N_("Author heard by the Brussels Parliament"), 1_000),),
        identification_note=N_(
            "The Brussels Parliament counts only signatures made on democratie.brussels or on "
            "paper with each signer's name, address and date of birth; voice signatures are "
            "evidence of support, not signatures the Brussels Parliament will count. Only "
            "callers who keyed a Brussels postcode count toward this rule here."
        ),
    ),
    "uk-parliament": Rule(
        key="uk-parliament",
        title=N_("UK Parliament"),
        total=10_000,
        eligibility=N_("British citizens and UK residents"),
        milestones=(
            Milestone(N_("Government response"), 10_000),
            Milestone(N_("Considered for a debate in Parliament"), 100_000),
        ),
        identification_note=N_(
            "The UK Parliament counts only signatures made on petition.parliament.uk and "
            "confirmed by email; voice signatures are evidence of support, not signatures "
            "Parliament will count."
        ),
    ),
    "bundestag": Rule(
        key="bundestag",
        title=N_("German Bundestag"),
        total=30_000,
        eligibility=N_("Anyone"),
        window_days=42,  # six weeks from the campaign's opening
        milestones=(
            Milestone(N_("Quorum for a public hearing by the Petitions Committee"), 30_000),
        ),
        identification_note=N_(
            "The Bundestag counts only co-signatures made by registered users on its e-petition "
            "site; voice signatures are evidence of support, not co-signatures the Bundestag "
            "will count."
        ),
    ),
    "eci": Rule(
        key="eci",
        title=N_("European Citizens' Initiative"),
        total=1_000_000,
        eligibility=N_("EU citizens old enough to vote for the European Parliament (16+ or 18+)"),
        country_minimums=ECI_COUNTRY_MINIMUMS,
        min_countries=7,  # one quarter of the Member States
        milestones=(
            Milestone(N_("Hearing at the European Parliament and a Commission reply"), 1_000_000),
        ),
        identification_note=N_(
            "The European Commission counts only statements of support made in its online "
            "collection system or on its paper forms, with the personal data each Member State "
            "requires, and counts each signer in the Member State of their nationality; voice "
            "signatures are evidence of support, not statements of support the Commission will "
            "count."
        ),
    ),
}


def custom_rule(
    total: int,
    regional_minimums: Mapping[Region, int] | None = None,
    deadline: date | None = None,
    title: str = CUSTOM_TITLE,
) -> Rule:
    """A rule the campaign sets itself: a number, optional regional minimums and deadline.

    A regional minimum of 0 means "no minimum" and is dropped, so a form can send every region.
    Raises InvalidRule if the numbers contradict each other.
    """
    minimums = {region: count for region, count in (regional_minimums or {}).items() if count}
    return Rule(
        key=CUSTOM,
        title=title,
        total=total,
        eligibility=N_("Set by the campaign"),
        regional_minimums=minimums,
        deadline=deadline,
    )


def rule_for(
    key: str,
    custom_total: int | None = None,
    regional_minimums: Mapping[Region, int] | None = None,
    deadline: date | None = None,
    title: str = CUSTOM_TITLE,
) -> Rule:
    """The preset named `key`, or a custom rule when `key` is "custom".

    Raises UnknownRule for any other key, and InvalidRule when custom numbers are missing, are
    given for a preset (a preset's numbers are the parliament's, not the campaign's), or
    contradict each other.
    """
    if key == CUSTOM:
        if custom_total is None:
            raise InvalidRule("a custom rule needs a total")
        return custom_rule(custom_total, regional_minimums, deadline, title)
    if key not in PRESETS:
        raise UnknownRule(f"no threshold rule named {key!r}")
    if custom_total is not None or regional_minimums or deadline is not None:
        raise InvalidRule(f"{key} is a preset: its numbers cannot be changed")
    return PRESETS[key]


@dataclass(frozen=True)
class Tally:
    """What a campaign has counted, as the caller read it at one moment.

    `total` is every counted signature. `by_region` counts them by the region of the keyed
    postcode (signatures without one under Region.UNKNOWN). `by_country` counts them by ISO
    alpha-2 code, for the European Citizens' Initiative. `opened_at` is when the campaign opened,
    which starts a rule's window. `counted_in_window` is how many were counted inside that window;
    None means all of them were.
    """

    total: int
    by_region: Mapping[Region, int] = field(default_factory=dict)
    by_country: Mapping[str, int] = field(default_factory=dict)
    opened_at: datetime | None = None
    counted_in_window: int | None = None


@dataclass(frozen=True)
class RegionProgress:
    """One region's count against its minimum (0 for the unknown bucket, shown for staff)."""

    region: Region
    count: int
    minimum: int
    missing: int
    reached: bool


@dataclass(frozen=True)
class CountryProgress:
    """One Member State's count against its own minimum."""

    country: str
    count: int
    minimum: int
    missing: int
    reached: bool


@dataclass(frozen=True)
class MilestoneProgress:
    """How far the campaign is from one milestone of its rule."""

    label: str
    target: int
    missing: int
    reached: bool


@dataclass(frozen=True)
class Progress:
    """A campaign's progress to its rule, ready for the dashboard and the stats API.

    `total` is every counted signature; `counted` is those that count toward the rule (for a rule
    with a window, those counted inside it). `missing` is the fewest more signatures that could
    meet every number of the rule: with regional minimums it is at least the sum of what each
    region lacks, for the ECI what the closest missing countries lack. `percent` is
    (target - missing) / target, floored to one decimal, so it shows 100.0 only when nothing is
    missing. `reached` needs every number met and the rule not closed: a passed window or
    deadline means not reached, whatever the count.
    """

    key: str
    title: str
    eligibility: str
    identification_note: str | None
    total: int
    counted: int
    target: int
    percent: float
    missing: int
    reached: bool
    regions: tuple[RegionProgress, ...]
    countries: tuple[CountryProgress, ...]
    countries_reached: int
    min_countries: int
    window_days: int | None
    closes_at: datetime | None
    expired: bool
    milestones: tuple[MilestoneProgress, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (the stats API embeds it under "threshold")."""
        return {
            "key": self.key,
            "title": self.title,
            "eligibility": self.eligibility,
            "identification_note": self.identification_note,
            "total": self.total,
            "counted": self.counted,
            "target": self.target,
            "percent": self.percent,
            "missing": self.missing,
            "reached": self.reached,
            "regions": [
                {
                    "region": item.region.value,
                    "count": item.count,
                    "minimum": item.minimum,
                    "missing": item.missing,
                    "reached": item.reached,
                }
                for item in self.regions
            ],
            "countries": [
                {
                    "country": item.country,
                    "count": item.count,
                    "minimum": item.minimum,
                    "missing": item.missing,
                    "reached": item.reached,
                }
                for item in self.countries
            ],
            "countries_reached": self.countries_reached,
            "min_countries": self.min_countries,
            "window_days": self.window_days,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "expired": self.expired,
            "milestones": [
                {
                    "label": item.label,
                    "target": item.target,
                    "missing": item.missing,
                    "reached": item.reached,
                }
                for item in self.milestones
            ],
        }


# The shortest bar that still shows: one signature of 25,000 is 0.004 %, which no one sees.
MIN_VISIBLE_PERCENT = 1.5


def bar_percent(count: int, target: int) -> float:
    """How far to fill a progress bar for `count` of `target`: never empty once there is a
    signature (MIN_VISIBLE_PERCENT at least), never past full. The figures beside the bar say
    the exact share."""
    if count <= 0 or target <= 0:
        return 0.0
    return max(MIN_VISIBLE_PERCENT, min(100.0, 100 * count / target))


def closes_at(rule: Rule, opened_at: datetime | None, now: datetime) -> datetime | None:
    """When signatures stop counting toward `rule`, or None if nothing closes it (yet).

    A window closes `window_days` after `opened_at` (and has not started while the campaign is
    not open). A deadline closes at the end of its day, in the time zone of `now`: pass `now` in
    the campaign's local time for a local deadline.
    """
    ends: list[datetime] = []
    if rule.window_days is not None and opened_at is not None:
        ends.append(opened_at + timedelta(days=rule.window_days))
    if rule.deadline is not None:
        ends.append(datetime.combine(rule.deadline + timedelta(days=1), time(), now.tzinfo))
    return min(ends) if ends else None


def progress(rule: Rule, tally: Tally, now: datetime) -> Progress:
    """Compare `tally` with `rule` at `now`.

    Exact: at a minimum it is reached, one below it is not. `now` and `tally.opened_at` must
    both be naive or both carry a time zone (Python cannot compare them otherwise).
    """
    closing = closes_at(rule, tally.opened_at, now)
    expired = closing is not None and now >= closing
    counted = tally.total
    if rule.window_days is not None and tally.counted_in_window is not None:
        counted = tally.counted_in_window

    regions = _region_progress(rule, tally)
    countries = _country_progress(rule, tally)
    countries_reached = sum(1 for item in countries if item.reached)

    # Signatures still needed besides the total: what each region lacks, and for the ECI what
    # the closest countries below their minimum lack to bring the count up to min_countries.
    regional_missing = sum(item.missing for item in regions)
    lacking = sorted(item.missing for item in countries if not item.reached)
    country_missing = sum(lacking[: max(0, rule.min_countries - countries_reached)])

    def missing_for(target: int) -> int:
        return max(target - counted, regional_missing, country_missing, 0)

    missing = missing_for(rule.total)
    milestones = tuple(
        MilestoneProgress(
            label=milestone.label,
            target=milestone.count,
            missing=missing_for(milestone.count),
            reached=missing_for(milestone.count) == 0 and not expired,
        )
        for milestone in rule.milestones
    )
    return Progress(
        key=rule.key,
        title=rule.title,
        eligibility=rule.eligibility,
        identification_note=rule.identification_note,
        total=tally.total,
        counted=counted,
        target=rule.total,
        # Floored, not rounded: 24,999 of 25,000 must not show as 100.0.
        percent=math.floor(1000 * (rule.total - missing) / rule.total) / 10,
        missing=missing,
        reached=milestones[0].reached,
        regions=regions,
        countries=countries,
        countries_reached=countries_reached,
        min_countries=rule.min_countries,
        window_days=rule.window_days,
        closes_at=closing,
        expired=expired,
        milestones=milestones,
    )


def _region_progress(rule: Rule, tally: Tally) -> tuple[RegionProgress, ...]:
    if not rule.regional_minimums:
        return ()
    # Regions in a fixed order, the unknown bucket last with no minimum: it counts in the total
    # but toward no region, and staff should see how large it is.
    shown = [region for region in Region if region in rule.regional_minimums]
    shown.append(Region.UNKNOWN)
    items = []
    for region in shown:
        count = tally.by_region.get(region, 0)
        minimum = rule.regional_minimums.get(region, 0)
        items.append(
            RegionProgress(
                region=region,
                count=count,
                minimum=minimum,
                missing=max(minimum - count, 0),
                reached=count >= minimum,
            )
        )
    return tuple(items)


def _country_progress(rule: Rule, tally: Tally) -> tuple[CountryProgress, ...]:
    by_country = {code.upper(): count for code, count in tally.by_country.items()}
    items = []
    for country, minimum in sorted(rule.country_minimums.items()):
        count = by_country.get(country, 0)
        items.append(
            CountryProgress(
                country=country,
                count=count,
                minimum=minimum,
                missing=max(minimum - count, 0),
                reached=count >= minimum,
            )
        )
    return tuple(items)
