"""The petition as a PDF for parliament: a cover, a chart of signatures per day, the list.
Its pages are drawn in pdf_cover, pdf_charts and pdf_list, with the primitives of pdf_layout.

Pure domain plus fpdf2: no web or queue imports. Same data in, same bytes out: the creation date
comes from the data and fpdf2 derives the document ID from the content, so two exports of one
petition are byte-identical. No phone numbers appear anywhere (the rows come from
`counted_rows`, which has none).

Every text is English in the code and translated through the catalogs (petition/i18n.py); the
PDF speaks the language it is asked for, with that language's numbers and dates, and times in
the campaign's time zone. Who exported it and on which day are inputs like the data: the same
inputs give the same bytes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import BinaryIO

import sqlalchemy as sa
import sqlalchemy.orm as so
from fpdf import FPDF

from petition.counting.tally import campaign_rule, counted_tally
from petition.counting.thresholds import progress
from petition.counting.timeline import hour_bucket, local_days
from petition.errors import PetitionError
from petition.i18n import Localizer, time_zone
from petition.integrity import guards
from petition.models import Campaign, NameStatus, Signature, SignatureState, utcnow
from petition.names import sampling
from petition.reporting.export import Edition, counted_rows
from petition.reporting.facts import ReportFacts
from petition.reporting.pdf_charts import chart_page
from petition.reporting.pdf_cover import cover
from petition.reporting.pdf_layout import INK, MARGIN, ROWS_PER_PAGE, add_fonts, footers
from petition.reporting.pdf_list import ProgressCallback, list_pages

# What other modules import from here; the pages themselves live in the pdf_* modules.
__all__ = [
    "ROWS_PER_PAGE",
    "ExportChanged",
    "ProgressCallback",
    "ReportError",
    "ReportFacts",
    "gather_facts",
    "write_pdf",
]


class ReportError(PetitionError):
    """The PDF cannot be made (e.g. its font is not installed)."""


class ExportChanged(PetitionError):
    """Signatures were counted or withdrawn while the export was being written; run it again."""


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
    cover(pdf, campaign, facts, loc, edition)
    chart_page(pdf, facts, loc)
    written = list_pages(pdf, campaign, counted_rows(session, campaign), total, progress_cb, loc)
    if written != total:
        raise ExportChanged(f"{written} rows listed but {total} counted: the data changed")
    footers(pdf, campaign, loc)
    out.write(pdf.output())
    return written


def _new_document(campaign: Campaign, facts: ReportFacts, loc: Localizer) -> FPDF:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    add_fonts(pdf, ReportError)
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
