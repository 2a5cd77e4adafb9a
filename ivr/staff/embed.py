"""`/p/<slug>/`: the public page a campaign links to or embeds in an iframe.

Its title and description, the number to call as a tel: link, and progress (a bar that shows
from the first signature on, the regions when the rule counts by region), in the visitor's
language (`?lang=`, else Accept-Language) with that language's numbers. The same figures as
progress.json (ivr/public.py): totals only, no personal data.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from ivr import i18n
from ivr.public import CACHE_SECONDS, public_progress
from petition.counting.regions import Region, region_label

bp = Blueprint("embed", __name__, url_prefix="/p")


@bp.get("/<slug>/")
def progress_page(slug: str) -> Response:
    data = public_progress(slug)
    lang = i18n.use_language(request.args.get("lang") or i18n.best_accepted())
    html = render_template(
        "public/embed.html",
        data=data,
        lang=lang,
        region_name=lambda code: region_label(Region(code), lang),
    )
    resp = Response(html, mimetype="text/html")
    resp.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    resp.headers["Vary"] = "Accept-Language"
    # Meant to be framed by the campaign's own site: no frame-ancestors limit, nothing else.
    resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'self'; img-src data:"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
