"""What staff give the public: the image on the public page (admins) and the poster (everyone
who signs in): a PDF to print, A4 or A3, and a square PNG, in each of the campaign's languages.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from werkzeug.wrappers.response import Response as Redirect

from ivr.i18n import gettext
from ivr.media import campaign_image_path
from ivr.services import services
from ivr.staff.auth import bp, campaign_or_404, requires, user
from ivr.urls import absolute
from petition import audit
from petition.models import Campaign
from petition.reporting.campaign_image import ImageRejected, store_image
from petition.reporting.poster import SIZES, PosterText, poster_pdf, poster_png, poster_text


def _back(slug: str) -> Redirect:
    return redirect(url_for("staff.campaign_details", slug=slug) + "#image")


def _text(campaign: Campaign) -> PosterText:
    lang = request.args.get("lang") or campaign.language_list[0]
    if lang not in campaign.language_list:
        abort(404)
    return poster_text(campaign, lang, absolute("public_page.page", slug=campaign.slug, lang=lang))


@bp.post("/c/<slug>/image")
@requires("admin")
def upload_image(slug: str) -> Redirect:
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        upload = request.files.get("image")  # past 20 MB, auth.error_page answers
        if upload is None or not upload.filename:
            flash(gettext("Choose an image to upload."), "error")
            return _back(slug)
        try:
            width, height = store_image(upload.stream, campaign_image_path(campaign))
        except ImageRejected as exc:
            flash(gettext(exc.message, **exc.values), "error")
            return _back(slug)
        audit.record(
            s,
            actor=user().email,
            action="public_image_uploaded",
            campaign_id=campaign.id,
            before=None,
            after={"width": width, "height": height},
        )
    flash(gettext("Image saved. The public page shows it."), "success")
    return _back(slug)


@bp.post("/c/<slug>/image/remove")
@requires("admin")
def remove_image(slug: str) -> Redirect:
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        campaign_image_path(campaign).unlink(missing_ok=True)
        audit.record(
            s,
            actor=user().email,
            action="public_image_removed",
            campaign_id=campaign.id,
            before=None,
            after=None,
        )
    flash(gettext("Image removed."), "success")
    return _back(slug)


@bp.get("/c/<slug>/poster.pdf")
def poster(slug: str) -> Response:
    size = request.args.get("size", "A4").upper()
    if size not in SIZES:
        abort(404)
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        text = _text(campaign)
        made = campaign.created_at
    name = f"poster-{slug}-{request.args.get('lang') or 'default'}-{size}.pdf"
    return Response(
        poster_pdf(text, size, made),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/c/<slug>/poster.png")
def poster_square(slug: str) -> Response:
    with services().db.session() as s:
        text = _text(campaign_or_404(s, slug))
    name = f"poster-{slug}-{request.args.get('lang') or 'default'}.png"
    return Response(
        poster_png(text),
        mimetype="image/png",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
