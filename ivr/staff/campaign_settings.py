"""Campaign settings (admins): open or close, greeting audio and texts, name checks, blocklist.

The campaign's details (numbers, languages, rule, steps, dates) are in campaign_details.py.

Every change is written to the audit log. Each form posts, then redirects back (so a reload
never posts twice) with a message saying what happened.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers.response import Response

from audio.prompt_texts import LANGUAGES as CALL_LANGUAGES
from audio.prompt_texts import prompt_text
from ivr.i18n import gettext
from ivr.media import uploaded_prompt_path
from ivr.services import services
from ivr.staff.auth import UPLOAD_MAX_BYTES, bp, campaign_or_404, requires, user
from ivr.staff.greeting_audio import MAX_SECONDS, AudioRejected, convert_greeting
from petition import audit
from petition.integrity import guards
from petition.line import campaigns
from petition.models import BlockedNumber, Campaign
from petition.privacy import phones
from petition.review import queues

EDITABLE_PROMPTS = ("greeting", "thanks")
MAX_TEXT = 1000


def _back(slug: str, anchor: str = "") -> Response:
    return redirect(url_for("staff.campaign_settings", slug=slug) + anchor)


def _audit(s: so.Session, campaign: Campaign, action: str, before: Any, after: Any) -> None:
    audit.record(
        s, actor=user().email, action=action, campaign_id=campaign.id, before=before, after=after
    )


@bp.get("/c/<slug>/settings")
@requires("admin")
def campaign_settings(slug: str) -> str:
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        blocked = list(
            s.scalars(
                sa.select(BlockedNumber)
                .where(BlockedNumber.campaign_id == campaign.id)
                .order_by(BlockedNumber.created_at.desc())
            )
        )
        uploads = {
            lang: uploaded_prompt_path(campaign, "greeting", lang).exists()
            for lang in campaign.language_list
        }
    defaults = {
        (name, lang): prompt_text(name, lang)
        for name in EDITABLE_PROMPTS
        for lang in CALL_LANGUAGES
    }
    return render_template(
        "staff/settings.html",
        campaign=campaign,
        line=campaigns.line_state(campaign).value,
        blocked=blocked,
        uploads=uploads,
        call_languages=CALL_LANGUAGES,
        prompts=EDITABLE_PROMPTS,
        defaults=defaults,
        max_seconds=MAX_SECONDS,
        max_mb=UPLOAD_MAX_BYTES // (1024 * 1024),
        max_text=MAX_TEXT,
        repeat_minutes=int(guards.REPEAT_WINDOW.total_seconds() // 60),
        burst_minutes=int(guards.BURST_WINDOW.total_seconds() // 60),
        burst_factor=int(guards.BURST_FACTOR),
    )


@bp.post("/c/<slug>/settings/open")
@requires("admin")
def set_open(slug: str) -> Response:
    is_open = request.form.get("open") == "1"
    with services().db.session() as s:
        campaigns.set_open(s, campaign_or_404(s, slug), is_open, actor=user().email)
    done = gettext("The campaign is open.") if is_open else gettext("The campaign is closed.")
    flash(done, "success")
    return _back(slug)


@bp.post("/c/<slug>/settings/names")
@requires("admin")
def set_name_checks(slug: str) -> Response:
    """Every name to a person, however clear the machine found it: for new signatures, and
    the machine readings already counted go to the queue too."""
    every = request.form.get("check_every_name") == "1"
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        before = campaign.check_every_name
        campaign.check_every_name = every
        moved = queues.send_machine_names_to_check(s, campaign.id) if every and not before else 0
        _audit(
            s,
            campaign,
            "campaign_name_checks",
            {"check_every_name": before},
            {"check_every_name": every, "machine_names_sent_to_check": moved},
        )
    flash(gettext("Name checks saved."), "success")
    return _back(slug, "#names")


# The integrity limits staff may set, each with its bounds (see petition/integrity/guards.py).
LIMITS = {
    "repeat_call_limit": (0, guards.MAX_REPEAT_CALL_LIMIT),
    "burst_min_calls": (0, 10_000),
}


@bp.post("/c/<slug>/settings/integrity")
@requires("admin")
def set_integrity(slug: str) -> Response:
    """The per-number limit, the size of a burst, and whether calls in a burst are held."""
    values: dict[str, Any] = {}
    for name, (low, high) in LIMITS.items():
        raw = request.form.get(name, "")
        if not raw.isdigit() or not low <= int(raw) <= high:
            flash(
                gettext("Give a whole number from %(low)s to %(high)s.", low=low, high=high),
                "error",
            )
            return _back(slug, "#integrity")
        values[name] = int(raw)
    values["hold_bursts"] = request.form.get("hold_bursts") == "1"
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        before = {name: getattr(campaign, name) for name in values}
        for name, value in values.items():
            setattr(campaign, name, value)
        _audit(s, campaign, "campaign_integrity", before, values)
    flash(gettext("Limits saved."), "success")
    return _back(slug, "#integrity")


def _call_language(campaign: Campaign, lang: str) -> str:
    if lang not in campaign.language_list:
        abort(404)
    return lang


@bp.post("/c/<slug>/settings/greeting/<lang>")
@requires("admin")
def upload_greeting(slug: str, lang: str) -> Response:
    upload = request.files.get("audio")
    if upload is None or not upload.filename:
        flash(gettext("Choose a file first."), "error")
        return _back(slug, "#greetings")
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        _call_language(campaign, lang)
        try:
            seconds = convert_greeting(
                upload.stream, uploaded_prompt_path(campaign, "greeting", lang)
            )
        except AudioRejected as exc:
            flash(gettext(exc.message, **exc.values), "error")
            return _back(slug, "#greetings")
        _audit(
            s, campaign, "greeting_uploaded", None, {"language": lang, "seconds": round(seconds, 1)}
        )
    flash(gettext("Greeting saved (%(seconds)s s).", seconds=round(seconds, 1)), "success")
    return _back(slug, "#greetings")


@bp.post("/c/<slug>/settings/greeting/<lang>/remove")
@requires("admin")
def remove_greeting(slug: str, lang: str) -> Response:
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        uploaded_prompt_path(campaign, "greeting", _call_language(campaign, lang)).unlink(
            missing_ok=True
        )
        _audit(s, campaign, "greeting_removed", {"language": lang}, None)
    flash(gettext("Uploaded greeting removed."), "success")
    return _back(slug, "#greetings")


@bp.post("/c/<slug>/settings/texts")
@requires("admin")
def set_texts(slug: str) -> Response:
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        texts = {
            (name, lang): " ".join(request.form.get(f"{name}.{lang}", "").split())
            for name in EDITABLE_PROMPTS
            for lang in campaign.language_list
        }
        if any(len(text) > MAX_TEXT for text in texts.values()):
            flash(gettext("A text has at most %(n)s characters.", n=MAX_TEXT), "error")
            return _back(slug, "#texts")
        before = campaign.prompts or {}
        prompts: dict[str, dict[str, str]] = {
            name: dict(v) for name, v in before.items() if isinstance(v, dict)
        }
        for (name, lang), text in texts.items():
            if text:
                prompts.setdefault(name, {})[lang] = text
            else:
                prompts.get(name, {}).pop(lang, None)
        # A new dict, so SQLAlchemy sees the JSON column change; empty means the default text.
        campaign.prompts = {name: found for name, found in prompts.items() if found}
        _audit(s, campaign, "campaign_texts", before, campaign.prompts)
    flash(gettext("Texts saved."), "success")
    return _back(slug, "#texts")


@bp.post("/c/<slug>/settings/blocked")
@requires("admin")
def block_number(slug: str) -> Response:
    caller = phones.identify(request.form.get("number", ""), services().settings.phone_hash_key)
    if caller.withheld or caller.hash is None:
        flash(gettext("This is not a phone number we recognise."), "error")
        return _back(slug, "#blocked")
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        exists = s.scalar(
            sa.select(BlockedNumber.id).where(
                BlockedNumber.campaign_id == campaign.id, BlockedNumber.caller_hash == caller.hash
            )
        )
        if exists is not None:
            flash(gettext("This number is blocked already."), "error")
            return _back(slug, "#blocked")
        note = request.form.get("note", "").strip()[:200]
        s.add(
            BlockedNumber(
                campaign_id=campaign.id,
                caller_hash=caller.hash,
                caller_masked=caller.masked,
                note=note,
            )
        )
        _audit(s, campaign, "number_blocked", None, {"number": caller.masked, "note": note})
    flash(gettext("Number blocked: %(masked)s", masked=caller.masked), "success")
    return _back(slug, "#blocked")


@bp.post("/c/<slug>/settings/blocked/<int:blocked_id>/remove")
@requires("admin")
def unblock_number(slug: str, blocked_id: int) -> Response:
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        row = s.get(BlockedNumber, blocked_id)
        if row is None or row.campaign_id != campaign.id:
            abort(404)
        _audit(s, campaign, "number_unblocked", {"number": row.caller_masked}, None)
        s.delete(row)
    flash(gettext("Number unblocked."), "success")
    return _back(slug, "#blocked")
