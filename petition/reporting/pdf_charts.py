"""The chart page of the petition PDF: signatures per day, and over time against the rule's
total."""

from __future__ import annotations

import math
from datetime import date

from fpdf import FPDF

from petition.i18n import Localizer
from petition.reporting.facts import ReportFacts
from petition.reporting.pdf_layout import (
    ACCENT,
    INK,
    MARGIN,
    MUTED,
    NOTE_EDGE,
    RULE_GREY,
    WIDTH,
    heading,
    paragraph,
)


def chart_page(pdf: FPDF, facts: ReportFacts, loc: Localizer) -> None:
    pdf.add_page()
    heading(pdf, loc.gettext("Signatures per day"))
    paragraph(
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
        paragraph(pdf, loc.gettext("No counted signatures yet."))
        return
    _bar_chart(pdf, days, top, 95, loc)
    pdf.set_y(top + 95 + 16)
    busiest_day, busiest = max(days, key=lambda item: (item[1], -item[0].toordinal()))
    active = sum(1 for _, n in days if n)
    paragraph(
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
    heading(pdf, loc.gettext("Signatures over time, against the rule's total"))
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
