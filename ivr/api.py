"""Staff API: JSON figures and the CSV of counted signatures, behind bearer tokens.

Errors are JSON too (`{"error": "Unauthorized", "status": 401}`), for a missing token as for a
URL under /api/ that does not exist.
"""

from __future__ import annotations

import io
from typing import Any

import sqlalchemy.orm as so
from flask import Blueprint, Flask, Response, abort, jsonify, request
from werkzeug.exceptions import HTTPException

from ivr.security import bearer_token
from ivr.services import services
from petition.line import campaigns
from petition.models import Campaign
from petition.reporting.export import counted_rows, write_csv
from petition.reporting.stats import campaign_stats

bp = Blueprint("api", __name__, url_prefix="/api")


def json_error(exc: HTTPException) -> Response:
    code = exc.code or 500
    resp = jsonify({"error": exc.name, "status": code})
    resp.status_code = code
    if code == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="petition"'
    return resp


@bp.record_once
def _json_errors_everywhere_under_api(state: object) -> None:
    """A URL under /api/ that matches no route never reaches the blueprint's own handler."""
    app: Flask = state.app  # type: ignore[attr-defined]

    def handle(exc: HTTPException) -> Any:
        if request.path.startswith("/api/"):
            return json_error(exc)
        return exc

    app.register_error_handler(404, handle)
    app.register_error_handler(405, handle)


bp.register_error_handler(HTTPException, json_error)


def campaign_or_404(s: so.Session, slug: str) -> Campaign:
    campaign = campaigns.by_slug(s, slug)
    if campaign is None:
        abort(404)
    return campaign


@bp.get("/campaigns/<slug>/stats")
@bearer_token("viewer")
def stats(slug: str) -> Response:
    with services().db.session() as s:
        return jsonify(campaign_stats(s, campaign_or_404(s, slug)))


@bp.get("/campaigns/<slug>/signatures.csv")
@bearer_token("viewer")
def signatures_csv(slug: str) -> Response:
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        buffer = io.StringIO()
        write_csv(counted_rows(s, campaign), buffer)
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{slug}-signatures.csv"'},
    )
