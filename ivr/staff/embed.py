"""`/p/<slug>/`: a tiny public progress page a campaign can embed in an iframe.

The same figures as progress.json (ivr/public.py): totals only, no personal data.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from ivr.public import CACHE_SECONDS, public_progress
from ivr.staff import i18n

bp = Blueprint("embed", __name__, url_prefix="/p")


@bp.get("/<slug>/")
def progress_page(slug: str) -> Response:
    data = public_progress(slug)
    lang = request.args.get("lang", "")
    if lang not in i18n.LANGUAGES:
        lang = request.accept_languages.best_match(i18n.LANGUAGES) or "en"

    def t(message_id: str, **values: object) -> str:
        return i18n.translate(message_id, lang, **values)

    html = render_template(
        "public/embed.html",
        data=data,
        lang=lang,
        t=t,
        num=lambda n: i18n.format_number(n, lang),
    )
    resp = Response(html, mimetype="text/html")
    resp.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    resp.headers["Vary"] = "Accept-Language"
    # Meant to be framed by the campaign's own site: no frame-ancestors limit, nothing else.
    resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'self'; img-src data:"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
