"""Review by ear: the two queues, one signature at a time, its recording, and the decisions.

The decisions themselves are in petition.review.queues; these views parse the form, check
that the reviewer saw the signature as it is now, and hand out the next item. Items come from
the queue under a lease (petition.review.queues.take), so reviewers working side by side never
get the same one; the page holds the current item and the next one, whose recording the
browser loads meanwhile.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, flash, redirect, render_template, request, send_file, session, url_for
from werkzeug.wrappers.response import Response

from ivr.i18n import gettext, ngettext
from ivr.services import services
from ivr.staff.auth import bp, campaign_or_404, requires, user
from ivr.staff.overview import forget_stats
from petition.integrity import replays
from petition.models import (
    AuditEvent,
    Campaign,
    Reason,
    Recording,
    Signature,
    SignatureState,
    utcnow,
)
from petition.names import keypad, lexicon, readback, sampling
from petition.operations import users
from petition.review import queues

LIST_LIMIT = 200
AUDIT_PAGE = 100
SUGGESTIONS = 3
SKIPPED_KEPT = 200  # per browser session: items a reviewer skipped are not handed back to them
# How long the browser may keep a recording it preloaded for the next item.
AUDIO_MAX_AGE = 600


def _tab(value: str | None) -> str:
    return queues.NAME_CHECKS if value == queues.NAME_CHECKS else queues.REVIEW


def _lease_seconds() -> int:
    return services().settings.review_lease_seconds


def _skipped() -> list[int]:
    return list(session.get("review_skipped", []))


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


def queue_counts(s: so.Session, campaign_id: int) -> dict[str, int]:
    return {name: queues.waiting(s, campaign_id, name) for name in queues.QUEUES}


@bp.get("/c/<slug>/review")
def review_list(slug: str) -> str:
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        counts = queue_counts(s, campaign.id)
        # Without a choice, open on the tab that has work.
        asked = request.args.get("tab")
        tab = _tab(asked or next((q for q in queues.QUEUES if counts[q]), queues.REVIEW))
        items = list(
            s.scalars(
                sa.select(Signature)
                .where(queues.queue_filter(campaign.id, tab))
                .order_by(Signature.signed_at, Signature.id)
                .limit(LIST_LIMIT)
            )
        )
        group_sizes = dict(
            s.execute(
                sa.select(Signature.audio_group_id, sa.func.count())
                .where(
                    Signature.campaign_id == campaign.id,
                    Signature.state == SignatureState.NEEDS_REVIEW,
                    Signature.reason == Reason.SAME_AUDIO,
                )
                .group_by(Signature.audio_group_id)
            ).all()
        )
    return render_template(
        "staff/review_list.html",
        campaign=campaign,
        tab=tab,
        counts=counts,
        items=items,
        rows=_rows(items, group_sizes),
        limit=LIST_LIMIT,
        now=utcnow(),
        holder=queues.holder,
    )


@bp.get("/c/<slug>/review/next")
@requires("reviewer")
def review_next(slug: str) -> Response:
    """Lease the next free item of the queue to this reviewer and open it."""
    tab = _tab(request.args.get("tab"))
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        item = queues.take(
            s, campaign.id, tab, user().email, exclude=_skipped(), seconds=_lease_seconds()
        )
        found = item.public_id if item else None
        group = _group_of(item)
    if found is None:
        flash(gettext("That was the last one in this queue."), "info")
        return redirect(url_for("staff.review_list", slug=slug, tab=tab))
    if group is not None:  # one voice from many numbers: reviewed as one item
        return redirect(url_for("staff.audio_group", slug=slug, group_id=group))
    return redirect(url_for("staff.signature", slug=slug, public_id=found, tab=tab))


def _group_of(sig: Signature | None) -> int | None:
    """The audio group a held signature waits with, if it is held as the same audio."""
    if sig is None or sig.reason != Reason.SAME_AUDIO or sig.state != SignatureState.NEEDS_REVIEW:
        return None
    return sig.audio_group_id


def _rows(items: list[Signature], group_sizes: dict[int | None, int]) -> list[dict[str, Any]]:
    """The queue's rows: a same-audio group once, where its first member waits."""
    rows: list[dict[str, Any]] = []
    shown: set[int] = set()
    for sig in items:
        group = _group_of(sig)
        if group is not None:
            if group in shown:
                continue
            shown.add(group)
        rows.append({"sig": sig, "group": group, "size": group_sizes.get(group, 0)})
    return rows


