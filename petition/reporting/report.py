"""The petition as a PDF for parliament: a cover, a chart of signatures per day, the list.

Pure domain plus fpdf2: no web or queue imports. Same data in, same bytes out: the creation date
comes from the data and fpdf2 derives the document ID from the content, so two exports of one
petition are byte-identical. No phone numbers appear anywhere (the rows come from
`counted_rows`, which has none).

Every text is English in the code and translated through the catalogs (petition/i18n.py); the
PDF speaks the language it is asked for, with that language's numbers and dates, and times in
the campaign's time zone. Who exported it and on which day are inputs like the data: the same
inputs give the same bytes.

The list is drawn with fpdf2's low-level `text()` and `rect()`, not `cell()` or `table()`: for
100,000 signatures `cell()` is about ten times slower. Rows are streamed from the database;
fpdf2 itself keeps the pages in memory until it writes the file (a few tens of MB at 100,000).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
import sqlalchemy.orm as so
from fpdf import FPDF
from fpdf.fonts import TTFFont

from petition.counting.regions import Region, region_label
from petition.counting.tally import campaign_rule, counted_tally
from petition.counting.thresholds import CUSTOM, Progress, progress
from petition.counting.timeline import hour_bucket, local_days
from petition.errors import PetitionError
from petition.i18n import N_, Localizer, time_zone
from petition.integrity import guards
from petition.models import Campaign, NameStatus, Signature, SignatureState, utcnow
from petition.names import sampling
from petition.reporting.export import Edition, ExportRow, counted_rows, local_signed_at

# Debian's fonts-dejavu-core: a Unicode TTF, so "Łukasz" and "Müller-Lüdenscheidt" render.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {
    ("Sans", ""): "DejaVuSans.ttf",
    ("Sans", "B"): "DejaVuSans-Bold.ttf",
    ("Mono", ""): "DejaVuSansMono.ttf",
}

ProgressCallback = Callable[[int, int], None]  # (rows written, rows in all)

# A4 portrait, in millimetres.
PAGE_W, PAGE_H = 210.0, 297.0
MARGIN = 15.0
WIDTH = PAGE_W - 2 * MARGIN
ROW_H = 4.9
ROWS_PER_PAGE = 50
LIST_TOP = 33.0  # first row's top edge, under the page title and the column headings
PAD = 1.4  # space between a column's edge and its text

INK = (30, 30, 30)
MUTED = (105, 105, 105)
RULE_GREY = (190, 190, 190)
STRIPE = (242, 244, 247)
HEADING_FILL = (226, 231, 238)
ACCENT = (40, 90, 150)
NOTE_FILL = (255, 246, 214)
NOTE_EDGE = (214, 170, 40)


@dataclass(frozen=True)
class _Column:
    title: str
    width: float
    right: bool = False


COLUMNS = (
    _Column(N_("No."), 13, right=True),
    _Column(N_("Name"), 58),
    _Column(N_("Postcode"), 17),
    _Column(N_("Region"), 27),
    _Column(N_("Date and time"), 35),
    _Column(N_("Signature id"), 30),
)

# How the list marks a name no person confirmed; the list's headline explains the marks.
NAME_MARKS = {NameStatus.MACHINE.value: " °", NameStatus.TO_CHECK.value: " *"}
NO_NAME = N_("(no name given)")

SHORT_REGION = {
    Region.FLANDERS.value: N_("Flemish Region"),
    Region.WALLONIA.value: N_("Walloon Region"),
    Region.BRUSSELS.value: N_("Brussels-Capital"),
    Region.UNKNOWN.value: N_("unknown"),
}

# Said whatever the rule: a custom rule carries no note of its own.
GENERAL_NOTE = N_(
    "These are voice signatures: people who called the campaign's number and said their name. "
    "They are evidence of support that the campaign brings to parliament, not signatures made "
    "on a parliament's own platform, and they are not identified with an identity card."
)


class ReportError(PetitionError):
    """The PDF cannot be made (e.g. its font is not installed)."""


class ExportChanged(PetitionError):
    """Signatures were counted or withdrawn while the export was being written; run it again."""


@dataclass(frozen=True)
class ReportFacts:
    """What the cover and the chart say, read from the database in a few aggregate queries."""

    progress: Progress
    by_region: dict[Region, int]
    first: datetime | None
    last: datetime | None
    # Every day from first to last, zeros included: days in the campaign's time zone.
    per_day: tuple[tuple[date, int], ...]
    names: dict[str, int]  # counted signatures by name status
    estimate: sampling.Estimate | None  # the latest sample audit of machine readings
    with_postcode: int
    awaiting_review: int
    pending: int
    rejected: int
    # Held for a person and taken out, by reason: same_audio, burst, attestation_failed.
    guarded: dict[str, dict[str, int]]


def gather_facts(
    session: so.Session, campaign: Campaign, now: datetime | None = None
) -> ReportFacts:
    """Totals, period, per-day counts and review figures of `campaign` for the cover."""
    now = now or utcnow()
    zone = time_zone(campaign.time_zone)
    counted = sa.and_(
        Signature.campaign_id == campaign.id, Signature.state == SignatureState.COUNTED
    )
    tally = counted_tally(session, campaign, now)
    first, last, with_postcode = session.execute(
        sa.select(
            sa.func.min(Signature.signed_at),
            sa.func.max(Signature.signed_at),
            sa.func.count(Signature.postcode),
        ).where(counted)
    ).one()
    names = {status.value: 0 for status in NameStatus}
    names.update(
        session.execute(
            sa.select(Signature.name_status, sa.func.count())
            .where(counted)
            .group_by(Signature.name_status)
        ).all()
    )
    hour = hour_bucket(session, Signature.signed_at)
    found = local_days(
        session.execute(sa.select(hour, sa.func.count()).where(counted).group_by(hour)).all(),
        zone,
    )
    per_day: list[tuple[date, int]] = []
    if first is not None and last is not None:
        current = first.replace(tzinfo=UTC).astimezone(zone).date()
        end = last.replace(tzinfo=UTC).astimezone(zone).date()
        while current <= end:
            per_day.append((current, found.get(current, 0)))
            current += timedelta(days=1)
    if sum(n for _, n in per_day) != tally.total:
        raise ExportChanged("signatures changed while the export was being read")
    by_state = dict(
        session.execute(
            sa.select(Signature.state, sa.func.count())
            .where(Signature.campaign_id == campaign.id)
            .group_by(Signature.state)
        ).all()
    )
    return ReportFacts(
        progress=progress(campaign_rule(campaign), tally, now),
        by_region=dict(tally.by_region),
        first=first,
        last=last,
        per_day=tuple(per_day),
        names=names,
        estimate=sampling.latest_estimate(session, campaign.id),
        with_postcode=with_postcode or 0,
        awaiting_review=by_state.get(SignatureState.NEEDS_REVIEW, 0),
        pending=by_state.get(SignatureState.RECEIVED, 0)
        + by_state.get(SignatureState.TRANSCRIBED, 0),
        rejected=by_state.get(SignatureState.REJECTED, 0),
        guarded=guards.guard_counts(session, campaign.id),
    )


def write_pdf(
    session: so.Session,
    campaign: Campaign,
    out: BinaryIO,
    now: datetime | None = None,
    progress_cb: ProgressCallback | None = None,
    edition: Edition | None = None,
) -> int:
    """Write the petition PDF of `campaign` to `out`; return the number of signatures listed.

    `edition` gives the PDF's language ("nl", "fr", "de", "en"; English by default), and who
    exported it on which day; its times are in the campaign's time zone, and the cover says
    which organisation made it (the campaign's). `now` (naive UTC) only decides
    whether a rule's window or deadline has passed; nothing in the file depends on the clock
    otherwise. `progress_cb(done, total)` is called as rows are laid out. Raises ExportChanged
    if the count moved while the file was being made.
    """
    edition = edition or Edition()
    loc = edition.localizer(campaign)
    facts = gather_facts(session, campaign, now)
    total = facts.progress.total
    pdf = _new_document(campaign, facts, loc)
    _cover(pdf, campaign, facts, loc, edition)
    _chart_page(pdf, facts, loc)
    written = _list_pages(pdf, campaign, counted_rows(session, campaign), total, progress_cb, loc)
    if written != total:
        raise ExportChanged(f"{written} rows listed but {total} counted: the data changed")
    _footers(pdf, campaign, loc)
    out.write(pdf.output())
    return written


# The document


def _new_document(campaign: Campaign, facts: ReportFacts, loc: Localizer) -> FPDF:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    for (family, style), filename in FONTS.items():
        path = FONT_DIR / filename
        if not path.exists():
            raise ReportError(f"font {path} is missing: install Debian's fonts-dejavu-core")
        pdf.add_font(family, style, str(path))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=17)  # just above the footer rule
    stamp = facts.last or campaign.opened_at or datetime(2000, 1, 1)
    pdf.set_creation_date(stamp.replace(tzinfo=UTC))
    pdf.set_title(loc.gettext("Petition: %(title)s", title=campaign.title))
    pdf.set_subject(loc.gettext("Voice signatures brought to parliament"))
    pdf.set_creator("voice-petition")
    pdf.set_lang(loc.language)
    pdf.set_text_color(*INK)
    return pdf


def _cover(
    pdf: FPDF,
    campaign: Campaign,
    facts: ReportFacts,
    loc: Localizer,
    edition: Edition,
) -> None:
    p = facts.progress
    num = loc.number
    pdf.add_page()
    pdf.set_font("Sans", "", 9)
    pdf.set_text_color(*MUTED)
    pdf.cell(
        0,
        5,
        loc.gettext("Petition by telephone · export for parliament"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(1)
    pdf.set_text_color(*INK)
    pdf.set_font("Sans", "B", 20)
    pdf.multi_cell(0, 9, campaign.title, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Sans", "", 10)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(
        0,
        5,
        loc.gettext(
            "Campaign “%(slug)s”, toward %(rule)s", slug=campaign.slug, rule=_rule_name(p, loc)
        ),
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    made_by = _made_by(campaign, loc, edition)
    if made_by:
        pdf.multi_cell(0, 5, made_by, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.ln(3)

    if facts.first and facts.last:
        period = loc.gettext(
            "%(first)s to\n%(last)s",
            first=loc.format_date(facts.first),
            last=loc.format_date(facts.last),
        )
    else:
        period = loc.gettext("no counted\nsignatures yet")
    percent = num(p.percent, 1)
    if p.reached:
        standing = loc.gettext("reached")
        standing_note = loc.gettext(
            "%(target)s needed, %(percent)s %%", target=num(p.target), percent=percent
        )
    else:
        standing = loc.gettext("%(n)s missing", n=num(p.missing))
        standing_note = loc.gettext(
            "%(percent)s %% of the %(target)s needed", percent=percent, target=num(p.target)
        )
    _figures(
        pdf,
        [
            (
                loc.gettext("Voice signatures counted"),
                num(p.total),
                loc.gettext("one per caller number"),
            ),
            (loc.gettext("Period (%(zone)s)", zone=campaign.time_zone), period, ""),
            (loc.gettext("Toward the rule"), standing, standing_note),
        ],
    )
    pdf.ln(2)
    _paragraph(pdf, _names_line(facts, loc), size=9.5, markdown=True)
    pdf.ln(2)
    _note_box(pdf, p.identification_note, loc)
    pdf.ln(3)

    _heading(pdf, loc.gettext("Totals by region against %(rule)s", rule=_rule_name(p, loc)))
    _region_table(pdf, facts, loc)
    pdf.ln(2)
    _rule_lines(pdf, facts, loc)
    pdf.ln(2)

    _heading(pdf, loc.gettext("How the signatures were collected and checked"))
    _bullets(pdf, _method(campaign, facts, loc))
    pdf.ln(1)
    pages = max(1, math.ceil(p.total / ROWS_PER_PAGE))
    _paragraph(
        pdf,
        loc.ngettext(
            "Next: a chart of signatures per day, then the numbered list of all %(total)s "
            "counted signatures (%(num)s page).",
            "Next: a chart of signatures per day, then the numbered list of all %(total)s "
            "counted signatures (%(num)s pages).",
            pages,
            total=num(p.total),
        )
        + " "
        + loc.gettext(
            "When this document comes in an export folder, its manifest.json gives the SHA-256 "
            "of every file and of each recording, so a receiver can check that nothing was "
            "altered."
        ),
        size=8.5,
        colour=MUTED,
    )


def _made_by(campaign: Campaign, loc: Localizer, edition: Edition) -> str:
    """Which organisation made the export, who exported it, and on which day."""
    parts = []
    organisation, contact = (
        campaign.organisation_name.strip(),
        campaign.organisation_contact.strip(),
    )
    if organisation and contact:
        parts.append(
            loc.gettext(
                "Made by %(organisation)s (%(contact)s).",
                organisation=organisation,
                contact=contact,
            )
        )
    elif organisation:
        parts.append(loc.gettext("Made by %(organisation)s.", organisation=organisation))
    exported_by, exported_on = edition.exported_by, edition.exported_on
    if exported_by and exported_on:
        parts.append(
            loc.gettext(
                "Exported by %(person)s on %(date)s.",
                person=exported_by,
                date=loc.format_date(exported_on),
            )
        )
    elif exported_on:
        parts.append(loc.gettext("Exported on %(date)s.", date=loc.format_date(exported_on)))
    return " ".join(parts)


def _figures(pdf: FPDF, items: list[tuple[str, str, str]]) -> None:
    gap = 4.0
    width = (WIDTH - gap * (len(items) - 1)) / len(items)
    top = pdf.get_y()
    height = 25.0
    for i, (label, value, note) in enumerate(items):
        x = MARGIN + i * (width + gap)
        pdf.set_fill_color(*STRIPE)
        pdf.set_draw_color(*RULE_GREY)
        pdf.rect(x, top, width, height, style="DF")
        pdf.set_fill_color(*ACCENT)
        pdf.rect(x, top, 1.2, height, style="F")
        pdf.set_xy(x + 3.5, top + 2.5)
        pdf.set_text_color(*MUTED)
        _fitting_font(pdf, label, width - 5, 8, "")
        pdf.cell(width - 5, 4, label)
        pdf.set_text_color(*INK)
        lines = value.split("\n")
        if len(lines) == 1:
            # One figure: large, smaller when a language needs more words for it.
            size = _fitting_font(pdf, value, width - 5, 15, "B", smallest=10)
            pdf.set_xy(x + 3.5, top + 8)
            pdf.cell(width - 5, 7 * size / 15, value)
        else:
            pdf.set_font("Sans", "B", min(_fitting_font(pdf, t, width - 5, 10, "B") for t in lines))
            pdf.set_xy(x + 3.5, top + 8)
            pdf.multi_cell(width - 5, 5, value, align="L")
        if note:
            pdf.set_text_color(*MUTED)
            _fitting_font(pdf, note, width - 5, 8, "")
            pdf.set_xy(x + 3.5, top + height - 6.5)
            pdf.cell(width - 5, 4, note)
            pdf.set_text_color(*INK)
    pdf.set_xy(MARGIN, top + height)


def _fitting_font(
    pdf: FPDF, text: str, room: float, size: float, style: str, smallest: float = 6.5
) -> float:
    """Set the Sans font at `size`, or smaller (down to `smallest`) until `text` fits `room`."""
    pdf.set_font("Sans", style, size)
    while size > smallest and pdf.get_string_width(text) > room:
        size -= 0.5
        pdf.set_font("Sans", style, size)
    return size


def _note_box(pdf: FPDF, rule_note: str | None, loc: Localizer) -> None:
    text = "**" + loc.gettext("Please note.") + "** " + loc.gettext(GENERAL_NOTE)
    if rule_note:
        text += " " + loc.gettext(rule_note)
    top = pdf.get_y()
    pdf.set_font("Sans", "", 9)
    inner = WIDTH - 8
    lines = pdf.multi_cell(inner, 4.4, text, markdown=True, align="L", dry_run=True, output="LINES")
    assert isinstance(lines, list)
    height = len(lines) * 4.4 + 6
    pdf.set_fill_color(*NOTE_FILL)
    pdf.set_draw_color(*NOTE_EDGE)
    pdf.rect(MARGIN, top, WIDTH, height, style="DF")
    pdf.set_xy(MARGIN + 4, top + 3)
    pdf.multi_cell(inner, 4.4, text, markdown=True, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(MARGIN, top + height)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.set_font("Sans", "B", 11.5)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, 6, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.ln(1)


def _paragraph(
    pdf: FPDF,
    text: str,
    size: float = 10,
    colour: tuple[int, int, int] = INK,
    markdown: bool = False,
) -> None:
    pdf.set_font("Sans", "", size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT", markdown=markdown)
    pdf.set_text_color(*INK)


def _bullets(pdf: FPDF, items: list[str]) -> None:
    pdf.set_font("Sans", "", 9)
    for item in items:
        pdf.set_x(MARGIN + 1)
        pdf.cell(4, 4.2, "•")
        pdf.multi_cell(
            WIDTH - 5, 4.2, item, markdown=True, align="L", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.ln(0.5)


def _region_table(pdf: FPDF, facts: ReportFacts, loc: Localizer) -> None:
    p = facts.progress
    num = loc.number
    reached, no_minimum = loc.gettext("reached"), loc.gettext("no minimum")
    rows: list[tuple[str, ...]] = []
    if p.regions:
        for item in p.regions:
            if item.minimum:
                minimum = num(item.minimum)
                missing = reached if item.reached else num(item.missing)
            else:
                minimum, missing = no_minimum, "–"
            rows.append(
                (region_label(item.region, loc.language), num(item.count), minimum, missing)
            )
    else:
        # A rule without regional minimums: the split is still worth showing.
        for region in Region:
            count = facts.by_region.get(region, 0)
            rows.append((region_label(region, loc.language), num(count), no_minimum, "–"))
    if p.window_days:
        total = loc.ngettext("Total within %(num)s day", "Total within %(num)s days", p.window_days)
    else:
        total = loc.gettext("Total")
    total_missing = reached if p.missing == 0 else num(p.missing)
    widths = (52.0, 50.0, 44.0, 34.0)
    pdf.set_draw_color(*RULE_GREY)
    headings = (
        loc.gettext("Region"),
        loc.gettext("Voice signatures"),
        loc.gettext("Minimum of the rule"),
        loc.gettext("Still missing"),
    )
    _table_row(pdf, headings, widths, bold=True, fill=HEADING_FILL)
    for i, row in enumerate(rows):
        _table_row(pdf, row, widths, fill=STRIPE if i % 2 else None)
    total_row = (total, num(p.counted), num(p.target), total_missing)
    _table_row(pdf, total_row, widths, bold=True, fill=HEADING_FILL)


def _table_row(
    pdf: FPDF,
    values: tuple[str, ...],
    widths: tuple[float, ...],
    bold: bool = False,
    fill: tuple[int, int, int] | None = None,
) -> None:
    height = 6.0
    y = pdf.get_y()
    if fill:
        pdf.set_fill_color(*fill)
        pdf.rect(MARGIN, y, sum(widths), height, style="F")
    x = MARGIN
    for i, (value, width) in enumerate(zip(values, widths, strict=True)):
        _fitting_font(pdf, value, width - 2, 9, "B" if bold else "")
        pdf.set_xy(x, y)
        pdf.cell(width, height, value, align="L" if i == 0 else "R")
        x += width
    pdf.line(MARGIN, y + height, MARGIN + sum(widths), y + height)
    pdf.set_xy(MARGIN, y + height)


def _rule_lines(pdf: FPDF, facts: ReportFacts, loc: Localizer) -> None:
    p = facts.progress
    num = loc.number
    lines = []
    if p.eligibility:
        lines.append(
            loc.gettext("Who may sign under this rule: %(who)s.", who=loc.gettext(p.eligibility))
        )
    if len(p.milestones) > 1:
        for milestone in p.milestones:
            values = {"label": loc.gettext(milestone.label), "target": num(milestone.target)}
            if milestone.reached:
                lines.append(loc.gettext("%(label)s: %(target)s signatures, reached.", **values))
            else:
                lines.append(
                    loc.gettext(
                        "%(label)s: %(target)s signatures, %(missing)s missing.",
                        missing=num(milestone.missing),
                        **values,
                    )
                )
    else:
        lines.append(
            loc.gettext("What the rule earns: %(label)s.", label=loc.gettext(p.milestones[0].label))
        )
    if p.regions:
        lines.append(
            loc.gettext(
                "“Still missing” in the total is the fewest further signatures that would meet "
                "every number of the rule, the regional minimums included."
            )
        )
    if p.countries:
        shown = [c for c in p.countries if c.count]
        shown.sort(key=lambda c: (-c.count, c.country))
        listed = ", ".join(
            loc.gettext(
                "%(country)s %(count)s of %(minimum)s",
                country=c.country,
                count=num(c.count),
                minimum=num(c.minimum),
            )
            for c in shown[:12]
        )
        line = loc.gettext(
            "Member States above their minimum: %(reached)s of the %(needed)s needed.",
            reached=num(p.countries_reached),
            needed=num(p.min_countries),
        )
        if not listed:
            line += " " + loc.gettext("By caller number: none yet.")
        elif len(shown) > 12:
            line += " " + loc.gettext(
                "By caller number: %(listed)s and %(more)s more.",
                listed=listed,
                more=num(len(shown) - 12),
            )
        else:
            line += " " + loc.gettext("By caller number: %(listed)s.", listed=listed)
        lines.append(line)
    if p.window_days and p.closes_at:
        values = {
            "days": num(p.window_days),
            "date": loc.format_date(p.closes_at),
            "time": loc.format_time(p.closes_at),
            "zone": loc.zone_name(p.closes_at),
        }
        if p.expired:
            lines.append(
                loc.gettext(
                    "Signatures count toward this rule for %(days)s days from the opening; the "
                    "window closed on %(date)s at %(time)s (%(zone)s).",
                    **values,
                )
            )
        else:
            lines.append(
                loc.gettext(
                    "Signatures count toward this rule for %(days)s days from the opening; the "
                    "window closes on %(date)s at %(time)s (%(zone)s).",
                    **values,
                )
            )
    elif p.closes_at:
        last_day = loc.format_date((p.closes_at - timedelta(days=1)).date())
        if p.expired:
            lines.append(loc.gettext("The rule's deadline has passed: %(date)s.", date=last_day))
        else:
            lines.append(loc.gettext("The rule's deadline is %(date)s.", date=last_day))
    for line in lines:
        _paragraph(pdf, line, size=9)


def _method(campaign: Campaign, facts: ReportFacts, loc: Localizer) -> list[str]:
    p = facts.progress
    num = loc.number

    def item(title: str, text: str) -> str:
        return f"**{title}** {text}"

    items = [
        item(
            loc.gettext("By telephone."),
            loc.gettext(
                "Callers dialled the campaign's number, heard its message with a short privacy "
                "notice and said their name after a beep. Each recording is kept, so every "
                "signature can be listened to."
            ),
        ),
        item(
            loc.gettext("One signature per caller number."),
            loc.gettext(
                "Numbers are stored only as a keyed hash (HMAC-SHA-256) and appear nowhere in "
                "this export; a second call from the same number did not count again."
            ),
        ),
        item(
            loc.gettext("Reviewed by a person."),
            loc.gettext(
                "Withheld numbers, the same name or near-identical audio from another number, "
                "bursts from one number range and failed caller-ID checks count only once a "
                "person has listened and decided."
            ),
        ),
        item(
            loc.gettext("Names written by machine, checked by people."),
            loc.gettext(
                "A name heard on a telephone line can be misspelt (Maes and Maas sound the "
                "same). Staff listened and confirmed or corrected names; in the list ° marks a "
                "machine reading its name check found clear (%(machine)s), * one still waiting "
                "for a person (%(to_check)s).",
                machine=num(facts.names["machine"]),
                to_check=num(facts.names["to_check"]),
            ),
        ),
    ]
    unknown = p.total - facts.with_postcode
    if campaign.ask_postcode:
        postcode = loc.ngettext(
            "Callers keyed their Belgian postcode on the phone's keypad; the region follows "
            "from it. Without a postcode the region is unknown (%(num)s signature).",
            "Callers keyed their Belgian postcode on the phone's keypad; the region follows "
            "from it. Without a postcode the region is unknown (%(num)s signatures).",
            unknown,
        )
    else:
        postcode = loc.gettext(
            "Callers were not asked for their postcode, so the region of the signatures is unknown."
        )
    items.append(item(loc.gettext("Region from the postcode."), postcode))
    if campaign.ask_declaration or campaign.ask_consent:
        items.append(
            item(
                loc.gettext("Declarations."),
                loc.gettext(
                    "Callers confirmed on the keypad that they meet the conditions or consent; "
                    "this is their own declaration, not a check of identity or age."
                ),
            )
        )
    outside = facts.awaiting_review + facts.pending
    if outside or facts.rejected:
        text = loc.ngettext(
            "%(num)s call awaiting a person's decision, %(pending)s still being processed and "
            "%(rejected)s rejected (silent, repeated, blocked or withdrawn).",
            "%(num)s calls awaiting a person's decision, %(pending)s still being processed and "
            "%(rejected)s rejected (silent, repeated, blocked or withdrawn).",
            facts.awaiting_review,
            pending=num(facts.pending),
            rejected=num(facts.rejected),
        )
    else:
        text = loc.gettext("no calls were awaiting review or rejected.")
    held, out = facts.guarded["held"], facts.guarded["invalidated"]
    text += " " + loc.gettext(
        "Held / invalidated: replays %(replays_held)s / %(replays_out)s, bursts %(bursts_held)s "
        "/ %(bursts_out)s, failed caller-ID checks %(checks_held)s / %(checks_out)s.",
        replays_held=num(held["same_audio"]),
        replays_out=num(out["same_audio"]),
        bursts_held=num(held["burst"]),
        bursts_out=num(out["burst"]),
        checks_held=num(held["attestation_failed"]),
        checks_out=num(out["attestation_failed"]),
    )
    items.append(item(loc.gettext("Not in this count:"), text))
    return items


# The chart


def _chart_page(pdf: FPDF, facts: ReportFacts, loc: Localizer) -> None:
    pdf.add_page()
    _heading(pdf, loc.gettext("Signatures per day"))
    _paragraph(
        pdf,
        loc.gettext(
            "Counted voice signatures by the day they were made (%(zone)s).", zone=loc.zone.key
        ),
        size=9,
        colour=MUTED,
    )
    days = facts.per_day
    top = pdf.get_y() + 4
    if not days:
        _paragraph(pdf, loc.gettext("No counted signatures yet."))
        return
    _bar_chart(pdf, days, top, 95, loc)
    pdf.set_y(top + 95 + 16)
    busiest_day, busiest = max(days, key=lambda item: (item[1], -item[0].toordinal()))
    active = sum(1 for _, n in days if n)
    _paragraph(
        pdf,
        loc.ngettext(
            "%(num)s day from the first to the last signature; signatures on %(active)s of them.",
            "%(num)s days from the first to the last signature; signatures on %(active)s of them.",
            len(days),
            active=loc.number(active),
        )
        + " "
        + loc.ngettext(
            "Busiest day: %(date)s, %(num)s signature.",
            "Busiest day: %(date)s, %(num)s signatures.",
            busiest,
            date=loc.format_date(busiest_day),
        ),
        size=9,
    )
    pdf.ln(8)
    _heading(pdf, loc.gettext("Signatures over time, against the rule's total"))
    _cumulative_chart(pdf, days, facts.progress.target, pdf.get_y() + 4, 80, loc)


def _nice_step(maximum: float, ticks: int = 5) -> float:
    """A 1-2-5 step so that about `ticks` gridlines cover `maximum`."""
    raw = max(maximum, 1) / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return max(1, factor * power)
    return 10 * power


def _axes(
    pdf: FPDF, left: float, top: float, width: float, height: float, ymax: float, loc: Localizer
) -> float:
    """Draw gridlines and y labels; return the scale's top value."""
    step = _nice_step(ymax)
    scale_top = step * max(1, math.ceil(ymax / step))
    pdf.set_font("Sans", "", 7)
    pdf.set_line_width(0.15)
    value = 0.0
    while value <= scale_top + 1e-9:
        y = top + height - height * value / scale_top
        pdf.set_draw_color(*(RULE_GREY if value else MUTED))
        pdf.line(left, y, left + width, y)
        label = loc.number(int(value))
        pdf.set_text_color(*MUTED)
        pdf.text(left - 1.5 - pdf.get_string_width(label), y + 1.2, label)
        value += step
    pdf.set_text_color(*INK)
    return scale_top


def _date_labels(
    pdf: FPDF,
    days: tuple[tuple[date, int], ...],
    left: float,
    slot: float,
    y: float,
    loc: Localizer,
) -> None:
    every = next((k for k in (1, 2, 3, 7, 14, 28, 56, 91, 182, 364) if len(days) / k <= 12), 728)
    pdf.set_font("Sans", "", 7)
    pdf.set_text_color(*MUTED)
    pdf.set_draw_color(*MUTED)
    for i in range(0, len(days), every):
        day = days[i][0]
        x = left + slot * (i + 0.5)
        pdf.line(x, y, x, y + 1.2)
        label = loc.format_date(day, "d MMM")
        pdf.text(x - pdf.get_string_width(label) / 2, y + 4.5, label)
    first, last = days[0][0], days[-1][0]
    span = str(first.year) if first.year == last.year else f"{first.year}–{last.year}"
    pdf.text(left, y + 9, span)
    pdf.set_text_color(*INK)


def _bar_chart(
    pdf: FPDF, days: tuple[tuple[date, int], ...], top: float, height: float, loc: Localizer
) -> None:
    left = MARGIN + 14
    width = WIDTH - 16
    scale_top = _axes(pdf, left, top, width, height, max(n for _, n in days), loc)
    slot = width / len(days)
    bar = slot * (0.7 if slot > 1.5 else 1.0)
    pdf.set_fill_color(*ACCENT)
    base = top + height
    for i, (_, n) in enumerate(days):
        if n:
            h = height * n / scale_top
            pdf.rect(left + slot * i + (slot - bar) / 2, base - h, bar, h, style="F")
    # Counts above the bars, all or none: only when the widest fits without touching the next.
    pdf.set_font("Sans", "", 6 if slot < 7 else 7)
    widest = max(pdf.get_string_width(loc.number(n)) for _, n in days)
    if widest <= slot - 0.8:
        for i, (_, n) in enumerate(days):
            if n:
                label = loc.number(n)
                h = height * n / scale_top
                x = left + slot * (i + 0.5) - pdf.get_string_width(label) / 2
                pdf.text(x, base - h - 1, label)
    _date_labels(pdf, days, left, slot, base, loc)


def _cumulative_chart(
    pdf: FPDF,
    days: tuple[tuple[date, int], ...],
    target: int,
    top: float,
    height: float,
    loc: Localizer,
) -> None:
    left = MARGIN + 14
    width = WIDTH - 16
    running = 0
    points = []
    for _, n in days:
        running += n
        points.append(running)
    # Draw the rule's total when it is in sight; a far-off total would flatten the curve.
    show_target = target <= 2 * running
    scale_top = _axes(
        pdf, left, top, width, height, max(running, target if show_target else 0), loc
    )
    slot = width / len(days)
    base = top + height
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.6)
    previous = (left, base)
    for i, value in enumerate(points):
        point = (left + slot * (i + 1), base - height * value / scale_top)
        pdf.line(*previous, *point)
        previous = point
    pdf.set_line_width(0.2)
    pdf.set_font("Sans", "", 7.5)
    if show_target:
        y = base - height * target / scale_top
        pdf.set_draw_color(*NOTE_EDGE)
        pdf.set_dash_pattern(dash=1.5, gap=1)
        pdf.line(left, y, left + width, y)
        pdf.set_dash_pattern()
        pdf.text(left + 1, y - 1.2, loc.gettext("the rule's total: %(n)s", n=loc.number(target)))
    else:
        pdf.set_text_color(*MUTED)
        pdf.text(
            left + 1,
            top + 3,
            loc.gettext("The rule's total, %(n)s, is off this scale.", n=loc.number(target)),
        )
        pdf.set_text_color(*INK)
    _date_labels(pdf, days, left, slot, base, loc)


