"""The product's languages: gettext catalogs, numbers and dates per locale, local times.

Pure domain: no web imports. Texts are English in the code (the msgids) and translated in the
gettext catalogs under petition/locale/<lang>/LC_MESSAGES/messages.po, which the staff pages
(through Flask-Babel) and the export read alike. `N_()` marks a text for the catalogs where it
is defined; whoever shows it translates it with a `Localizer` (or Flask-Babel's gettext).

Times are stored as naive UTC (see models.py); a `Localizer` shows them in a campaign's time
zone with zoneinfo, and Babel formats numbers and dates the way each language writes them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, dates
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LANGUAGES = ("nl", "fr", "de", "en")
# Each language's name in that language, for language switches.
LANGUAGE_NAMES = {"nl": "Nederlands", "fr": "Français", "de": "Deutsch", "en": "English"}
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"
DEFAULT_TIME_ZONE = "Europe/Brussels"
# The formats each language is written in: English as in Britain (day before month, 24 h).
_FORMAT_LOCALES = {"nl": "nl", "fr": "fr", "de": "de", "en": "en_GB"}


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for "mark, translate later")
    """Mark `message` for the catalogs; it is translated where it is shown."""
    return message


def NP_(context: str, message: str) -> tuple[str, str]:  # noqa: N802 (as N_)
    """Mark `message` for the catalogs with a `context` that tells two same words apart."""
    return context, message


def language_or_default(language: str | None, default: str = "en") -> str:
    """`language` as one of LANGUAGES ("nl-BE" gives "nl"), else `default`."""
    code = (language or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else default


@functools.cache
def translations(language: str) -> NullTranslations:
    """The catalog of `language` (English, the source language, needs none)."""
    code = language_or_default(language)
    if code == "en":
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [code], DOMAIN)


class UnknownTimeZone(ValueError):
    """Not an IANA time zone name (such as Europe/Brussels)."""


def time_zone(name: str | None) -> ZoneInfo:
    """The IANA zone `name`; UnknownTimeZone when there is none of that name."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimeZone(name) from exc


def to_local(moment: datetime, zone: ZoneInfo) -> datetime:
    """A stored (naive UTC) time as the wall-clock time in `zone`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)


def to_utc(wall_clock: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in `zone` (as a person types it) as a stored, naive UTC time."""
    if wall_clock.tzinfo is None:
        wall_clock = wall_clock.replace(tzinfo=zone)
    return wall_clock.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Localizer:
    """Texts, numbers, dates and times for one language and one time zone.

    `gettext` and `ngettext` translate and then fill %(name)s placeholders from `values`
    (always, so a literal % is written %% in every message).
    """

    language: str = "en"
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIME_ZONE))

    def __post_init__(self) -> None:
        object.__setattr__(self, "language", language_or_default(self.language))

    @property
    def locale(self) -> Locale:
        return Locale.parse(_FORMAT_LOCALES[self.language])

    @property
    def translations(self) -> NullTranslations:
        return translations(self.language)

    def gettext(self, message: str, **values: object) -> str:
        return self.translations.gettext(message) % values

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        values.setdefault("num", self.number(n))
        return self.translations.ngettext(singular, plural, n) % values

    def number(self, value: float, decimals: int | None = None) -> str:
        """25.000 (nl), 25 000 (fr), 25.000 (de), 25,000 (en); `decimals` fixes the digits."""
        if decimals is None:
            return format_decimal(value, locale=self.locale)
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def local(self, moment: datetime) -> datetime:
        return to_local(moment, self.zone)

    def format_date(self, value: date | datetime, format: str = "long") -> str:  # noqa: A002
        """A date as written in the language; a stored time is first taken to the local day."""
        if isinstance(value, datetime):
            value = self.local(value).date()
        return dates.format_date(value, format=format, locale=self.locale)

    def format_datetime(self, moment: datetime, format: str = "short") -> str:  # noqa: A002
        """A stored (naive UTC) time as the local date and time."""
        return dates.format_datetime(self.local(moment), format=format, locale=self.locale)

    def format_time(self, moment: datetime, format: str = "short") -> str:  # noqa: A002
        return dates.format_time(self.local(moment), format=format, locale=self.locale)

    def zone_name(self, moment: datetime) -> str:
        """The zone's abbreviation at that moment (CET, CEST), or its name."""
        return self.local(moment).tzname() or self.zone.key
