"""Guarding the count: a group of same-audio recordings reviewed as one item, and bulk
invalidation with a preview (petition/review/bulk.py), undone as one."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers.response import Response

from ivr import i18n
from ivr.i18n import gettext, num
from ivr.services import services
from ivr.staff.auth import bp, campaign_or_404, requires, user
from ivr.staff.overview import forget_stats
from ivr.staff.reviewing import audio_path
from petition.counting.regions import Region, region_label
from petition.i18n import N_, time_zone, to_utc
from petition.integrity import replays
from petition.models import Campaign, Reason, SignatureState
from petition.review import bulk

GROUP_SHOWN = 200


# The selection's fields as the page's form and query string name them.
FIELDS = ("range", "since", "until", "group", "state", "reason")


def _when(value: str | None, zone: ZoneInfo) -> datetime | None:
    """A time typed on the campaign's clock (datetime-local) as a stored UTC time."""
    try:
        return to_utc(datetime.fromisoformat(value), zone) if value else None
    except ValueError:
        return None


def _selection(form: Any, campaign: Campaign) -> bulk.Selection:
    zone = time_zone(campaign.time_zone)
    group = form.get("group", "")
    return bulk.Selection(
        number_range=(form.get("range") or "").strip() or None,
        since=_when(form.get("since"), zone),
        until=_when(form.get("until"), zone),
        audio_group=int(group) if group.isdigit() else None,
        state=form.get("state") if form.get("state") in bulk.CHANGEABLE else None,
        reason=form.get("reason") if form.get("reason") in list(Reason) else None,
    )


def _region_names() -> dict[str, str]:
    lang = i18n.current_language()
    return {r.value: region_label(r, lang) for r in Region}


@bp.get("/c/<slug>/group/<int:group_id>")
@requires("reviewer")
def audio_group(slug: str, group_id: int) -> str:
    """One voice from many numbers: the group's recordings, to listen to, and one decision."""
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        members = replays.group_members(s, campaign.id, group_id)
        if not members:
            abort(404)
        selection = bulk.Selection(audio_group=group_id)
        seen = bulk.preview(s, campaign, selection)
        playable = {m.id for m in members[:GROUP_SHOWN] if audio_path(m.recording) is not None}
        numbers = len({m.caller_hash or m.public_id for m in members})
        ranges = sorted({m.call.caller_range for m in members if m.call.caller_range})
    return render_template(
        "staff/group.html",
        campaign=campaign,
        group_id=group_id,
        members=members[:GROUP_SHOWN],
        total=len(members),
        waiting=sum(m.state == SignatureState.NEEDS_REVIEW for m in members),
        numbers=numbers,
        ranges=ranges,
        playable=playable,
        preview=seen,
        region_names=_region_names(),
    )


@bp.post("/c/<slug>/group/<int:group_id>/reject")
@requires("reviewer")
def reject_group(slug: str, group_id: int) -> Response:
    """Reject the whole group as one voice replayed: one bulk action, undone as one."""
    selection = bulk.Selection(audio_group=group_id)
    back = url_for("staff.audio_group", slug=slug, group_id=group_id)
    done = N_("Rejected as one voice: %(n)s. Undo below if that was wrong.")
    return _apply(slug, selection, Reason.SAME_AUDIO, done, back)


@bp.get("/c/<slug>/bulk")
@requires("reviewer")
def bulk_page(slug: str) -> str:
    """Choose signatures, see what invalidating them would change, then apply it."""
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        selection = _selection(request.args, campaign)
        seen = None if selection.is_empty() else bulk.preview(s, campaign, selection)
        actions = bulk.recent(s, campaign.id)
    return render_template(
        "staff/bulk.html",
        campaign=campaign,
        chosen=request.args,
        fields=FIELDS,
        selection=selection,
        preview=seen,
        actions=actions,
        states=bulk.CHANGEABLE,
        reasons=list(Reason),
        bulk_reasons=bulk.REASONS,
        region_names=_region_names(),
    )


@bp.post("/c/<slug>/bulk/apply")
@requires("reviewer")
def bulk_apply(slug: str) -> Response:
    with services().db.session() as s:
        selection = _selection(request.form, campaign_or_404(s, slug))
    chosen: dict[str, Any] = {key: request.form[key] for key in FIELDS if request.form.get(key)}
    back = url_for("staff.bulk_page", slug=slug, **chosen)
    done = N_("Invalidated: %(n)s. Undo below if that was wrong.")
    return _apply(slug, selection, request.form.get("bulk_reason", ""), done, back)


def _apply(slug: str, selection: bulk.Selection, reason: str, done: str, back: str) -> Response:
    """Invalidate the selection as previewed (the form carries the preview's digest); on to
    the bulk page, where it can be undone, or back to `back` saying why not. `done` is the
    message to show (marked with N_), %(n)s the number invalidated."""
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        try:
            action = bulk.apply(
                s,
                campaign,
                selection,
                reason=reason,
                actor=user().email,
                digest=request.form.get("digest", ""),
                note=request.form.get("note") or None,
            )
            changed = action.changed
        except bulk.BulkError as exc:
            s.rollback()
            flash(str(exc), "error")
            return redirect(back)
    forget_stats(slug)
    flash(gettext(done, n=num(changed)), "success")
    return redirect(url_for("staff.bulk_page", slug=slug))


@bp.post("/c/<slug>/bulk/<int:action_id>/undo")
@requires("reviewer")
def bulk_undo(slug: str, action_id: int) -> Response:
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        try:
            undone = bulk.undo(s, campaign, action_id, user().email)
        except bulk.BulkError as exc:
            s.rollback()
            flash(str(exc), "error")
            return redirect(url_for("staff.bulk_page", slug=slug))
    forget_stats(slug)
    flash(
        gettext(
            "Undone: %(n)s back as they were; %(skipped)s changed since and left as they are.",
            n=num(undone.restored),
            skipped=num(undone.skipped),
        ),
        "success",
    )
    return redirect(url_for("staff.bulk_page", slug=slug))