# The list


def _list_pages(
    pdf: FPDF,
    campaign: Campaign,
    rows: Iterator[ExportRow],
    total: int,
    progress_cb: ProgressCallback | None,
    loc: Localizer,
) -> int:
    pdf.set_auto_page_break(False)
    edges = [MARGIN]
    for column in COLUMNS:
        edges.append(edges[-1] + column.width)
    pdf.set_font("Sans", "", 8)
    measure = _Measure(pdf)
    words = _ListWords(loc)
    count = 0
    page: list[ExportRow] = []
    for row in rows:
        page.append(row)
        count += 1
        if len(page) == ROWS_PER_PAGE:
            _list_page(pdf, campaign, edges, page, measure, words)
            page.clear()
            if progress_cb:
                progress_cb(count, total)
    if page or count == 0:
        _list_page(pdf, campaign, edges, page, measure, words)
    if progress_cb:
        progress_cb(count, total)
    return count


def _list_page(
    pdf: FPDF,
    campaign: Campaign,
    edges: list[float],
    rows: list[ExportRow],
    measure: _Measure,
    words: _ListWords,
) -> None:
    """One page of the list: up to ROWS_PER_PAGE rows under the repeated headings."""
    _list_page_start(pdf, campaign, edges, words)
    if not rows:
        pdf.set_font("Sans", "", 9)
        pdf.text(MARGIN + PAD, LIST_TOP + 5, words.no_rows)
        return
    pdf.set_fill_color(*STRIPE)
    for slot in range(1, len(rows), 2):
        pdf.rect(MARGIN, LIST_TOP + slot * ROW_H, WIDTH, ROW_H, style="F")
    bottom = LIST_TOP + len(rows) * ROW_H
    pdf.set_draw_color(*RULE_GREY)
    pdf.line(MARGIN, bottom, MARGIN + WIDTH, bottom)
    name_room = COLUMNS[1].width - 2 * PAD
    pdf.set_font("Sans", "", 8)
    pdf.set_text_color(*INK)
    baseline = LIST_TOP + ROW_H * 0.7
    for slot, row in enumerate(rows):
        y = baseline + slot * ROW_H
        number = str(row.number)
        pdf.text(edges[1] - PAD - measure.width(number), y, number)
        mark = NAME_MARKS.get(row.name_status, "")
        name = measure.fit(row.name or words.no_name, name_room, mark)
        pdf.text(edges[1] + PAD, y, name)
        pdf.text(edges[2] + PAD, y, row.postcode or "–")
        pdf.text(edges[3] + PAD, y, words.regions.get(row.region, row.region))
        pdf.text(edges[4] + PAD, y, local_signed_at(row.signed_at, words.loc.zone))
    # One switch to the monospaced font per page, not two per row.
    pdf.set_font("Mono", "", 8)
    for slot, row in enumerate(rows):
        pdf.text(edges[5] + PAD, baseline + slot * ROW_H, row.signature_id)
    pdf.set_font("Sans", "", 8)


