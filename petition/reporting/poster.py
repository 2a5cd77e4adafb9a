"""A poster for the campaign's number: a PDF to print (A4 or A3, black on white, in one of the
campaign's languages) and a square PNG of the same for social media.

Each carries the title, the number in large digits with a QR code that dials it (a `tel:` URI,
drawn by segno), the three steps of the call and the privacy line. Titles are typed by staff:
they are drawn as text, never interpreted, and right-to-left scripts are shaped (uharfbuzz).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import segno
from fpdf import FPDF
from PIL import Image, ImageDraw

from petition.errors import PetitionError
from petition.i18n import Localizer
from petition.models import Campaign
from petition.reporting import png_layout as png
from petition.reporting.pdf_layout import add_fonts, shorten
from petition.reporting.public_face import (
    SIGN_BY_PHONE,
    ShownNumber,
    call_length,
    help_offer,
    privacy_line,
    shown_number,
    steps,
)

# Portrait page sizes in millimetres; everything on the page scales with its width.
SIZES = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
SQUARE = 1080  # pixels: what social networks show without cropping
BLACK, GREY = (0, 0, 0), (80, 80, 80)


class PosterError(PetitionError, ValueError):
    pass


@dataclass(frozen=True)
class PosterText:
    """The words of a poster in one language."""

    title: str
    organisation: str
    numbers: list[ShownNumber]
    sign: str
    from_country: str  # "From Belgium: 02 000 00 01", or ""
    scan: str
    steps: list[str]
    length: str
    privacy: str
    page_url: str
    help: str = ""  # the helpline, for a reader who is affected themselves ("" when none)


def tel_uri(number: ShownNumber) -> str:
    return f"tel:{number.e164}"


def poster_text(campaign: Campaign, language: str, page_url: str = "") -> PosterText:
    if language not in campaign.language_list:
        raise PosterError(f"{campaign.slug} is not in {language}: {campaign.languages}")
    if not campaign.numbers:
        raise PosterError(f"{campaign.slug} has no number to call")
    loc = Localizer(language)
    numbers = [shown_number(n.number) for n in campaign.numbers]
    first = numbers[0]
    from_country = ""
    if first.country and first.national != first.international:
        from_country = loc.gettext(
            "From %(country)s: %(number)s",
            country=first.country_name(language),
            number=first.national,
        )
    return PosterText(
        title=campaign.title,
        organisation=campaign.organisation_name.strip(),
        numbers=numbers,
        sign=loc.gettext(SIGN_BY_PHONE),
        from_country=from_country,
        scan=loc.gettext("Scan to call"),
        steps=steps(campaign, loc),
        length=call_length(campaign, loc),
        privacy=privacy_line(campaign, loc),
        page_url=page_url,
        help=help_offer(campaign, loc) or "",
    )


def poster_pdf(text: PosterText, size: str = "A4", made: datetime | None = None) -> bytes:
    if size not in SIZES:
        raise PosterError(f"size {size!r}: A4 or A3")
    page_w, page_h = SIZES[size]
    k = page_w / SIZES["A4"][0]
    margin = 18 * k
    width = page_w - 2 * margin
    pdf = FPDF(orientation="portrait", unit="mm", format=size)
    add_fonts(pdf, PosterError)
    pdf.set_text_shaping(True)  # Arabic joined, Hebrew right to left
    pdf.set_auto_page_break(False)
    pdf.set_margins(margin, margin, margin)
    pdf.set_creation_date((made or datetime(2000, 1, 1)).replace(tzinfo=UTC))
    pdf.set_title(text.title)
    pdf.add_page()
    pdf.set_text_color(*BLACK)

    def line_h(pt: float) -> float:
        return pt * 0.3528 * 1.2  # points to millimetres, with some leading

    y = margin
    if text.organisation:
        pdf.set_font("Sans", "", 13 * k)
        pdf.set_text_color(*GREY)
        pdf.set_xy(margin, y)
        pdf.cell(width, line_h(13 * k), shorten(pdf, text.organisation, width))
        pdf.set_text_color(*BLACK)
        y += line_h(13 * k) + 3 * k

    # The title: as large as fits in four lines.
    size_pt = 40.0
    while size_pt > 20:
        pdf.set_font("Sans", "B", size_pt * k)
        if len(_lines(pdf, width, line_h(size_pt * k), text.title)) <= 4:
            break
        size_pt -= 2
    pdf.set_xy(margin, y)
    pdf.multi_cell(width, line_h(size_pt * k), text.title, align="L")
    y = pdf.get_y() + 6 * k
    pdf.set_line_width(1.2 * k)
    pdf.line(margin, y, page_w - margin, y)
    y += 8 * k

    # The number: the largest thing on the page.
    pdf.set_font("Sans", "", 20 * k)
    pdf.set_xy(margin, y)
    pdf.cell(width, line_h(20 * k), text.sign)
    y += line_h(20 * k) + 2 * k
    first = text.numbers[0]
    number_pt = 80.0
    pdf.set_font("Sans", "B", number_pt * k)
    while number_pt > 30 and pdf.get_string_width(first.international) > width:
        number_pt -= 2
        pdf.set_font("Sans", "B", number_pt * k)
    pdf.set_xy(margin, y)
    pdf.cell(width, line_h(number_pt * k), first.international)
    y += line_h(number_pt * k) + 1 * k
    extra = [n.international for n in text.numbers[1:]]
    small = [text.from_country] if text.from_country else []
    for line in small + extra:
        pdf.set_font("Sans", "", 16 * k)
        pdf.set_xy(margin, y)
        pdf.cell(width, line_h(16 * k), shorten(pdf, line, width))
        y += line_h(16 * k)
    y += 10 * k

    # The QR code on the left, the three steps beside it.
    qr_size = 62 * k
    _draw_qr(pdf, tel_uri(first), margin, y, qr_size)
    pdf.set_font("Sans", "", 11 * k)
    pdf.set_xy(margin, y + qr_size + 1 * k)
    pdf.cell(qr_size, line_h(11 * k), shorten(pdf, text.scan, qr_size), align="C")
    column = margin + qr_size + 10 * k
    column_w = page_w - margin - column
    step_y = y + 2 * k
    for i, step in enumerate(text.steps, start=1):
        badge = 9 * k
        pdf.set_fill_color(*BLACK)
        pdf.ellipse(column, step_y, badge, badge, style="F")
        pdf.set_text_color(255, 255, 255)
        pdf.set_font("Sans", "B", 15 * k)
        pdf.set_xy(column, step_y + 0.2 * k)
        pdf.cell(badge, badge, str(i), align="C")
        pdf.set_text_color(*BLACK)
        pdf.set_font("Sans", "", 15 * k)
        pdf.set_xy(column + badge + 4 * k, step_y + 0.5 * k)
        pdf.multi_cell(column_w - badge - 4 * k, line_h(15 * k), step, align="L")
        step_y = max(pdf.get_y(), step_y + badge) + 5 * k
    pdf.set_font("Sans", "B", 13 * k)
    pdf.set_xy(column, step_y)
    pdf.multi_cell(column_w, line_h(13 * k), text.length, align="L")

    if text.help:  # below the QR code and the steps, set apart by a bar
        help_y = max(pdf.get_y(), y + qr_size + line_h(11 * k)) + 10 * k
        pdf.set_font("Sans", "", 14 * k)
        pdf.set_xy(margin + 5 * k, help_y)
        pdf.multi_cell(width - 5 * k, line_h(14 * k), text.help, align="L")
        pdf.set_fill_color(*BLACK)
        pdf.rect(margin, help_y, 1.5 * k, pdf.get_y() - help_y, style="F")

    # The privacy line and the page's address at the foot of the page.
    pdf.set_font("Sans", "", 10.5 * k)
    lines = _lines(pdf, width, line_h(10.5 * k), text.privacy)
    foot = page_h - margin - len(lines) * line_h(10.5 * k)
    if text.page_url:
        foot -= line_h(12 * k) + 2 * k
    pdf.set_line_width(0.3 * k)
    pdf.line(margin, foot - 4 * k, page_w - margin, foot - 4 * k)
    pdf.set_text_color(*GREY)
    pdf.set_xy(margin, foot)
    pdf.multi_cell(width, line_h(10.5 * k), text.privacy, align="L")
    if text.page_url:
        pdf.set_text_color(*BLACK)
        pdf.set_font("Sans", "B", 12 * k)
        pdf.set_xy(margin, pdf.get_y() + 2 * k)
        pdf.cell(width, line_h(12 * k), shorten(pdf, text.page_url, width), link=text.page_url)
    return bytes(pdf.output())


def _lines(pdf: FPDF, width: float, height: float, text: str) -> list[str]:
    """The lines `text` takes in a column `width` wide, in the current font."""
    lines = pdf.multi_cell(width, height, text, dry_run=True, output="LINES")
    assert isinstance(lines, list)
    return lines


def _draw_qr(pdf: FPDF, uri: str, x: float, y: float, size: float) -> None:
    """The QR code as black squares (vector, sharp at any print size), quiet zone included."""
    qr = segno.make(uri, error="m", micro=False)
    rows = list(qr.matrix)
    module = size / (len(rows) + 8)  # four modules of quiet zone on each side
    pdf.set_fill_color(*BLACK)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            # A hair wider than the module, so anti-aliasing leaves no seam between runs.
            pdf.rect(
                x + (4 + start) * module,
                y + (4 + r) * module,
                (c - start) * module + 0.02,
                module + 0.02,
                style="F",
            )


def poster_png(text: PosterText) -> bytes:
    """The poster as a square image for social media."""
    image = Image.new("RGB", (SQUARE, SQUARE), png.PAPER)
    draw = ImageDraw.Draw(image)
    pad = 64
    width = SQUARE - 2 * pad
    y = 52.0
    if text.organisation:
        face, lines = png.fitted(draw, text.organisation, width, range(30, 21, -2), 1)
        y = png.draw_lines(draw, lines, face, pad, y, png.MUTED) + 6
    face, lines = png.fitted(draw, text.title, width, range(64, 33, -4), 3, bold=True)
    y = png.draw_lines(draw, lines, face, pad, y, png.INK, spacing=1.15) + 14
    draw.rectangle((pad, y, SQUARE - pad, y + 6), fill=png.INK)
    y += 28
    draw.text((pad, y), text.sign, font=png.font(36), fill=png.MUTED)
    y += 50
    first = text.numbers[0]
    number_face, _ = png.fitted(draw, first.international, width, range(96, 47, -4), 1, True)
    draw.text((pad, y), first.international, font=number_face, fill=png.INK)
    y += number_face.size * 1.2
    if text.from_country:
        face, lines = png.fitted(draw, text.from_country, width, range(30, 21, -2), 1)
        y = png.draw_lines(draw, lines, face, pad, y, png.MUTED)
    y += 24
    qr = png.qr_image(tel_uri(first), 300)
    image.paste(qr, (pad - 16, int(y)))  # the quiet zone is white: the code lines up by eye
    caption = png.font(24)
    draw.text(
        (pad - 16 + qr.width / 2, y + qr.height + 4),
        text.scan,
        font=caption,
        fill=png.MUTED,
        anchor="ma",
    )
    column = pad - 16 + qr.width + 24
    column_w = SQUARE - pad - column - 52
    step_y = y + 24
    for i, step in enumerate(text.steps, start=1):
        draw.ellipse((column, step_y, column + 40, step_y + 40), fill=png.INK)
        draw.text(
            (column + 20, step_y + 20), str(i), font=png.font(24, True), fill=png.PAPER, anchor="mm"
        )
        face, lines = png.fitted(draw, step, column_w, range(28, 19, -2), 4)
        step_y = max(png.draw_lines(draw, lines, face, column + 52, step_y + 2), step_y + 44) + 14
    face, lines = png.fitted(draw, text.length, column_w + 52, range(26, 19, -2), 2, bold=True)
    png.draw_lines(draw, lines, face, column, step_y)
    face, lines = png.fitted(draw, text.privacy, width, range(24, 17, -2), 3)
    png.draw_lines(draw, lines, face, pad, SQUARE - 40 - len(lines) * face.size * 1.2, png.MUTED)
    return png.png_bytes(image)
