"""Create a campaign and change its details (admins): what it is, where it answers, which
rule it counts toward, its steps, its dates and who brings it to parliament.

The form is parsed here; petition.line.campaigns checks every field and audits the change. Dates
and times are typed in the campaign's time zone and stored in UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import available_timezones

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers.response import Response

from ivr.i18n import gettext
from ivr.media import campaign_image_version
from ivr.services import services
from ivr.staff.auth import bp, campaign_or_404, requires, user
from petition.counting.thresholds import CUSTOM, PRESETS
from petition.i18n import (
    DEFAULT_TIME_ZONE,
    LANGUAGES,
    N_,
    UnknownTimeZone,
    time_zone,
    to_local,
    to_utc,
)
from petition.line import campaigns
from petition.line.campaigns import CampaignDetails, CampaignInvalid, Problem, rule_has_regions
from petition.reporting.campaign_image import MAX_BYTES as IMAGE_MAX_BYTES

# Preset rules first in the list, the campaign's own number last.
RULES = (*PRESETS, CUSTOM)
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


def _zones() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))


def _local_input(moment: datetime | None, zone_name: str) -> str:
    if moment is None:
        return ""
    try:
        zone = time_zone(zone_name)
    except UnknownTimeZone:
        zone = time_zone(None)
    return to_local(moment, zone).strftime(LOCAL_FORMAT)


class _Form:
    """The submitted form as CampaignDetails, collecting what cannot even be parsed."""

    def __init__(self) -> None:
        self.problems: dict[str, Problem] = {}
        form = request.form
        self.raw = form

        zone_name = form.get("time_zone", "").strip() or DEFAULT_TIME_ZONE
        try:
            zone = time_zone(zone_name)
        except UnknownTimeZone:
            zone = None  # petition.line.campaigns says so; the dates wait for a valid zone
        positions = {lang: self._int(f"order.{lang}", 9) or 9 for lang in LANGUAGES}
        chosen = [lang for lang in LANGUAGES if form.get(f"lang.{lang}") == "1"]
        self.details = CampaignDetails(
            slug=form.get("slug", ""),
            title=form.get("title", ""),
            description=form.get("description", ""),
            numbers=tuple(form.get("numbers", "").replace(",", "\n").splitlines()),
            languages=tuple(sorted(chosen, key=lambda lang: (positions[lang], chosen.index(lang)))),
            rule_key=form.get("rule_key", ""),
            rule_total=self._int("rule_total"),
            rule_deadline=self._date("rule_deadline"),
            ask_postcode=form.get("ask_postcode") == "1",
            ask_declaration=form.get("ask_declaration") == "1",
            ask_consent=form.get("ask_consent") == "1",
            read_back=form.get("read_back") == "1",
            keypad_spelling=form.get("keypad_spelling") == "1",
            helpline=form.get("helpline", ""),
            offer_helpline=form.get("offer_helpline") == "1",
            retention_days=self._int("retention_days") or 0,
            organisation_name=form.get("organisation_name", ""),
            organisation_contact=form.get("organisation_contact", ""),
            time_zone=zone_name,
            opens_at=self._moment("opens_at", zone),
            closes_at=self._moment("closes_at", zone),
        )

    def _int(self, name: str, default: int | None = None) -> int | None:
        text = self.raw.get(name, "").strip().replace(".", "").replace(" ", "")
        if not text:
            return default
        if not text.isdigit():
            self.problems[name] = Problem(N_("Give a whole number."))
            return default
        return int(text)

    def _date(self, name: str) -> date | None:
        text = self.raw.get(name, "").strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.problems[name] = Problem(N_("Not a date."))
            return None

    def _moment(self, name: str, zone: Any) -> datetime | None:
        text = self.raw.get(name, "").strip()
        if not text or zone is None:
            return None
        try:
            return to_utc(datetime.strptime(text, LOCAL_FORMAT), zone)
        except ValueError:
            self.problems[name] = Problem(N_("Not a date and time."))
            return None


def _values(details: CampaignDetails) -> dict[str, Any]:
    """What the form's fields show for `details`."""
    return {
        "slug": details.slug,
        "title": details.title,
        "description": details.description,
        "numbers": "\n".join(details.numbers),
        "languages": list(details.languages),
        "rule_key": details.rule_key,
        "rule_total": details.rule_total or "",
        "rule_deadline": details.rule_deadline.isoformat() if details.rule_deadline else "",
        "ask_postcode": (
            rule_has_regions(details.rule_key)
            if details.ask_postcode is None
            else details.ask_postcode
        ),
        "ask_declaration": details.ask_declaration,
        "ask_consent": details.ask_consent,
        "read_back": details.read_back,
        "keypad_spelling": details.keypad_spelling,
        "helpline": details.helpline,
        "offer_helpline": details.offer_helpline,
        "retention_days": details.retention_days,
        "organisation_name": details.organisation_name,
        "organisation_contact": details.organisation_contact,
        "time_zone": details.time_zone,
        "opens_at": _local_input(details.opens_at, details.time_zone),
        "closes_at": _local_input(details.closes_at, details.time_zone),
    }


def _page(values: dict[str, Any], problems: dict[str, Problem], **context: Any) -> str:
    messages = {name: gettext(p.message, **p.values) for name, p in problems.items()}
    campaign = context.get("campaign")
    if campaign is not None and (version := campaign_image_version(campaign)) is not None:
        context["image_url"] = url_for("public_page.image", slug=campaign.slug, v=version)
    return render_template(
        "staff/campaign_form.html",
        values=values,
        problems=messages,
        rules=[(key, PRESETS.get(key)) for key in RULES],
        call_languages=LANGUAGES,
        zones=_zones(),
        image_max_mb=IMAGE_MAX_BYTES // (1024 * 1024),
        **context,
    )


@bp.route("/campaigns/new", methods=["GET", "POST"])
@requires("admin")
def new_campaign() -> Any:
    if request.method == "GET":
        details = CampaignDetails(
            slug="",
            title="",
            numbers=(),
            retention_days=services().settings.retention_days,
        )
        return _page(_values(details), {})
    form = _Form()
    try:
        if form.problems:
            raise CampaignInvalid(form.problems)
        with services().db.session() as s:
            created = campaigns.create(s, form.details, actor=user().email)
            slug, answering = created.slug, campaigns.takes_calls(created)
    except CampaignInvalid as exc:
        return _page(_values(form.details), {**exc.problems, **form.problems}), 400
    if answering:
        flash(gettext("Campaign created. Its line is open."), "success")
    else:
        flash(gettext("Campaign created. Its line opens at the date and time you set."), "success")
    return redirect(url_for("staff.overview", slug=slug))


@bp.route("/c/<slug>/details", methods=["GET", "POST"])
@requires("admin")
def campaign_details(slug: str) -> Any:
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        if request.method == "GET":
            return _page(_values(CampaignDetails.of(campaign)), {}, campaign=campaign)
        form = _Form()
        try:
            if form.problems:
                raise CampaignInvalid(form.problems)
            changed = campaigns.update(s, campaign, form.details, actor=user().email)
        except CampaignInvalid as exc:
            s.rollback()
            problems = {**exc.problems, **form.problems}
            return _page(_values(form.details), problems, campaign=campaign), 400
        slug = campaign.slug
    if changed:
        flash(gettext("Campaign details saved."), "success")
    else:
        flash(gettext("Nothing was changed."), "info")
    return _back_to(slug)


def _back_to(slug: str) -> Response:
    return redirect(url_for("staff.campaign_details", slug=slug))