class _ListWords:
    """The list's words in its language, translated once rather than once per row."""

    def __init__(self, loc: Localizer) -> None:
        self.loc = loc
        self.no_name = loc.gettext(NO_NAME)
        self.no_rows = loc.gettext("No counted signatures yet.")
        self.regions = {code: loc.gettext(name) for code, name in SHORT_REGION.items()}
        self.columns = [loc.gettext(column.title) for column in COLUMNS]
        self.title = loc.gettext("Counted voice signatures")
        self.headline = loc.gettext(
            "In signing order. Times in %(zone)s. Names not confirmed by a person: ° machine "
            "reading found clear, * machine reading waiting for a person.",
            zone=loc.zone.key,
        )


class _Measure:
    """Text widths in mm for the list's font, from the font's own glyph widths.

    fpdf2's get_string_width() copies its text state on every call, which made measuring the
    names the slowest part of a 100,000-row list.
    """

    def __init__(self, pdf: FPDF) -> None:
        font = pdf.current_font
        assert isinstance(font, TTFFont)
        # A defaultdict: a character the font lacks gets fpdf2's default width, as in fpdf2.
        self._widths = font.cw
        self._scale = pdf.font_size_pt * 0.001 / pdf.k

    def _glyph(self, char: str) -> float:
        return self._widths[ord(char)]

    def width(self, text: str) -> float:
        return sum(map(self._glyph, text)) * self._scale

    def fit(self, text: str, room: float, mark: str) -> str:
        """`text` + `mark`, or as much of `text` as fits followed by an ellipsis and `mark`."""
        if self.width(text + mark) <= room:
            return text + mark
        budget = room / self._scale - sum(map(self._glyph, "…" + mark))
        used = 0.0
        for cut, char in enumerate(text):
            used += self._glyph(char)
            if used > budget:
                return text[:cut].rstrip() + "…" + mark
        return text + mark