@bp.get("/c/<slug>/s/<public_id>")
def signature(slug: str, public_id: str) -> str:
    me = user()
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        sig = _signature_or_404(s, campaign, public_id)
        waiting = queues.waiting_in(sig)
        tab = _tab(request.args.get("tab") or waiting)
        held_by: str | None = None
        preload: Signature | None = None
        if waiting and users.has_role(me, "reviewer"):
            if queues.renew(sig, me.email, seconds=_lease_seconds()):
                # The next item is leased now, so its recording can load while this one plays.
                preload = queues.take(
                    s,
                    campaign.id,
                    tab,
                    me.email,
                    exclude=[sig.id, *_skipped()],
                    seconds=_lease_seconds(),
                )
                keep = [sig.id] + ([preload.id] if preload else [])
                queues.release_others(s, campaign.id, me.email, keep=keep)
            else:
                held_by = queues.holder(sig)
        in_queue = queues.queue_filter(campaign.id, tab)
        nav = {
            "prev": _first(s, in_queue, _before(sig), descending=True),
            "next": _first(s, in_queue, _after(sig)),
            "position": _count(s, in_queue, _before(sig)) + 1,
            "total": _count(s, in_queue),
        }
        other = s.get(Signature, sig.duplicate_of_id) if sig.duplicate_of_id else None
        twins = (
            len(replays.group_members(s, campaign.id, sig.audio_group_id))
            if sig.audio_group_id
            else 0
        )
        history = list(
            s.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.signature_id == sig.id)
                .order_by(AuditEvent.at, AuditEvent.id)
            )
        )
        undo_event = queues.undoable(s, sig)
        return render_template(
            "staff/signature.html",
            campaign=campaign,
            sig=sig,
            other=other,
            twins=twins,
            waiting=waiting,
            tab=tab,
            nav=nav,
            version=queues.version(sig),
            has_audio=audio_path(sig.recording) is not None,
            other_has_audio=other is not None and audio_path(other.recording) is not None,
            preload=preload if preload and audio_path(preload.recording) else None,
            held_by=held_by,
            suggestions=_suggestions(sig),
            keys=_keyed(sig),
            reasons=queues.REJECT_REASONS,
            history=history,
            undo_event=undo_event,
            estimate=sampling.latest_estimate(s, campaign.id) if sig.sample_id else None,
        )


def _suggestions(sig: Signature) -> list[str]:
    """Up to three known spellings that sound like the reading, the reading itself left out.

    When the caller spelled the surname on the keypad, only surnames that fit those keys."""
    if not sig.name:
        return []
    keys = _surname_keys(sig)
    if keys:
        found = keypad.candidates(
            keys, readback.surname_of(sig.name), language=sig.language, limit=SUGGESTIONS + 1
        )
        options = [readback.spelled_name(sig.name, c.spelling) for c in found]
    else:
        options = lexicon.suggest(sig.name, sig.language, limit=SUGGESTIONS + 1)
    return [option for option in options if option != sig.name][:SUGGESTIONS]


def _surname_keys(sig: Signature) -> str | None:
    keys = (sig.recording.keypad or {}).get("surname") if sig.recording else None
    return keys if isinstance(keys, str) and keys else None


def _keyed(sig: Signature) -> list[tuple[str, str]] | None:
    """The surname's keys as the caller pressed them, each with its letters: [("6", "MNO"), ...]."""
    keys = _surname_keys(sig)
    return [(k, keypad.KEYPAD[k].upper()) for k in keys] if keys else None


def _against_the_keys(sig: Signature, name: str | None) -> str:
    """A warning when a typed name's surname does not fit the keys the caller pressed."""
    keys = _surname_keys(sig)
    surname = readback.surname_of(name)
    if not keys or not surname or keypad.fits(keys, surname):
        return ""
    return " " + gettext(
        "Note: the last name does not fit the keys the caller pressed (%(keys)s).", keys=keys
    )


