"""The web pages' language, through Flask-Babel and the project's gettext catalogs.

Each blueprint says which language a request is in (`use_language`): the staff pages take the
switch in the page header (kept in the session), the signed-in user's own language, the
browser's Accept-Language, English; the public page takes `?lang=`, then Accept-Language.
Templates translate literal texts with `_()` / `ngettext()` (Flask-Babel's, which escape the
values and keep Markup ones: a live figure in a span stays a span) and domain texts with
`tr()`; they format numbers with `num()` and stored times with `when()`, in the time zone of
the campaign on the page.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import flask_babel
from babel.units import format_unit
from flask import Flask, g, request
from jinja2 import pass_context
from jinja2.runtime import Context

from ivr.labels import label
from petition.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    LOCALE_DIR,
    Localizer,
    language_or_default,
    time_zone,
)
from petition.i18n import UnknownTimeZone as UnknownTimeZone

__all__ = ["LANGUAGES", "LANGUAGE_NAMES", "gettext", "ngettext", "init_app", "localizer"]


def init_app(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(LOCALE_DIR)
    flask_babel.Babel(app, locale_selector=current_language)
    app.jinja_env.globals.update(
        tr=tr,
        num=num,
        when=when,
        day=day,
        label=label,
        language_names=LANGUAGE_NAMES,
    )


def best_accepted(default: str = "en") -> str:
    return request.accept_languages.best_match(LANGUAGES) or default


def current_language() -> str:
    """The request's language: the one a blueprint chose, else the browser's, else English."""
    chosen = g.get("lang")
    if chosen is None:
        chosen = g.lang = best_accepted()
    return str(chosen)


def use_language(language: str | None) -> str:
    """Make `language` the request's language (from here on, also for texts already asked)."""
    g.lang = language_or_default(language)
    flask_babel.refresh()
    return str(g.lang)


def localizer(zone_name: str | None = None) -> Localizer:
    """Texts, numbers and times in the request's language; times in `zone_name`."""
    try:
        zone = time_zone(zone_name)
    except UnknownTimeZone:
        zone = time_zone(None)
    return Localizer(current_language(), zone)


def gettext(message: str, **values: object) -> str:
    """`message` in the request's language, its %(name)s placeholders filled from `values`."""
    return str(flask_babel.get_translations().gettext(message)) % values


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    """The form of `singular` / `plural` for `n`; %(num)s is `n` as the language writes it."""
    values.setdefault("num", num(n))
    return str(flask_babel.get_translations().ngettext(singular, plural, n)) % values


def tr(message: str) -> str:
    """A domain text (a rule's title, a note) in the request's language; plain text."""
    return str(flask_babel.get_translations().gettext(message))


def num(value: float | None, decimals: int | None = None) -> str:
    """25,000 (en), 25.000 (nl, de), 25 000 (fr); 12.5 for a float; "–" for no value."""
    if value is None:
        return "–"
    if decimals is None and isinstance(value, float):
        decimals = 1  # a share or a rate: one decimal, always
    return localizer().number(value, decimals)


def file_size(n: int) -> str:
    """1,2 MB, 512 ko: a size in bytes as the request's language writes it."""
    unit, value = "digital-byte", float(n)
    for bigger in ("digital-kilobyte", "digital-megabyte", "digital-gigabyte", "digital-terabyte"):
        if value < 1000:
            break
        unit, value = bigger, value / 1000
    return str(format_unit(round(value, 1), unit, length="short", locale=current_language()))


def _page_zone(context: Context) -> str | None:
    campaign: Any = context.get("campaign")
    return getattr(campaign, "time_zone", None)


@pass_context
def when(context: Context, moment: datetime | None, format: str = "short") -> str:  # noqa: A002
    """A stored time as the date and time in the campaign's time zone, as the language writes
    it."""
    if moment is None:
        return "–"
    return localizer(_page_zone(context)).format_datetime(moment, format)


@pass_context
def day(context: Context, value: date | datetime | None, format: str = "medium") -> str:  # noqa: A002
    """A date (or a stored time's local day) as the language writes it."""
    if value is None:
        return "–"
    return localizer(_page_zone(context)).format_date(value, format)