def _list_page_start(pdf: FPDF, campaign: Campaign, edges: list[float], words: _ListWords) -> None:
    pdf.add_page()
    pdf.set_font("Sans", "B", 10)
    pdf.set_text_color(*INK)
    pdf.text(MARGIN, MARGIN + 3, _shorten(pdf, campaign.title, WIDTH - 60))
    pdf.set_font("Sans", "", 8)
    pdf.set_text_color(*MUTED)
    right = words.title
    pdf.text(MARGIN + WIDTH - pdf.get_string_width(right), MARGIN + 3, right)
    pdf.text(MARGIN, MARGIN + 8, _shorten(pdf, words.headline, WIDTH))
    top = LIST_TOP - ROW_H - 1
    pdf.set_fill_color(*HEADING_FILL)
    pdf.rect(MARGIN, top, WIDTH, ROW_H + 1, style="F")
    pdf.set_text_color(*INK)
    pdf.set_font("Sans", "B", 7.5)
    for column, title, left, right_edge in zip(
        COLUMNS, words.columns, edges, edges[1:], strict=False
    ):
        title = _shorten(pdf, title, right_edge - left - 2 * PAD)
        width = pdf.get_string_width(title)
        x = right_edge - PAD - width if column.right else left + PAD
        pdf.text(x, top + ROW_H * 0.78, title)
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN, LIST_TOP, MARGIN + WIDTH, LIST_TOP)
    pdf.set_font("Sans", "", 8)
    pdf.set_text_color(*INK)


