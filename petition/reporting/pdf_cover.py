"""The cover of the petition PDF: title and key figures, the note, the totals by region against
the rule, and how the signatures were collected and checked."""

from __future__ import annotations

import math
from datetime import timedelta

from fpdf import FPDF

from petition.counting.regions import Region, region_label
from petition.counting.thresholds import CUSTOM, Progress
from petition.i18n import N_, Localizer
from petition.models import Campaign
from petition.reporting.export import Edition
from petition.reporting.facts import ReportFacts
from petition.reporting.pdf_layout import (
    HEADING_FILL,
    INK,
    MARGIN,
    MUTED,
    NOTE_EDGE,
    NOTE_FILL,
    ROWS_PER_PAGE,
    RULE_GREY,
    STRIPE,
    WIDTH,
    bullets,
    figures,
    heading,
    paragraph,
    table_row,
)

# Said whatever the rule: a custom rule carries no note of its own.
GENERAL_NOTE = N_(
    "These are voice signatures: people who called the campaign's number and said their name. "
    "They are evidence of support that the campaign brings to parliament, not signatures made "
    "on a parliament's own platform, and they are not identified with an identity card."
)


def cover(
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
    figures(
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
    paragraph(pdf, _names_line(facts, loc), size=9.5, markdown=True)
    pdf.ln(2)
    _note_box(pdf, p.identification_note, loc)
    pdf.ln(3)

    heading(pdf, loc.gettext("Totals by region against %(rule)s", rule=_rule_name(p, loc)))
    _region_table(pdf, facts, loc)
    pdf.ln(2)
    _rule_lines(pdf, facts, loc)
    pdf.ln(2)

    heading(pdf, loc.gettext("How the signatures were collected and checked"))
    bullets(pdf, _method(campaign, facts, loc))
    pdf.ln(1)
    pages = max(1, math.ceil(p.total / ROWS_PER_PAGE))
    paragraph(
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
    table_row(pdf, headings, widths, bold=True, fill=HEADING_FILL)
    for i, row in enumerate(rows):
        table_row(pdf, row, widths, fill=STRIPE if i % 2 else None)
    total_row = (total, num(p.counted), num(p.target), total_missing)
    table_row(pdf, total_row, widths, bold=True, fill=HEADING_FILL)


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
        paragraph(pdf, line, size=9)


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
    if facts.names.get("caller"):
        items.append(
            item(
                loc.gettext("Names confirmed by the callers."),
                loc.gettext(
                    "While still on the line, callers heard the name read back with the "
                    "surname spelled letter by letter, and pressed 1 when it was right, or "
                    "spelled it on the keypad; ☎ marks these names in the list (%(caller)s).",
                    caller=num(facts.names["caller"]),
                ),
            )
        )
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
    if facts.names.get("caller"):
        line += " " + loc.ngettext(
            "%(num)s name confirmed by the caller during the call (read back to them, or "
            "spelled on the keypad).",
            "%(num)s names confirmed by the callers during their calls (read back to them, or "
            "spelled on the keypad).",
            facts.names["caller"],
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