def audio_path(rec: Recording | None) -> Path | None:
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
        path = audio_path(sig.recording)
    if path is None:
        abort(404)
    mimetype = mimetypes.guess_type(path.name)[0] or "audio/wav"
    # conditional=True answers Range requests (206), which the <audio> element uses to seek.
    resp = send_file(path, mimetype=mimetype, conditional=True, max_age=0)
    # Kept by this browser only, briefly: the next item's recording is preloaded while the
    # reviewer listens to the current one, and must still be there when they move on.
    resp.headers["Cache-Control"] = f"private, max-age={AUDIO_MAX_AGE}"
    return resp


def _decide(slug: str, public_id: str, act: Callable[[so.Session, Signature], str]) -> Response:
    """Run one decision, then go to the next signature waiting in the same queue."""
    tab = request.form.get("tab")
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        sig = _signature_or_404(s, campaign, public_id, lock=True)
        here = url_for("staff.signature", slug=slug, public_id=public_id, tab=tab)
        if request.form.get("version") != queues.version(sig):
            flash(
                gettext(
                    "Someone else changed this signature meanwhile; nothing was done. Here it "
                    "is as it is now."
                ),
                "warning",
            )
            return redirect(here)
        try:
            flash(act(s, sig), "success")
        except queues.ReviewError as exc:
            s.rollback()
            flash(gettext(str(exc)) if exc.key else str(exc), "error")
            return redirect(here)
        following = None
        if tab in queues.QUEUES:
            s.flush()
            item = queues.take(
                s, campaign.id, tab, user().email, exclude=_skipped(), seconds=_lease_seconds()
            )
            following = item.public_id if item else None
    forget_stats(slug)  # committed: this process shows the new count at once
    if tab not in queues.QUEUES:
        return redirect(here)  # opened from the signatures list, not from a queue
    if following is None:
        flash(gettext("That was the last one in this queue."), "info")
        return redirect(url_for("staff.review_list", slug=slug, tab=tab))
    return redirect(url_for("staff.signature", slug=slug, public_id=following, tab=tab))


@bp.post("/c/<slug>/s/<public_id>/accept")
@requires("reviewer")
def accept(slug: str, public_id: str) -> Response:
    def act(s: so.Session, sig: Signature) -> str:
        was_counted = sig.state == "counted"
        no_name = request.form.get("no_name") == "1"
        # No name field: the name stays as it is; an emptied field is refused unless no_name.
        name = None if no_name else request.form.get("name")
        pick = request.form.get("suggestion", "")
        note = f"picked suggestion {pick}" if pick.isdigit() else None
        if not queues.accept(s, sig, user().email, name=name, no_name=no_name, note=note):
            return gettext("This number was counted already: rejected as a duplicate.")
        if no_name:
            return gettext("Marked: no name given. The signature counts.")
        done = gettext("Name confirmed.") if was_counted else gettext("Accepted and counted.")
        return done + _against_the_keys(sig, sig.name)

    return _decide(slug, public_id, act)


@bp.post("/c/<slug>/s/<public_id>/name")
@requires("reviewer")
def correct_name(slug: str, public_id: str) -> Response:
    def act(s: so.Session, sig: Signature) -> str:
        queues.correct_name(s, sig, user().email, request.form.get("name", ""))
        return gettext("Name saved.") + _against_the_keys(sig, sig.name)

    return _decide(slug, public_id, act)


@bp.post("/c/<slug>/s/<public_id>/reject")
@requires("reviewer")
def reject(slug: str, public_id: str) -> Response:
    def act(s: so.Session, sig: Signature) -> str:
        queues.reject(s, sig, user().email, request.form.get("reason", ""))
        return gettext("Rejected.")

    return _decide(slug, public_id, act)


@bp.post("/c/<slug>/s/<public_id>/duplicate")
@requires("reviewer")
def mark_duplicate(slug: str, public_id: str) -> Response:
    def act(s: so.Session, sig: Signature) -> str:
        other = s.get(Signature, sig.duplicate_of_id) if sig.duplicate_of_id else None
        if other is None:
            raise queues.ReviewError("there is no other signature to compare with")
        queues.mark_duplicate(s, sig, other, user().email)
        return gettext("Rejected as a duplicate.")

    return _decide(slug, public_id, act)


