"""Staff API: JSON figures and the CSV of counted signatures, behind bearer tokens."""

from __future__ import annotations

import io

import sqlalchemy.orm as so
from flask import Blueprint, Response, abort, jsonify

from ivr.security import bearer_token
from ivr.services import services
from petition import campaigns
from petition.export import counted_rows, write_csv
from petition.models import Campaign
from petition.stats import campaign_stats

bp = Blueprint("api", __name__, url_prefix="/api")


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
