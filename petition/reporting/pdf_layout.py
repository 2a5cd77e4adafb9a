"""The PDF's page geometry, fonts and colours, and the drawing primitives its pages share:
headings, paragraphs, bullets, figures, table rows, shortened text and the page footers."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from petition.i18n import Localizer
from petition.models import Campaign

# Debian's fonts-dejavu-core: a Unicode TTF, so "Łukasz" and "Müller-Lüdenscheidt" render.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {
    ("Sans", ""): "DejaVuSans.ttf",
    ("Sans", "B"): "DejaVuSans-Bold.ttf",
    ("Mono", ""): "DejaVuSansMono.ttf",
}

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


def figures(pdf: FPDF, items: list[tuple[str, str, str]]) -> None:
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


def heading(pdf: FPDF, text: str) -> None:
    pdf.set_font("Sans", "B", 11.5)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, 6, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.ln(1)


def paragraph(
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


def bullets(pdf: FPDF, items: list[str]) -> None:
    pdf.set_font("Sans", "", 9)
    for item in items:
        pdf.set_x(MARGIN + 1)
        pdf.cell(4, 4.2, "•")
        pdf.multi_cell(
            WIDTH - 5, 4.2, item, markdown=True, align="L", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.ln(0.5)


def table_row(
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


def footers(pdf: FPDF, campaign: Campaign, loc: Localizer) -> None:
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
        left = shorten(
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


def add_fonts(pdf: FPDF, error: type[Exception]) -> None:
    """The document's fonts (FONTS), or `error` naming the Debian package that has them."""
    for (family, style), filename in FONTS.items():
        path = FONT_DIR / filename
        if not path.exists():
            raise error(f"font {path} is missing: install Debian's fonts-dejavu-core")
        pdf.add_font(family, style, str(path))


def shorten(pdf: FPDF, text: str, room: float) -> str:
    """`text`, shortened with an ellipsis when it is wider than `room` in the current font."""
    if pdf.get_string_width(text) <= room:
        return text
    while text and pdf.get_string_width(text + "…") > room:
        text = text[:-1]
    return text.rstrip() + "…"
