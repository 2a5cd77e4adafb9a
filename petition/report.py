"""The petition as a PDF for parliament: a cover, a chart of signatures per day, the list.

Pure domain plus fpdf2: no web or queue imports. Same data in, same bytes out: the creation date
comes from the data and fpdf2 derives the document ID from the content, so two exports of one
petition are byte-identical. No phone numbers appear anywhere (the rows come from
`counted_rows`, which has none).

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

from petition import integrity, sampling
from petition.errors import PetitionError
from petition.export import ExportRow, counted_rows
from petition.models import Campaign, NameStatus, Signature, SignatureState, utcnow
from petition.regions import Region, region_label
from petition.stats import campaign_rule, counted_tally
from petition.thresholds import CUSTOM, Progress, progress

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
    _Column("No.", 13, right=True),
    _Column("Name", 58),
    _Column("Postcode", 17),
    _Column("Region", 27),
    _Column("Date and time (UTC)", 35),
    _Column("Signature id", 30),
)

# How the list marks a name no person confirmed; the list's headline explains the marks.
NAME_MARKS = {NameStatus.MACHINE.value: " °", NameStatus.TO_CHECK.value: " *"}
NO_NAME = "(no name given)"

SHORT_REGION = {
    Region.FLANDERS.value: "Flemish Region",
    Region.WALLONIA.value: "Walloon Region",
    Region.BRUSSELS.value: "Brussels-Capital",
    Region.UNKNOWN.value: "unknown",
}

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# Said whatever the rule: a custom rule carries no note of its own.
GENERAL_NOTE = (
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
    per_day: tuple[tuple[date, int], ...]  # every day from first to last, zeros included
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
    day = sa.func.date(Signature.signed_at)  # SQLite gives "YYYY-MM-DD", PostgreSQL a date
    found = {
        _as_date(when): n
        for when, n in session.execute(sa.select(day, sa.func.count()).where(counted).group_by(day))
    }
    per_day: list[tuple[date, int]] = []
    if first is not None and last is not None:
        current, end = first.date(), last.date()
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
        guarded=integrity.guard_counts(session, campaign.id),
    )


def write_pdf(
    session: so.Session,
    campaign: Campaign,
    out: BinaryIO,
    now: datetime | None = None,
    progress_cb: ProgressCallback | None = None,
) -> int:
    """Write the petition PDF of `campaign` to `out`; return the number of signatures listed.

    `now` (naive UTC) only decides whether a rule's window or deadline has passed; nothing in
    the file depends on the clock otherwise. `progress_cb(done, total)` is called as rows are
    laid out. Raises ExportChanged if the count moved while the file was being made.
    """
    facts = gather_facts(session, campaign, now)
    total = facts.progress.total
    pdf = _new_document(campaign, facts)
    _cover(pdf, campaign, facts)
    _chart_page(pdf, facts)
    written = _list_pages(pdf, campaign, counted_rows(session, campaign), total, progress_cb)
    if written != total:
        raise ExportChanged(f"{written} rows listed but {total} counted: the data changed")
    _footers(pdf, campaign)
    out.write(pdf.output())
    return written


# The document


def _new_document(campaign: Campaign, facts: ReportFacts) -> FPDF:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    for (family, style), filename in FONTS.items():
        path = FONT_DIR / filename
        if not path.exists():
            raise ReportError(f"font {path} is missing: install Debian's fonts-dejavu-core")
        pdf.add_font(family, style, str(path))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=20)
    stamp = facts.last or campaign.opened_at or datetime(2000, 1, 1)
    pdf.set_creation_date(stamp.replace(tzinfo=UTC))
    pdf.set_title(f"Petition: {campaign.title}")
    pdf.set_subject("Voice signatures brought to parliament")
    pdf.set_creator("voice-petition")
    pdf.set_lang("en")
    pdf.set_text_color(*INK)
    return pdf


def _cover(pdf: FPDF, campaign: Campaign, facts: ReportFacts) -> None:
    p = facts.progress
    pdf.add_page()
    pdf.set_font("Sans", "", 9)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 5, "Petition by telephone · export for parliament", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_text_color(*INK)
    pdf.set_font("Sans", "B", 20)
    pdf.multi_cell(0, 9, campaign.title, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Sans", "", 10)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(
        0,
        5,
        f"Campaign “{campaign.slug}”, toward {_rule_name(p)}",
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_text_color(*INK)
    pdf.ln(4)

    if facts.first and facts.last:
        period = f"{_long_date(facts.first)} to\n{_long_date(facts.last)}"
    else:
        period = "no counted\nsignatures yet"
    if p.reached:
        standing = "reached"
        standing_note = f"{p.target:,} needed, {p.percent:.1f} %"
    else:
        standing = f"{p.missing:,} missing"
        standing_note = f"{p.percent:.1f} % of the {p.target:,} needed"
    _figures(
        pdf,
        [
            ("Voice signatures counted", f"{p.total:,}", "one per caller number"),
            ("Period (UTC)", period, ""),
            ("Toward the rule", standing, standing_note),
        ],
    )
    pdf.ln(3)
    _paragraph(pdf, _names_line(facts), size=9.5, markdown=True)
    pdf.ln(3)
    _note_box(pdf, p.identification_note)
    pdf.ln(4)

    _heading(pdf, f"Totals by region against {_rule_name(p)}")
    _region_table(pdf, facts)
    pdf.ln(2)
    _rule_lines(pdf, facts)
    pdf.ln(3)

    _heading(pdf, "How the signatures were collected and checked")
    _bullets(pdf, _method(campaign, facts))
    pdf.ln(2)
    pages = max(1, math.ceil(p.total / ROWS_PER_PAGE))
    _paragraph(
        pdf,
        f"Next: a chart of signatures per day, then the numbered list of all {p.total:,} "
        f"counted signatures ({pages:,} page{'s' if pages != 1 else ''}). When this document "
        "comes in an export folder, its manifest.json gives the SHA-256 of every file and of "
        "each recording, so a receiver can check that nothing was altered.",
        size=9,
        colour=MUTED,
    )


def _figures(pdf: FPDF, items: list[tuple[str, str, str]]) -> None:
    gap = 4.0
    width = (WIDTH - gap * (len(items) - 1)) / len(items)
    top = pdf.get_y()
    height = 27.0
    for i, (label, value, note) in enumerate(items):
        x = MARGIN + i * (width + gap)
        pdf.set_fill_color(*STRIPE)
        pdf.set_draw_color(*RULE_GREY)
        pdf.rect(x, top, width, height, style="DF")
        pdf.set_fill_color(*ACCENT)
        pdf.rect(x, top, 1.2, height, style="F")
        pdf.set_xy(x + 3.5, top + 2.5)
        pdf.set_font("Sans", "", 8)
        pdf.set_text_color(*MUTED)
        pdf.cell(width - 5, 4, label)
        pdf.set_text_color(*INK)
        lines = value.split("\n")
        pdf.set_font("Sans", "B", 15 if len(lines) == 1 else 10)
        pdf.set_xy(x + 3.5, top + 8)
        pdf.multi_cell(width - 5, 7 if len(lines) == 1 else 5, value, align="L")
        if note:
            pdf.set_font("Sans", "", 8)
            pdf.set_text_color(*MUTED)
            pdf.set_xy(x + 3.5, top + height - 7)
            pdf.cell(width - 5, 4, note)
            pdf.set_text_color(*INK)
    pdf.set_xy(MARGIN, top + height)


def _note_box(pdf: FPDF, rule_note: str | None) -> None:
    text = f"**Please note.** {GENERAL_NOTE}"
    if rule_note:
        text += f" {rule_note}"
    top = pdf.get_y()
    pdf.set_font("Sans", "", 9.5)
    inner = WIDTH - 8
    lines = pdf.multi_cell(inner, 4.8, text, markdown=True, align="L", dry_run=True, output="LINES")
    assert isinstance(lines, list)
    height = len(lines) * 4.8 + 6
    pdf.set_fill_color(*NOTE_FILL)
    pdf.set_draw_color(*NOTE_EDGE)
    pdf.rect(MARGIN, top, WIDTH, height, style="DF")
    pdf.set_xy(MARGIN + 4, top + 3)
    pdf.multi_cell(inner, 4.8, text, markdown=True, align="L", new_x="LMARGIN", new_y="NEXT")
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
    pdf.set_font("Sans", "", 9.5)
    for item in items:
        pdf.set_x(MARGIN + 1)
        pdf.cell(4, 4.8, "•")
        pdf.multi_cell(
            WIDTH - 5, 4.8, item, markdown=True, align="L", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.ln(0.8)


def _region_table(pdf: FPDF, facts: ReportFacts) -> None:
    p = facts.progress
    rows: list[tuple[str, ...]] = []
    if p.regions:
        for item in p.regions:
            if item.minimum:
                minimum = f"{item.minimum:,}"
                missing = "reached" if item.reached else f"{item.missing:,}"
            else:
                minimum, missing = "no minimum", "–"
            rows.append((region_label(item.region, "en"), f"{item.count:,}", minimum, missing))
    else:
        # A rule without regional minimums: the split is still worth showing.
        for region in Region:
            count = facts.by_region.get(region, 0)
            rows.append((region_label(region, "en"), f"{count:,}", "no minimum", "–"))
    window = f" within {p.window_days} days" if p.window_days else ""
    total_missing = "reached" if p.missing == 0 else f"{p.missing:,}"
    widths = (70.0, 38.0, 38.0, 34.0)
    pdf.set_draw_color(*RULE_GREY)
    headings = ("Region", "Voice signatures", "Minimum of the rule", "Still missing")
    _table_row(pdf, headings, widths, bold=True, fill=HEADING_FILL)
    for i, row in enumerate(rows):
        _table_row(pdf, row, widths, fill=STRIPE if i % 2 else None)
    total_row = (f"Total{window}", f"{p.counted:,}", f"{p.target:,}", total_missing)
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
    pdf.set_font("Sans", "B" if bold else "", 9)
    x = MARGIN
    for i, (value, width) in enumerate(zip(values, widths, strict=True)):
        pdf.set_xy(x, y)
        pdf.cell(width, height, value, align="L" if i == 0 else "R")
        x += width
    pdf.line(MARGIN, y + height, MARGIN + sum(widths), y + height)
    pdf.set_xy(MARGIN, y + height)


def _rule_lines(pdf: FPDF, facts: ReportFacts) -> None:
    p = facts.progress
    lines = [f"Who may sign under this rule: {p.eligibility}." if p.eligibility else ""]
    if len(p.milestones) > 1:
        for milestone in p.milestones:
            state = "reached" if milestone.reached else f"{milestone.missing:,} missing"
            lines.append(f"{milestone.label}: {milestone.target:,} signatures, {state}.")
    else:
        lines.append(f"What the rule earns: {p.milestones[0].label}.")
    if p.regions:
        lines.append(
            "“Still missing” in the total is the fewest further signatures that would meet "
            "every number of the rule, the regional minimums included."
        )
    if p.countries:
        shown = [c for c in p.countries if c.count]
        shown.sort(key=lambda c: (-c.count, c.country))
        listed = ", ".join(f"{c.country} {c.count:,} of {c.minimum:,}" for c in shown[:12])
        lines.append(
            f"Member States above their minimum: {p.countries_reached} of the "
            f"{p.min_countries} needed. By caller number: {listed or 'none yet'}"
            + (f" and {len(shown) - 12} more." if len(shown) > 12 else ".")
        )
    if p.window_days and p.closes_at:
        state = "has closed" if p.expired else "closes"
        lines.append(
            f"Signatures count toward this rule for {p.window_days} days from the opening; "
            f"the window {state} on {_long_date(p.closes_at)} {p.closes_at:%H:%M} UTC."
        )
    elif p.closes_at:
        state = "has passed" if p.expired else "is"
        lines.append(f"The rule's deadline {state} {_long_date(p.closes_at - timedelta(days=1))}.")
    for line in lines:
        if line:
            _paragraph(pdf, line, size=9)


def _method(campaign: Campaign, facts: ReportFacts) -> list[str]:
    p = facts.progress
    items = [
        "**By telephone.** Callers dialled the campaign's number, heard its message with a "
        "short privacy notice and said their name after a beep. Each recording is kept, so "
        "every signature can be listened to.",
        "**One signature per caller number.** Numbers are stored only as a keyed hash "
        "(HMAC-SHA-256) and appear nowhere in this export; a second call from the same number "
        "did not count again.",
        "**Reviewed by a person.** Withheld numbers, the same name or near-identical audio "
        "(a replay) from another number, bursts from one number range and failed caller-ID "
        "checks wait out of the count for a member of staff to listen and decide.",
        "**Names written by machine, checked by people.** A name heard on a telephone line "
        "can be misspelt (Maes and Maas sound the same). Staff listened and confirmed or "
        f"corrected names; in the list ° marks a machine reading its name check found clear "
        f"({facts.names['machine']:,}), * one still waiting for a person "
        f"({facts.names['to_check']:,}).",
        "**Region from the postcode.** Callers who were asked keyed their Belgian postcode on "
        "the phone's keypad; the region follows from it. Without a postcode the region is "
        f"unknown ({p.total - facts.with_postcode:,} signatures).",
    ]
    if campaign.ask_declaration or campaign.ask_consent:
        items.append(
            "**Declarations.** Callers confirmed on the keypad that they meet the conditions "
            "or consent; this is their own declaration, not a check of identity or age."
        )
    outside = facts.awaiting_review + facts.pending
    items.append(
        (
            f"**Not in this count:** {_calls(facts.awaiting_review)} awaiting a person's "
            f"decision, {facts.pending:,} still being processed and {facts.rejected:,} rejected "
            "(silent, repeated, blocked or withdrawn). "
            if outside or facts.rejected
            else "**Not in this count:** no calls were awaiting review or rejected. "
        )
        + _guard_line(facts.guarded)
    )
    return items


def _guard_line(guarded: dict[str, dict[str, int]]) -> str:
    """How many signatures guarding the count held for a person and invalidated."""
    held, out = guarded["held"], guarded["invalidated"]
    return (
        "Held / invalidated: "
        f"replays {held['same_audio']:,} / {out['same_audio']:,}, "
        f"bursts {held['burst']:,} / {out['burst']:,}, "
        f"failed caller-ID checks {held['attestation_failed']:,} / {out['attestation_failed']:,}."
    )


# The chart


def _chart_page(pdf: FPDF, facts: ReportFacts) -> None:
    pdf.add_page()
    _heading(pdf, "Signatures per day")
    _paragraph(
        pdf,
        "Counted voice signatures by the day they were made (UTC).",
        size=9,
        colour=MUTED,
    )
    days = facts.per_day
    top = pdf.get_y() + 4
    if not days:
        _paragraph(pdf, "No counted signatures yet.")
        return
    _bar_chart(pdf, days, top, height=95)
    pdf.set_y(top + 95 + 16)
    busiest_day, busiest = max(days, key=lambda item: (item[1], -item[0].toordinal()))
    active = sum(1 for _, n in days if n)
    _paragraph(
        pdf,
        f"{len(days):,} day{'s' if len(days) != 1 else ''} from the first to the last "
        f"signature; signatures on {active:,} of them. Busiest day: {_long_date(busiest_day)}, "
        f"{busiest:,} signatures.",
        size=9,
    )
    pdf.ln(8)
    _heading(pdf, "Signatures over time, against the rule's total")
    _cumulative_chart(pdf, days, facts.progress.target, pdf.get_y() + 4, height=80)


def _nice_step(maximum: float, ticks: int = 5) -> float:
    """A 1-2-5 step so that about `ticks` gridlines cover `maximum`."""
    raw = max(maximum, 1) / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return max(1, factor * power)
    return 10 * power


def _axes(pdf: FPDF, left: float, top: float, width: float, height: float, ymax: float) -> float:
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
        label = f"{int(value):,}"
        pdf.set_text_color(*MUTED)
        pdf.text(left - 1.5 - pdf.get_string_width(label), y + 1.2, label)
        value += step
    pdf.set_text_color(*INK)
    return scale_top


def _date_labels(
    pdf: FPDF, days: tuple[tuple[date, int], ...], left: float, slot: float, y: float
) -> None:
    every = next((k for k in (1, 2, 3, 7, 14, 28, 56, 91, 182, 364) if len(days) / k <= 12), 728)
    pdf.set_font("Sans", "", 7)
    pdf.set_text_color(*MUTED)
    pdf.set_draw_color(*MUTED)
    for i in range(0, len(days), every):
        day = days[i][0]
        x = left + slot * (i + 0.5)
        pdf.line(x, y, x, y + 1.2)
        label = f"{day.day} {MONTHS[day.month - 1][:3]}"
        pdf.text(x - pdf.get_string_width(label) / 2, y + 4.5, label)
    first, last = days[0][0], days[-1][0]
    span = str(first.year) if first.year == last.year else f"{first.year}–{last.year}"
    pdf.text(left, y + 9, span)
    pdf.set_text_color(*INK)


def _bar_chart(pdf: FPDF, days: tuple[tuple[date, int], ...], top: float, height: float) -> None:
    left = MARGIN + 14
    width = WIDTH - 16
    scale_top = _axes(pdf, left, top, width, height, max(n for _, n in days))
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
    widest = max(pdf.get_string_width(f"{n:,}") for _, n in days)
    if widest <= slot - 0.8:
        for i, (_, n) in enumerate(days):
            if n:
                label = f"{n:,}"
                h = height * n / scale_top
                x = left + slot * (i + 0.5) - pdf.get_string_width(label) / 2
                pdf.text(x, base - h - 1, label)
    _date_labels(pdf, days, left, slot, base)


def _cumulative_chart(
    pdf: FPDF, days: tuple[tuple[date, int], ...], target: int, top: float, height: float
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
    scale_top = _axes(pdf, left, top, width, height, max(running, target if show_target else 0))
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
        pdf.text(left + 1, y - 1.2, f"the rule's total: {target:,}")
    else:
        pdf.set_text_color(*MUTED)
        pdf.text(left + 1, top + 3, f"The rule's total, {target:,}, is off this scale.")
        pdf.set_text_color(*INK)
    _date_labels(pdf, days, left, slot, base)


# The list


def _list_pages(
    pdf: FPDF,
    campaign: Campaign,
    rows: Iterator[ExportRow],
    total: int,
    progress_cb: ProgressCallback | None,
) -> int:
    pdf.set_auto_page_break(False)
    edges = [MARGIN]
    for column in COLUMNS:
        edges.append(edges[-1] + column.width)
    pdf.set_font("Sans", "", 8)
    measure = _Measure(pdf)
    count = 0
    page: list[ExportRow] = []
    for row in rows:
        page.append(row)
        count += 1
        if len(page) == ROWS_PER_PAGE:
            _list_page(pdf, campaign, edges, page, measure)
            page.clear()
            if progress_cb:
                progress_cb(count, total)
    if page or count == 0:
        _list_page(pdf, campaign, edges, page, measure)
    if progress_cb:
        progress_cb(count, total)
    return count


def _list_page(
    pdf: FPDF,
    campaign: Campaign,
    edges: list[float],
    rows: list[ExportRow],
    measure: _Measure,
) -> None:
    """One page of the list: up to ROWS_PER_PAGE rows under the repeated headings."""
    _list_page_start(pdf, campaign, edges)
    if not rows:
        pdf.set_font("Sans", "", 9)
        pdf.text(MARGIN + PAD, LIST_TOP + 5, "No counted signatures yet.")
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
        name = measure.fit(row.name or NO_NAME, name_room, NAME_MARKS.get(row.name_status, ""))
        pdf.text(edges[1] + PAD, y, name)
        pdf.text(edges[2] + PAD, y, row.postcode or "–")
        pdf.text(edges[3] + PAD, y, SHORT_REGION.get(row.region, row.region))
        pdf.text(edges[4] + PAD, y, row.signed_at.replace("T", " ").removesuffix("Z"))
    # One switch to the monospaced font per page, not two per row.
    pdf.set_font("Mono", "", 8)
    for slot, row in enumerate(rows):
        pdf.text(edges[5] + PAD, baseline + slot * ROW_H, row.signature_id)
    pdf.set_font("Sans", "", 8)


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


def _list_page_start(pdf: FPDF, campaign: Campaign, edges: list[float]) -> None:
    pdf.add_page()
    pdf.set_font("Sans", "B", 10)
    pdf.set_text_color(*INK)
    pdf.text(MARGIN, MARGIN + 3, _shorten(pdf, campaign.title, WIDTH - 60))
    pdf.set_font("Sans", "", 8)
    pdf.set_text_color(*MUTED)
    right = "Counted voice signatures"
    pdf.text(MARGIN + WIDTH - pdf.get_string_width(right), MARGIN + 3, right)
    pdf.text(
        MARGIN,
        MARGIN + 8,
        "In signing order, times in UTC. Names no person confirmed: ° machine reading found "
        "clear, * waiting for a person.",
    )
    top = LIST_TOP - ROW_H - 1
    pdf.set_fill_color(*HEADING_FILL)
    pdf.rect(MARGIN, top, WIDTH, ROW_H + 1, style="F")
    pdf.set_text_color(*INK)
    pdf.set_font("Sans", "B", 7.5)
    for column, left, right_edge in zip(COLUMNS, edges, edges[1:], strict=False):
        width = pdf.get_string_width(column.title)
        x = right_edge - PAD - width if column.right else left + PAD
        pdf.text(x, top + ROW_H * 0.78, column.title)
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN, LIST_TOP, MARGIN + WIDTH, LIST_TOP)
    pdf.set_font("Sans", "", 8)
    pdf.set_text_color(*INK)


def _footers(pdf: FPDF, campaign: Campaign) -> None:
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
        left = _shorten(pdf, f"{campaign.title} · voice signatures", WIDTH - 40)
        pdf.text(MARGIN, y, left)
        label = f"Page {page:,} of {pages:,}"
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


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _rule_name(p: Progress) -> str:
    if p.key == CUSTOM:
        return "the campaign's own threshold"
    return f"the rule of the {p.title}"


def _names_line(facts: ReportFacts) -> str:
    """What the cover says of the names: confirmed by a person, and the sample audit."""
    total = facts.progress.total
    line = f"**{facts.names['confirmed']:,} of {total:,} names confirmed by a person.**"
    if facts.names["missing"]:
        line += f" No name given, as a person found: {facts.names['missing']:,}."
    e = facts.estimate
    if e is not None and e.share is not None and e.low is not None and e.high is not None:
        line += (
            f" Machine readings: {100 * e.share:.0f} % right ({100 * e.low:.0f}–{100 * e.high:.0f} "
            f"%, 95 % interval), from {e.checked:,} checked at random on {_long_date(e.drawn_at)}"
            + (f"; {e.pending:,} of the sample still to check." if e.pending else ".")
        )
    return line


def _calls(n: int) -> str:
    return f"{n:,} call{'' if n == 1 else 's'}"


def _long_date(value: date) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"