def _footers(pdf: FPDF, campaign: Campaign, loc: Localizer) -> None:
    """Page numbers on every page, drawn last when the page count is known."""
    pages = pdf.page_no()
    for page in range(1, pages + 1):
        pdf.page = page
        _forget_page_state(pdf)
        pdf.set_font("Sans", "", 7.5)
        pdf.set_text_color(*MUTED)
        y = PAGE_H - 10
        pdf.set_draw_color(*RULE_GREY)
        pdf.set_line_width(0.2)
        pdf.line(MARGIN, y - 4, MARGIN + WIDTH, y - 4)
        left = _shorten(
            pdf, loc.gettext("%(title)s · voice signatures", title=campaign.title), WIDTH - 40
        )
        pdf.text(MARGIN, y, left)
        label = loc.gettext(
            "Page %(page)s of %(pages)s", page=loc.number(page), pages=loc.number(pages)
        )
        pdf.text(MARGIN + WIDTH - pdf.get_string_width(label), y, label)
    pdf.page = pages


def _forget_page_state(pdf: FPDF) -> None:
    """Make fpdf2 write font, colours and line width again on a page it goes back to.

    fpdf2 only writes a setting when it changes, and it tracks one state for the whole
    document: back on an earlier page, that page's own last settings are different.
    """
    pdf.current_font_is_set_on_page = False
    pdf.set_draw_color(0, 0, 0)
    pdf.set_draw_color(255, 255, 255)
    pdf.set_line_width(0.01)
    pdf.set_line_width(0.02)
    # text() writes its colour inline only when it differs from the fill colour.
    pdf.set_fill_color(255, 255, 255)


