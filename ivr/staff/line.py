"""The campaign's line at the carrier (admins): connect a number, put it back, run the
preflight checklist, place a test call. The carrier's side is in ivr/carrier/.

Every action is in the audit log; each form posts, then redirects back with what happened.
"""

from __future__ import annotations

from datetime import UTC, datetime

import redis
from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers.response import Response

from ivr.carrier import connection
from ivr.carrier import preflight as checklist
from ivr.carrier.connection import VOICE_PATH, ConnectRefused
from ivr.carrier.rest import Bytes, Carrier, CarrierError, Said
from ivr.i18n import file_size, gettext
from ivr.services import services
from ivr.staff.auth import bp, campaign_or_404, requires, user
from petition import audit
from petition.privacy import phones


def said(message: Said) -> str:
    """A message in the request's language, its sizes written as that language writes them."""
    values = {
        name: file_size(value) if isinstance(value, Bytes) else value
        for name, value in message.values.items()
    }
    return gettext(message.message, **values)


def _lock() -> redis.Redis | None:
    try:
        conn = services().queue.connection
        conn.ping()
        return conn
    except (redis.RedisError, OSError):
        return None


def _back(slug: str, anchor: str = "") -> Response:
    return redirect(url_for("staff.line", slug=slug) + anchor)


@bp.get("/c/<slug>/line")
@requires("admin")
def line(slug: str) -> str:
    svc = services()
    settings = svc.settings
    error = None
    listed: list[connection.Listed] = []
    with svc.db.session() as s:
        campaign = campaign_or_404(s, slug)
        connected = [n for n in campaign.numbers if n.carrier_sid]
        try:
            listed = connection.survey(
                svc.db, Carrier(settings), settings.public_base_url, campaign
            )
        except CarrierError as exc:
            error = said(exc.said)
        lines = None
        if request.args.get("check") == "1":
            queue = svc.queue if _lock() is not None else None
            lines = checklist.run(settings, s, campaign, queue, datetime.now(UTC))
    return render_template(
        "staff/line.html",
        campaign=campaign,
        connected=connected,
        listed=listed,
        error=error,
        lines=lines,
        titles=checklist.TITLES,
        said=said,
        base=settings.public_base_url,
        api_base=settings.twilio_api_base,
        ours=connection.webhook_settings(settings.public_base_url or ""),
    )


@bp.post("/c/<slug>/line/connect")
@requires("admin")
def connect_number(slug: str) -> Response:
    svc = services()
    with svc.db.session() as s:
        slug = campaign_or_404(s, slug).slug
    try:
        done = connection.connect(
            svc.db,
            Carrier(svc.settings),
            svc.settings,
            slug,
            actor=user().email,
            number=request.form.get("number") or None,
            replace=request.form.get("replace") == "1",
            lock=_lock(),
        )
    except (ConnectRefused, CarrierError) as exc:
        flash(said(exc.said), "error")
        return _back(slug, "#numbers")
    if done.changed:
        flash(
            gettext(
                "%(number)s now sends its calls to this campaign. What was there before is "
                "kept, to put back.",
                number=done.phone_number,
            ),
            "success",
        )
    else:
        flash(
            gettext(
                "%(number)s already sends its calls here; nothing changed.",
                number=done.phone_number,
            ),
            "info",
        )
    return _back(slug, "#numbers")


@bp.post("/c/<slug>/line/disconnect")
@requires("admin")
def disconnect_number(slug: str) -> Response:
    svc = services()
    with svc.db.session() as s:
        slug = campaign_or_404(s, slug).slug
    try:
        done = connection.disconnect(
            svc.db, Carrier(svc.settings), svc.settings, slug, actor=user().email, lock=_lock()
        )
    except (ConnectRefused, CarrierError) as exc:
        flash(said(exc.said), "error")
        return _back(slug, "#numbers")
    for d in done:
        if d.restored:
            flash(gettext("%(number)s was put back as it was.", number=d.phone_number), "success")
        else:
            flash(
                gettext(
                    "%(number)s no longer sent its calls here; it was left as it was.",
                    number=d.phone_number,
                ),
                "info",
            )
    return _back(slug, "#numbers")


@bp.post("/c/<slug>/line/test-call")
@requires("admin")
def test_call(slug: str) -> Response:
    """Call a staff phone from the campaign's number; the call goes through the real flow and
    its signature is marked as a test (never counted)."""
    svc = services()
    base = svc.settings.public_base_url
    phone = phones.normalize(request.form.get("phone", ""))
    with svc.db.session() as s:
        campaign = campaign_or_404(s, slug)
        slug, campaign_id = campaign.slug, campaign.id
        source = next((n.number for n in campaign.numbers if n.carrier_sid), None)
    if phone is None:
        flash(gettext("Give the phone number to call, with its country code (+32...)."), "error")
        return _back(slug, "#test-call")
    if source is None or not base:
        flash(gettext("Connect a number first: the test call is made from it."), "error")
        return _back(slug, "#test-call")
    try:
        call_sid = Carrier(svc.settings).place_call(
            to=phone,
            from_=source,
            url=f"{base}{VOICE_PATH}?test=1",
            status_callback=f"{base}{connection.STATUS_PATH}",
        )
    except CarrierError as exc:
        flash(said(exc.said), "error")
        return _back(slug, "#test-call")
    with svc.db.session() as s:
        audit.record(
            s,
            actor=user().email,
            action="test_call",
            campaign_id=campaign_id,
            after={"to": phones.mask(phone), "from": source, "call_sid": call_sid},
        )
    flash(
        gettext(
            "Calling %(phone)s from %(number)s. Answer and sign as a caller would: the "
            "signature is marked as a test and never counts.",
            phone=phones.mask(phone),
            number=source,
        ),
        "success",
    )
    return _back(slug, "#test-call")
