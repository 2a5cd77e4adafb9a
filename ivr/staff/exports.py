"""Export for parliament from the dashboard: the same files as `petition export`."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import sqlalchemy.orm as so
from flask import Response, render_template

from ivr.app import services
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
            body = _bundle(s, campaign)
        elif fmt == "pdf":
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
        mimetype="application/zip" if fmt == "zip" else MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{slug}.{fmt}"'},
    )


def _bundle(session: so.Session, campaign: Campaign) -> bytes:
    with tempfile.TemporaryDirectory(prefix="petition-export-") as tmp:
        folder = Path(tmp) / campaign.slug
        write_export(session, campaign, folder, recordings_root=services().settings.recordings_dir)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                info = zipfile.ZipInfo(f"{campaign.slug}/{path.relative_to(folder)}", ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())
        return out.getvalue()
