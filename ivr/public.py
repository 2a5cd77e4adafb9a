"""Public progress a campaign can embed: totals only, no personal data, cached briefly."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, abort, jsonify

from ivr.services import services
from petition.models import Campaign, utcnow
from petition.stats import campaign_rule, counted_tally
from petition.thresholds import progress

bp = Blueprint("public", __name__, url_prefix="/p")

CACHE_SECONDS = 10
_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def public_progress(slug: str) -> dict[str, Any]:
    key = f"{services().db.url}|{slug}"
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    with services().db.session() as s:
        campaign = s.query(Campaign).filter_by(slug=slug).one_or_none()
        if campaign is None:
            abort(404)
        tally = counted_tally(s, campaign)
        p = progress(campaign_rule(campaign), tally, utcnow())
        data = {
            "campaign": campaign.slug,
            "title": campaign.title,
            "open": campaign.is_open,
            "signatures": tally.total,
            "target": p.target,
            "percent": round(p.percent, 1),
            "reached": p.reached,
        }
    _cache[key] = (time.monotonic(), data)
    return data


@bp.get("/<slug>/progress.json")
def progress_json(slug: str) -> Response:
    resp = jsonify(public_progress(slug))
    resp.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


@bp.get("/<slug>/badge.svg")
def badge(slug: str) -> Response:
    data = public_progress(slug)
    label = f"{data['signatures']:,} / {data['target']:,}"
    width = 60 + 8 * len(label)
    fill = min(1.0, data["percent"] / 100)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="28" role="img" '
        f'aria-label="{label} signatures">\n'
        f"<title>{label} signatures</title>\n"
        f'<rect width="{width}" height="28" rx="4" fill="#1f2937"/>\n'
        f'<rect width="{int(width * fill)}" height="28" rx="4" fill="#047857"/>\n'
        f'<text x="{width // 2}" y="19" fill="#ffffff" font-family="Verdana,sans-serif" '
        f'font-size="13" text-anchor="middle">{label}</text>\n</svg>'
    )
    resp = Response(svg, mimetype="image/svg+xml")
    resp.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return resp