@bp.post("/c/<slug>/s/<public_id>/skip")
@requires("reviewer")
def skip(slug: str, public_id: str) -> Response:
    """Leave this item for another reviewer (or later) and take the next one."""
    tab = _tab(request.form.get("tab"))
    with services().db.session() as s:
        sig = _signature_or_404(s, campaign_or_404(s, slug), public_id)
        if queues.holder(sig) == user().email:
            queues.release(sig)
        session["review_skipped"] = [*_skipped(), sig.id][-SKIPPED_KEPT:]
    return redirect(url_for("staff.review_next", slug=slug, tab=tab))


@bp.post("/c/<slug>/s/<public_id>/undo")
@requires("reviewer")
def undo(slug: str, public_id: str) -> Response:
    with services().db.session() as s:
        sig = _signature_or_404(s, campaign_or_404(s, slug), public_id, lock=True)
        try:
            queues.undo(s, sig, int(request.form.get("event", "0") or 0), user().email)
            flash(gettext("Undone."), "success")
        except queues.ReviewError as exc:
            s.rollback()
            flash(gettext(str(exc)) if exc.key else str(exc), "error")
    forget_stats(slug)
    return redirect(url_for("staff.signature", slug=slug, public_id=public_id))


@bp.post("/c/<slug>/sample")
@requires("reviewer")
def draw_sample(slug: str) -> Response:
    try:
        size = int(request.form.get("size", "") or 0)
    except ValueError:
        size = 0
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        try:
            sample = sampling.draw(s, campaign, size, user().email)
        except sampling.SampleError as exc:
            s.rollback()
            flash(str(exc), "error")
            return redirect(url_for("staff.overview", slug=slug) + "#names")
        drawn = _count(s, Signature.sample_id == sample.id)
    flash(
        ngettext(
            "%(num)s machine reading drawn at random; it is first in the name-check queue.",
            "%(num)s machine readings drawn at random; they are first in the name-check queue.",
            drawn,
        ),
        "success",
    )
    return redirect(url_for("staff.review_list", slug=slug, tab=queues.NAME_CHECKS))


@bp.get("/c/<slug>/audit")
@requires("reviewer")
def audit_log(slug: str) -> str:
    """Who changed what: the campaign's audit log, filtered by person, action and date."""
    actor = request.args.get("actor", "").strip()
    action = request.args.get("action", "").strip()
    since = _day(request.args.get("from"))
    until = _day(request.args.get("to"))
    before_id = request.args.get("before", type=int)
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        where: list[Any] = [AuditEvent.campaign_id == campaign.id]
        if actor:
            where.append(AuditEvent.actor == actor)
        if action:
            where.append(AuditEvent.action == action)
        if since:
            where.append(AuditEvent.at >= since)
        if until:
            where.append(AuditEvent.at < until + timedelta(days=1))
        page_where = [*where, AuditEvent.id < before_id] if before_id else where
        rows = s.execute(
            sa.select(AuditEvent, Signature.public_id)
            .outerjoin(Signature, Signature.id == AuditEvent.signature_id)
            .where(*page_where)
            .order_by(AuditEvent.id.desc())
            .limit(AUDIT_PAGE + 1)
        ).all()
        actors = list(
            s.scalars(
                sa.select(AuditEvent.actor)
                .where(AuditEvent.campaign_id == campaign.id)
                .distinct()
                .order_by(AuditEvent.actor)
            )
        )
        actions = list(
            s.scalars(
                sa.select(AuditEvent.action)
                .where(AuditEvent.campaign_id == campaign.id)
                .distinct()
                .order_by(AuditEvent.action)
            )
        )
    more = len(rows) > AUDIT_PAGE
    rows = rows[:AUDIT_PAGE]
    chosen: dict[str, Any] = {
        "actor": actor,
        "action": action,
        "from": request.args.get("from", ""),
        "to": request.args.get("to", ""),
    }
    older_url = (
        url_for(
            "staff.audit_log",
            slug=slug,
            before=rows[-1][0].id,
            **{k: v for k, v in chosen.items() if v},
        )
        if more
        else None
    )
    return render_template(
        "staff/audit.html",
        campaign=campaign,
        rows=rows,
        actors=actors,
        actions=actions,
        chosen=chosen,
        older_url=older_url,
        changes=_changes,
    )


def _day(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _changes(event: AuditEvent) -> list[tuple[str, Any, Any]]:
    """The fields an event changed: (field, before, after)."""
    before, after = event.before or {}, event.after or {}
    return [
        (key, before.get(key), after.get(key))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]
