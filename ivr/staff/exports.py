"""Export for parliament from the dashboard: the same files as `petition export`."""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import IO

import sqlalchemy.orm as so
from flask import Response, render_template, send_file

from ivr.services import services
from ivr.staff.auth import bp, campaign_or_404, requires
from petition.export import counted_rows, write_csv, write_json
from petition.manifest import write_export
from petition.models import Campaign
from petition.report import write_pdf

MIMETYPES = {"pdf": "application/pdf", "csv": "text/csv", "json": "application/json"}
# Fixed timestamps inside the ZIP: the same data gives the same bytes.
ZIP_DATE = (2000, 1, 1, 0, 0, 0)


@bp.get("/c/<slug>/export")
@requires("reviewer")
def export_page(slug: str) -> str:
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        return render_template("staff/export.html", campaign=campaign)


@bp.get("/c/<slug>/export.<fmt>")
@requires("reviewer")
def export_file(slug: str, fmt: str) -> Response:
    if fmt not in (*MIMETYPES, "zip"):
        return Response(status=404)
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        if fmt == "zip":
            return send_file(
                _bundle(s, campaign),
                mimetype="application/zip",
                as_attachment=True,
                download_name=f"{slug}.zip",
            )
        if fmt == "pdf":
            out = io.BytesIO()
            write_pdf(s, campaign, out)
            body = out.getvalue()
        else:
            text = io.StringIO()
            if fmt == "csv":
                write_csv(counted_rows(s, campaign), text)
            else:
                write_json(campaign, counted_rows(s, campaign), text)
            body = text.getvalue().encode()
    return Response(
        body,
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{slug}.{fmt}"'},
    )


def _bundle(session: so.Session, campaign: Campaign) -> IO[bytes]:
    """The bundle as a ZIP in a temporary file (recordings can be gigabytes: never in memory)."""
    # Handed to send_file, which closes it (and so deletes it) once the download is sent.
    out = tempfile.TemporaryFile(prefix="petition-export-")  # noqa: SIM115
    with tempfile.TemporaryDirectory(prefix="petition-export-") as tmp:
        folder = Path(tmp) / campaign.slug
        write_export(session, campaign, folder, recordings_root=services().settings.recordings_dir)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                info = zipfile.ZipInfo(f"{campaign.slug}/{path.relative_to(folder)}", ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(path, "rb") as src, zf.open(info, "w") as dst:
                    shutil.copyfileobj(src, dst)
    out.seek(0)
    return out
