"""Public progress a campaign can embed: totals only, no personal data, cached briefly.

`progress.json` for scripts, `badge.svg` for a README or a newsletter (`?lang=` for its words,
`?title=1` for the campaign's name in it); the pages are ivr/public_page.py.
"""

from __future__ import annotations

import time
from typing import Any
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort, jsonify, request

from ivr import i18n
from ivr.services import services
from petition.counting.tally import campaign_rule, counted_tally
from petition.counting.thresholds import bar_percent, progress
from petition.line.campaigns import line_state
from petition.models import Campaign, utcnow
from petition.reporting.public_face import shown_number

bp = Blueprint("public", __name__, url_prefix="/p")

CACHE_SECONDS = 10
_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def clear_cache() -> None:
    _cache.clear()


def public_progress(slug: str) -> dict[str, Any]:
    key = f"{services().db.url}|{slug}"
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    with services().db.session() as s:
        campaign = s.query(Campaign).filter_by(slug=slug).one_or_none()
        if campaign is None:
            abort(404)
        now = utcnow()
        tally = counted_tally(s, campaign)
        p = progress(campaign_rule(campaign), tally, now)
        line = line_state(campaign, now)
        data = {
            "campaign": campaign.slug,
            "title": campaign.title,
            "description": campaign.description,
            "open": line.value == "open",
            "line": line.value,
            "numbers": [
                {"e164": n.number, "shown": shown_number(n.number).international}
                for n in campaign.numbers
            ],
            "languages": campaign.language_list,
            "signatures": tally.total,
            "target": p.target,
            "percent": round(p.percent, 1),
            # Signatures against the rule's total, visible from the first one on (the rule's
            # own progress, regional minimums and all, is "percent").
            "bar": bar_percent(tally.total, p.target),
            "share": round(100 * tally.total / p.target, 1),
            "reached": p.reached,
            "rule": p.key,
            "rule_title": p.title,
            "asks_postcode": campaign.ask_postcode,
            "regions": [
                {
                    "region": item.region.value,
                    "count": item.count,
                    "minimum": item.minimum,
                    "bar": bar_percent(item.count, item.minimum),
                }
                for item in p.regions
                if item.minimum
            ],
        }
    _cache[key] = (time.monotonic(), data)
    return data


@bp.get("/<slug>/progress.json")
def progress_json(slug: str) -> Response:
    resp = jsonify(public_progress(slug))
    resp.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


def _text_width(text: str) -> int:
    """About how wide Verdana 13px sets `text`, in pixels."""
    return 8 * len(text)


@bp.get("/<slug>/badge.svg")
def badge(slug: str) -> Response:
    data = public_progress(slug)
    i18n.use_language(request.args.get("lang") or i18n.best_accepted())
    label = i18n.ngettext(
        "%(num)s / %(target)s signature",
        "%(num)s / %(target)s signatures",
        data["signatures"],
        target=i18n.num(data["target"]),
    )
    name = data["title"] if request.args.get("title") in ("1", "yes", "true") else ""
    left = _text_width(name) + 20 if name else 0
    right = _text_width(label) + 24
    width = left + right
    fill = min(1.0, data["bar"] / 100)
    title = f"{name}: {label}" if name else label
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="28" role="img" '
        f'aria-label="{escape(title, {chr(34): "&quot;"})}">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="28" rx="4" fill="#1f2937"/>',
        f'<rect x="{left}" width="{int(right * fill)}" height="28" rx="4" fill="#047857"/>',
    ]
    if name:
        parts.append(f'<rect width="{left}" height="28" rx="4" fill="#374151"/>')
        parts.append(
            f'<text x="{left // 2}" y="19" fill="#ffffff" font-family="Verdana,sans-serif" '
            f'font-size="13" text-anchor="middle">{escape(name)}</text>'
        )
    parts.append(
        f'<text x="{left + right // 2}" y="19" fill="#ffffff" font-family="Verdana,sans-serif" '
        f'font-size="13" text-anchor="middle">{escape(label)}</text>'
    )
    resp = Response("\n".join(parts) + "\n</svg>", mimetype="image/svg+xml")
    resp.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    resp.headers["Vary"] = "Accept-Language"
    return resp
