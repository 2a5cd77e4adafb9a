"""Putting a caller through to the campaign's helpline (petition/line/helpline.py).

Every keypad step of the call, the greeting and the recording hand a 0 here when the campaign
offers a helpline. The transfer is counted once per call, in a counter per day; what keeps a
second 0 (or a carrier's retry) from counting again is a short-lived Redis key made from the
call's id, gone within the hour, so nothing durable links a transfer to a call. Nothing here
logs a caller's number.
"""

from __future__ import annotations

import hashlib
import logging

import redis
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import request

from ivr import twiml
from ivr.services import services
from petition.line import helpline
from petition.models import Campaign, CampaignNumber
from petition.privacy import phones

log = logging.getLogger(__name__)

# How long a call's transfer is remembered, to count it once: longer than any call.
_REMEMBER_SECONDS = 3600


def put_through(s: so.Session, campaign: Campaign, language: str) -> str:
    """The TwiML that connects the caller to the helpline, the transfer counted once."""
    if _first_transfer_of_call(request.form.get("CallSid", "")):
        helpline.record_transfer(s, campaign)
        log.info("caller put through to the helpline of %s", campaign.slug)
    return twiml.put_through(campaign, language, caller_id=_campaign_number(s, campaign))


def _first_transfer_of_call(call_sid: str) -> bool:
    queue = services().queue
    digest = hashlib.sha256(call_sid.encode()).hexdigest()[:32]
    try:
        fresh = queue.connection.set(
            f"{queue.name}:helpline:{digest}", 1, nx=True, ex=_REMEMBER_SECONDS
        )
    except redis.RedisError as exc:
        # Better a transfer counted twice than a caller kept from the helpline.
        log.warning("helpline transfer counted without its once-per-call check: %s", exc)
        return True
    return bool(fresh)


def _campaign_number(s: so.Session, campaign: Campaign) -> str | None:
    """The caller ID of the transfer: the campaign's number on this call (the one the caller
    dialled; on a test call from the staff pages, the one it was placed from)."""
    numbers = s.scalars(
        sa.select(CampaignNumber.number)
        .where(CampaignNumber.campaign_id == campaign.id)
        .order_by(CampaignNumber.id)
    ).all()
    for side in ("To", "From"):
        number = phones.normalize(request.form.get(side) or "")
        if number in numbers:
            return number
    return numbers[0] if numbers else None
