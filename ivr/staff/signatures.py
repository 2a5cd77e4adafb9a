"""The signatures of a campaign: search by name, filter, and page through them (keyset)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import render_template, request

from ivr.services import services
from ivr.staff.auth import bp, campaign_or_404
from petition.i18n import time_zone, to_utc
from petition.models import Signature, SignatureState
from petition.names.reading import normalize_name

PAGE_SIZE = 50
STATES = [state.value for state in SignatureState]
CALL_LANGUAGES = ["nl", "fr", "de", "en", "unknown"]


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _cursor(value: str) -> tuple[datetime, int] | None:
    """The keyset cursor "<signed_at ISO>_<id>" of the last row on the previous page."""
    stamp, _, ident = value.rpartition("_")
    try:
        return datetime.fromisoformat(stamp), int(ident)
    except ValueError:
        return None


@bp.get("/c/<slug>/signatures")
def signatures(slug: str) -> str:
    args = request.args
    q, state, language = args.get("q", "").strip(), args.get("state", ""), args.get("language", "")
    start, end = _day(args.get("from", "")), _day(args.get("to", ""))
    bad_date = (args.get("from") and start is None) or (args.get("to") and end is None)
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)
        where: list[Any] = [Signature.campaign_id == campaign.id]
        if q and normalize_name(q):
            where.append(Signature.name_key.contains(normalize_name(q), autoescape=True))
        if state in STATES:
            where.append(Signature.state == state)
        if language == "unknown":
            where.append(Signature.language.is_(None))
        elif language in CALL_LANGUAGES:
            where.append(Signature.language == language)
        # Days are the campaign's: from its local midnight, in UTC as stored.
        zone = time_zone(campaign.time_zone)
        if start:
            where.append(Signature.signed_at >= to_utc(datetime.combine(start, time()), zone))
        if end:
            next_day = datetime.combine(end + timedelta(days=1), time())
            where.append(Signature.signed_at < to_utc(next_day, zone))
        total = s.scalar(sa.select(sa.func.count()).select_from(Signature).where(*where)) or 0
        page_where = list(where)
        cursor = _cursor(args.get("after", ""))
        if cursor:
            stamp, ident = cursor
            page_where.append(
                sa.or_(
                    Signature.signed_at < stamp,
                    sa.and_(Signature.signed_at == stamp, Signature.id < ident),
                )
            )
        rows = list(
            s.execute(
                sa.select(
                    Signature.id,
                    Signature.public_id,
                    Signature.signed_at,
                    Signature.name,
                    Signature.state,
                    Signature.reason,
                    Signature.name_status,
                    Signature.language,
                    Signature.region,
                    Signature.caller_masked,
                )
                .where(*page_where)
                .order_by(Signature.signed_at.desc(), Signature.id.desc())
                .limit(PAGE_SIZE + 1)
            )
        )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    after = f"{rows[-1].signed_at.isoformat()}_{rows[-1].id}" if more and rows else None
    filters = {k: v for k, v in args.items() if k in ("q", "state", "language", "from", "to") and v}
    return render_template(
        "staff/signatures.html",
        campaign=campaign,
        rows=rows,
        total=total,
        after=after,
        paged=cursor is not None,
        filters=filters,
        states=STATES,
        call_languages=CALL_LANGUAGES,
        bad_date=bad_date,
    )
