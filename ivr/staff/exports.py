"""Export for parliament from the dashboard: the same files as `petition export`.

The PDF and the CSV speak the language chosen on the page (`?lang=`, the campaign's first
language by default), and the PDF's cover names who exported it and on which day.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import IO

import sqlalchemy.orm as so
from flask import Response, render_template, request, send_file

from ivr.services import services
from ivr.staff.auth import bp, campaign_or_404, requires, user
from petition.i18n import LANGUAGES, time_zone, to_local
from petition.integrity import guards
from petition.models import Campaign, utcnow
from petition.reporting.export import Edition, counted_rows, write_csv, write_json
from petition.reporting.manifest import write_export
from petition.reporting.report import write_pdf

MIMETYPES = {"pdf": "application/pdf", "csv": "text/csv", "json": "application/json"}
# Fixed timestamps inside the ZIP: the same data gives the same bytes.
ZIP_DATE = (2000, 1, 1, 0, 0, 0)


@bp.get("/c/<slug>/export")
@requires("reviewer")
def export_page(slug: str) -> str:
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        return render_template(
            "staff/export.html",
            campaign=campaign,
            export_languages=LANGUAGES,
            chosen=_language(campaign),
        )


def _language(campaign: Campaign) -> str:
    chosen = request.args.get("lang", "")
    return chosen if chosen in LANGUAGES else campaign.language_list[0]


def _edition(campaign: Campaign) -> Edition:
    """The chosen language; exported by the signed-in user, today in the campaign's zone."""
    today = to_local(utcnow(), time_zone(campaign.time_zone)).date()
    return Edition(language=_language(campaign), exported_by=user().email, exported_on=today)


@bp.get("/c/<slug>/export.<fmt>")
@requires("reviewer")
def export_file(slug: str, fmt: str) -> Response:
    if fmt not in (*MIMETYPES, "zip"):
        return Response(status=404)
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        edition = _edition(campaign)
        if fmt == "zip":
            return send_file(
                _bundle(s, campaign, edition),
                mimetype="application/zip",
                as_attachment=True,
                download_name=f"{slug}.zip",
            )
        if fmt == "pdf":
            out = io.BytesIO()
            write_pdf(s, campaign, out, edition=edition)
            body = out.getvalue()
        else:
            text = io.StringIO()
            if fmt == "csv":
                write_csv(counted_rows(s, campaign), text, edition.localizer(campaign))
            else:
                write_json(
                    campaign,
                    counted_rows(s, campaign),
                    text,
                    guarded=guards.guard_counts(s, campaign.id),
                )
            body = text.getvalue().encode()
    return Response(
        body,
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{slug}.{fmt}"'},
    )


def _bundle(session: so.Session, campaign: Campaign, edition: Edition) -> IO[bytes]:
    """The bundle as a ZIP in a temporary file (recordings can be gigabytes: never in memory)."""
    # Handed to send_file, which closes it (and so deletes it) once the download is sent.
    out = tempfile.TemporaryFile(prefix="petition-export-")  # noqa: SIM115
    with tempfile.TemporaryDirectory(prefix="petition-export-") as tmp:
        folder = Path(tmp) / campaign.slug
        write_export(
            session,
            campaign,
            folder,
            recordings_root=services().settings.recordings_dir,
            edition=edition,
        )
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                info = zipfile.ZipInfo(f"{campaign.slug}/{path.relative_to(folder)}", ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(path, "rb") as src, zf.open(info, "w") as dst:
                    shutil.copyfileobj(src, dst)
    out.seek(0)
    return out
