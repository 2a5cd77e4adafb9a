"""The campaign's public face: `/p/<slug>/`, the page that recruits callers, `/p/<slug>/embed`,
the small widget a campaign frames on its own site, their share image and the campaign's image.

The page: title, organisation, description and image; a large call button (tel:) with the
number written out for landlines; the call in three steps with its length; the privacy notice
in plain words; progress and regions, refreshed from progress.json every few seconds by a
script served from here. Nothing is fetched from another host: no web fonts, no trackers.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, render_template, request

from ivr import i18n
from ivr.media import campaign_image_path, campaign_image_version, public_cache_dir
from ivr.public import CACHE_SECONDS, public_progress
from ivr.services import services
from ivr.urls import absolute
from petition.counting.regions import Region, region_label
from petition.i18n import LANGUAGES, Localizer
from petition.line.campaigns import by_slug
from petition.models import Campaign
from petition.reporting import public_face
from petition.reporting.share_image import ShareCard, cached_share_png

bp = Blueprint("public_page", __name__, url_prefix="/p")

POLL_SECONDS = 10  # progress.json is itself cached for CACHE_SECONDS
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'"
)


def _campaign(slug: str) -> Campaign:
    with services().db.session() as s:
        campaign = by_slug(s, slug)
        if campaign is None:
            abort(404)
        campaign.numbers  # noqa: B018 (loaded before the session closes)
        s.expunge(campaign)
        return campaign


def _language(campaign: Campaign) -> str:
    """?lang= when the campaign speaks it, else the browser's best among the campaign's
    languages, else the campaign's first."""
    spoken = campaign.language_list or list(LANGUAGES)
    asked = request.args.get("lang")
    if asked in spoken:
        return str(asked)
    return request.accept_languages.best_match(spoken) or spoken[0]


def _public(resp: Response, csp: str) -> Response:
    resp.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    resp.headers["Vary"] = "Accept-Language"
    resp.headers["Content-Security-Policy"] = csp
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return resp


@bp.get("/<slug>/")
def page(slug: str) -> Response:
    campaign = _campaign(slug)
    data = public_progress(slug)
    lang = i18n.use_language(_language(campaign))
    loc = Localizer(lang)
    numbers = [public_face.shown_number(n["e164"]) for n in data["numbers"]]
    alternates = {
        code: absolute("public_page.page", slug=slug, lang=code) for code in campaign.language_list
    }
    version = campaign_image_version(campaign)
    html = render_template(
        "public/page.html",
        data=data,
        lang=lang,
        campaign=campaign,
        numbers=numbers,
        country=numbers[0].country_name(lang) if numbers and numbers[0].country else "",
        steps=public_face.steps(campaign, loc),
        call_length=public_face.call_length(campaign, loc),
        help_offer=public_face.help_offer(campaign, loc),
        privacy=public_face.privacy_notice(campaign, loc),
        alternates=alternates,
        canonical=alternates.get(lang) or absolute("public_page.page", slug=slug),
        image_url=(absolute("public_page.image", slug=slug, v=version) if version else None),
        # Versioned by the count's step: a network that keeps its copy gets the new one then.
        share_url=absolute(
            "public_page.share_image",
            slug=slug,
            lang=lang,
            v=public_face.rounded_count(data["signatures"])[0],
        ),
        poll_seconds=POLL_SECONDS,
        region_name=lambda code: region_label(Region(code), lang),
    )
    return _public(Response(html, mimetype="text/html"), PAGE_CSP)


@bp.get("/<slug>/embed")
def embed(slug: str) -> Response:
    """The small widget, to frame on the campaign's own site: no frame-ancestors limit."""
    campaign = _campaign(slug)
    data = public_progress(slug)
    lang = i18n.use_language(_language(campaign))
    html = render_template(
        "public/embed.html",
        data=data,
        lang=lang,
        page_url=absolute("public_page.page", slug=slug, lang=lang),
        region_name=lambda code: region_label(Region(code), lang),
    )
    return _public(
        Response(html, mimetype="text/html"),
        "default-src 'none'; style-src 'self'; img-src data:",
    )


@bp.get("/<slug>/share.png")
def share_image(slug: str) -> Response:
    """The Open Graph image, 1200×630, in ?lang=: drawn again only when the count moves by a
    step (public_face.rounded_count) or the campaign's words change."""
    campaign = _campaign(slug)
    data = public_progress(slug)
    lang = _language(campaign)
    card = ShareCard(
        title=campaign.title,
        organisation=campaign.organisation_name.strip(),
        number=data["numbers"][0]["shown"] if data["numbers"] else None,
        signatures=data["signatures"],
        target=data["target"],
        line=data["line"],
    )
    path = cached_share_png(public_cache_dir(campaign), card, Localizer(lang))
    return _file(path, "image/png", 300)


@bp.get("/<slug>/image.jpg")
def image(slug: str) -> Response:
    campaign = _campaign(slug)
    path = campaign_image_path(campaign)
    if not path.exists():
        abort(404)
    # The URL carries ?v=<its time>, so a new image is a new URL: cache it for a day.
    return _file(path, "image/jpeg", 86400)


def _file(path: Path, mimetype: str, max_age: int) -> Response:
    """A small file (a few hundred KB at most), read whole: it may be replaced meanwhile."""
    resp = Response(path.read_bytes(), mimetype=mimetype)
    resp.headers["Cache-Control"] = f"public, max-age={max_age}"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