def _shorten(pdf: FPDF, text: str, room: float) -> str:
    if pdf.get_string_width(text) <= room:
        return text
    while text and pdf.get_string_width(text + "…") > room:
        text = text[:-1]
    return text.rstrip() + "…"


# Small helpers


def _rule_name(p: Progress, loc: Localizer) -> str:
    if p.key == CUSTOM:
        return loc.gettext("the campaign's own threshold")
    return loc.gettext("the rule of the %(body)s", body=loc.gettext(p.title))


def _names_line(facts: ReportFacts, loc: Localizer) -> str:
    """What the cover says of the names: confirmed by a person, and the sample audit."""
    num = loc.number
    total = facts.progress.total
    # In bold: what a clerk looks for first.
    line = (
        "**"
        + loc.ngettext(
            "%(confirmed)s of %(num)s name confirmed by a person.",
            "%(confirmed)s of %(num)s names confirmed by a person.",
            total,
            confirmed=num(facts.names["confirmed"]),
        )
        + "**"
    )
    if facts.names["missing"]:
        line += " " + loc.gettext(
            "No name given, as a person found: %(n)s.", n=num(facts.names["missing"])
        )
    e = facts.estimate
    if e is not None and e.share is not None and e.low is not None and e.high is not None:
        line += " " + loc.gettext(
            "Machine readings: %(share)s %% right (%(low)s–%(high)s %%, 95 %% interval), from "
            "%(n)s checked at random on %(date)s.",
            share=num(round(100 * e.share)),
            low=num(round(100 * e.low)),
            high=num(round(100 * e.high)),
            n=num(e.checked),
            date=loc.format_date(e.drawn_at),
        )
        if e.pending:
            line = (
                line.removesuffix(".")
                + "; "
                + loc.gettext("%(n)s of the sample still to check.", n=num(e.pending))
            )
    return line
