"""The numbered list of the petition PDF: every counted signature, ROWS_PER_PAGE rows a page
under column headings repeated on each page.

The list is drawn with fpdf2's low-level `text()` and `rect()`, not `cell()` or `table()`: for
100,000 signatures `cell()` is about ten times slower. Rows are streamed from the database;
fpdf2 itself keeps the pages in memory until it writes the file (a few tens of MB at 100,000).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.fonts import TTFFont

from petition.counting.regions import Region
from petition.i18n import N_, Localizer
from petition.models import Campaign, NameStatus
from petition.reporting.export import ExportRow, local_signed_at
from petition.reporting.pdf_layout import (
    HEADING_FILL,
    INK,
    LIST_TOP,
    MARGIN,
    MUTED,
    PAD,
    ROW_H,
    ROWS_PER_PAGE,
    RULE_GREY,
    STRIPE,
    WIDTH,
    shorten,
)

ProgressCallback = Callable[[int, int], None]  # (rows written, rows in all)


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
NAME_MARKS = {
    NameStatus.CALLER.value: " ☎",  # confirmed by the caller on the telephone, not by staff
    NameStatus.MACHINE.value: " °",
    NameStatus.TO_CHECK.value: " *",
}
NO_NAME = N_("(no name given)")

SHORT_REGION = {
    Region.FLANDERS.value: N_("Flemish Region"),
    Region.WALLONIA.value: N_("Walloon Region"),
    Region.BRUSSELS.value: N_("Brussels-Capital"),
    Region.UNKNOWN.value: N_("unknown"),
}


def list_pages(
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
            "Times in %(zone)s. ☎ confirmed by the caller, ° clear machine reading, * to check; "
            "unmarked: confirmed by staff.",
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
    pdf.text(MARGIN, MARGIN + 3, shorten(pdf, campaign.title, WIDTH - 60))
    pdf.set_font("Sans", "", 8)
    pdf.set_text_color(*MUTED)
    right = words.title
    pdf.text(MARGIN + WIDTH - pdf.get_string_width(right), MARGIN + 3, right)
    pdf.text(MARGIN, MARGIN + 8, shorten(pdf, words.headline, WIDTH))
    top = LIST_TOP - ROW_H - 1
    pdf.set_fill_color(*HEADING_FILL)
    pdf.rect(MARGIN, top, WIDTH, ROW_H + 1, style="F")
    pdf.set_text_color(*INK)
    pdf.set_font("Sans", "B", 7.5)
    for column, title, left, right_edge in zip(
        COLUMNS, words.columns, edges, edges[1:], strict=False
    ):
        title = shorten(pdf, title, right_edge - left - 2 * PAD)
        width = pdf.get_string_width(title)
        x = right_edge - PAD - width if column.right else left + PAD
        pdf.text(x, top + ROW_H * 0.78, title)
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN, LIST_TOP, MARGIN + WIDTH, LIST_TOP)
    pdf.set_font("Sans", "", 8)
    pdf.set_text_color(*INK)
