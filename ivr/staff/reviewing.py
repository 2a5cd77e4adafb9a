"""Review by ear: the two queues, one signature at a time, its recording, and the decisions.

The decisions themselves are in petition.review; these views parse the form, check that the
reviewer saw the signature as it is now, and move on to the next one in the queue.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers.response import Response

from ivr.app import services
from ivr.staff import i18n
from ivr.staff.auth import bp, campaign_or_404, requires, user
from ivr.staff.overview import forget_stats
from petition import review
from petition.models import Campaign, Recording, Signature

LIST_LIMIT = 200


def _tab(value: str | None) -> str:
    return review.NAME_CHECKS if value == review.NAME_CHECKS else review.REVIEW


def _signature_or_404(
    s: so.Session, campaign: Campaign, public_id: str, lock: bool = False
) -> Signature:
    query = sa.select(Signature).where(
        Signature.campaign_id == campaign.id, Signature.public_id == public_id
    )
    # Two reviewers deciding the same signature at once: the second waits, then sees the first's
    # decision (PostgreSQL; SQLite serialises writers anyway).
    sig = s.scalar(query.with_for_update() if lock else query)
    if sig is None:
        abort(404)
    return sig


def _after(sig: Signature) -> Any:
    return sa.or_(
        Signature.signed_at > sig.signed_at,
        sa.and_(Signature.signed_at == sig.signed_at, Signature.id > sig.id),
    )


def _before(sig: Signature) -> Any:
    return sa.or_(
        Signature.signed_at < sig.signed_at,
        sa.and_(Signature.signed_at == sig.signed_at, Signature.id < sig.id),
    )


def _first(s: so.Session, *where: Any, descending: bool = False) -> str | None:
    order = (
        (Signature.signed_at.desc(), Signature.id.desc())
        if descending
        else (Signature.signed_at, Signature.id)
    )
    found: str | None = s.scalar(
        sa.select(Signature.public_id).where(*where).order_by(*order).limit(1)
    )
    return found


def _count(s: so.Session, *where: Any) -> int:
    return int(s.scalar(sa.select(sa.func.count()).select_from(Signature).where(*where)) or 0)


@bp.get("/c/<slug>/review")
def review_list(slug: str) -> str:
    tab = _tab(request.args.get("tab"))
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        counts = {
            name: _count(s, review.queue_filter(campaign.id, name))
            for name in (review.REVIEW, review.NAME_CHECKS)
        }
        items = list(
            s.scalars(
                sa.select(Signature)
                .where(review.queue_filter(campaign.id, tab))
                .order_by(Signature.signed_at, Signature.id)
                .limit(LIST_LIMIT)
            )
        )
    return render_template(
        "staff/review_list.html",
        campaign=campaign,
        tab=tab,
        counts=counts,
        items=items,
        limit=LIST_LIMIT,
    )


@bp.get("/c/<slug>/s/<public_id>")
def signature(slug: str, public_id: str) -> str:
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        sig = _signature_or_404(s, campaign, public_id)
        waiting = review.waiting_in(sig)
        tab = _tab(request.args.get("tab") or waiting)
        in_queue = review.queue_filter(campaign.id, tab)
        nav = {
            "prev": _first(s, in_queue, _before(sig), descending=True),
            "next": _first(s, in_queue, _after(sig)),
            "position": _count(s, in_queue, _before(sig)) + 1,
            "total": _count(s, in_queue),
        }
        other = s.get(Signature, sig.duplicate_of_id) if sig.duplicate_of_id else None
        return render_template(
            "staff/signature.html",
            campaign=campaign,
            sig=sig,
            other=other,
            waiting=waiting,
            tab=tab,
            nav=nav,
            version=review.version(sig),
            has_audio=_audio_path(sig.recording) is not None,
            other_has_audio=other is not None and _audio_path(other.recording) is not None,
            reasons=review.REJECT_REASONS,
        )


def _audio_path(rec: Recording | None) -> Path | None:
    if rec is None or not rec.storage_path or rec.deleted_at is not None:
        return None
    root = services().settings.recordings_dir.resolve()
    path = Path(rec.storage_path).resolve()
    # Only files under the recordings folder are ever served, whatever the row says.
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


@bp.get("/c/<slug>/s/<public_id>/audio")
@requires("reviewer")
def recording(slug: str, public_id: str) -> Response:
    with services().db.session() as s:
        sig = _signature_or_404(s, campaign_or_404(s, slug), public_id)
        path = _audio_path(sig.recording)
    if path is None:
        abort(404)
    mimetype = mimetypes.guess_type(path.name)[0] or "audio/wav"
    # conditional=True answers Range requests (206), which the <audio> element uses to seek.
    resp = send_file(path, mimetype=mimetype, conditional=True, max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _decide(slug: str, public_id: str, act: Callable[[so.Session, Signature], str]) -> Response:
    """Run one decision, then go to the next signature waiting in the same queue."""
    tab = request.form.get("tab")
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        sig = _signature_or_404(s, campaign, public_id, lock=True)
        here = url_for("staff.signature", slug=slug, public_id=public_id, tab=tab)
        if request.form.get("version") != review.version(sig):
            flash(i18n.translate("review.stale"), "warning")
            return redirect(here)
        try:
            flash(i18n.translate(act(s, sig)), "success")
        except review.ReviewError as exc:
            flash(str(exc), "error")
            return redirect(here)
        following = None
        if tab in (review.REVIEW, review.NAME_CHECKS):
            in_queue = review.queue_filter(campaign.id, tab)
            s.flush()
            # The next one from here (this one again if it still waits), else from the start.
            following = _first(s, in_queue, sa.not_(_before(sig))) or _first(s, in_queue)
    forget_stats(slug)  # committed: this process shows the new count at once
    if tab not in (review.REVIEW, review.NAME_CHECKS):
        return redirect(here)  # opened from the signatures list, not from a queue
    if following is None:
        flash(i18n.translate("review.queue_done"), "info")
        return redirect(url_for("staff.review_list", slug=slug, tab=tab))
    return redirect(url_for("staff.signature", slug=slug, public_id=following, tab=tab))


@bp.post("/c/<slug>/s/<public_id>/accept")
@requires("reviewer")
def accept(slug: str, public_id: str) -> Response:
    def act(s: so.Session, sig: Signature) -> str:
        was_counted = sig.state == "counted"
        name = " ".join(request.form.get("name", "").split()) or None
        changed = name if name is not None and name != sig.name else None
        if not review.accept(s, sig, user().email, name=changed):
            return "done.accepted_duplicate"
        return "done.confirmed" if was_counted else "done.accepted"

    return _decide(slug, public_id, act)


@bp.post("/c/<slug>/s/<public_id>/name")
@requires("reviewer")
def correct_name(slug: str, public_id: str) -> Response:
    def act(s: so.Session, sig: Signature) -> str:
        review.correct_name(s, sig, user().email, request.form.get("name", ""))
        return "done.name"

    return _decide(slug, public_id, act)


@bp.post("/c/<slug>/s/<public_id>/reject")
@requires("reviewer")
def reject(slug: str, public_id: str) -> Response:
    def act(s: so.Session, sig: Signature) -> str:
        review.reject(s, sig, user().email, request.form.get("reason", ""))
        return "done.rejected"

    return _decide(slug, public_id, act)


@bp.post("/c/<slug>/s/<public_id>/duplicate")
@requires("reviewer")
def mark_duplicate(slug: str, public_id: str) -> Response:
    def act(s: so.Session, sig: Signature) -> str:
        other = s.get(Signature, sig.duplicate_of_id) if sig.duplicate_of_id else None
        if other is None:
            raise review.ReviewError("there is no other signature to compare with")
        review.mark_duplicate(s, sig, other, user().email)
        return "done.duplicate"

    return _decide(slug, public_id, act)
