"""Connect an account's number to a campaign, and put it back as it was.

Connecting sets the number's voice URL, method and status callback to this deployment's
webhooks (PUBLIC_BASE_URL), in one update, and remembers what was there before. A number that
another campaign has, or whose calls go to another address, is never taken over silently. Two
connects of one number at once (a double click) configure it once: they take turns under a lock
and each compares the number's state at the carrier before changing it.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

import redis
import sqlalchemy as sa

from ivr.carrier.rest import Carrier, CarrierError, Number, Said
from petition import audit
from petition.config import Settings
from petition.db import Database
from petition.i18n import N_
from petition.line import campaigns
from petition.models import Campaign, CampaignNumber, utcnow

log = logging.getLogger(__name__)

VOICE_PATH = "/ivr/voice"
STATUS_PATH = "/ivr/status"
E164 = re.compile(r"^\+[1-9]\d{5,14}$")
# A new Twilio number answers with Twilio's demo; taking it over loses nothing.
UNUSED_URLS = ("", "https://demo.twilio.com/welcome/voice/")
LOCK_SECONDS = 60


class ConnectRefused(Exception):
    """Nothing was changed, for the reason `said` gives."""

    def __init__(self, said: Said) -> None:
        super().__init__(str(said))
        self.said = said


def webhook_settings(base: str) -> dict[str, str]:
    """The number's voice settings that send its calls to this deployment."""
    return {
        "voice_url": base + VOICE_PATH,
        "voice_method": "POST",
        "status_callback": base + STATUS_PATH,
        "status_callback_method": "POST",
    }


def points_here(number: Number, base: str | None) -> bool:
    return base is not None and number.voice_settings() == webhook_settings(base)


@dataclass(frozen=True)
class Listed:
    """An account's number as the campaign page shows it."""

    number: Number
    state: str  # connected | moved | here | other_campaign | elsewhere | free
    campaign_slug: str | None = None


def survey(db: Database, carrier: Carrier, base: str | None, campaign: Campaign) -> list[Listed]:
    """The account's numbers, each with where its calls go now."""
    numbers = carrier.numbers()
    with db.session() as s:
        rows = s.execute(
            sa.select(CampaignNumber.number, Campaign.slug, CampaignNumber.carrier_sid)
            .join(Campaign)
            .where(CampaignNumber.number.in_([n.phone_number for n in numbers]))
        ).all()
    owners = {number: slug for number, slug, _ in rows}
    connected_here = {sid for _, _, sid in rows if sid}
    listed = []
    for n in numbers:
        owner = owners.get(n.phone_number)
        if owner is not None and owner != campaign.slug:
            state = "other_campaign"
        elif points_here(n, base):
            state = "connected" if owner == campaign.slug else "here"
        elif n.sid in connected_here:
            state = "moved"  # connected from here, to an address PUBLIC_BASE_URL no longer gives
        elif n.voice_url not in UNUSED_URLS:
            state = "elsewhere"
        else:
            state = "free"
        listed.append(Listed(n, state, owner))
    return listed


@contextlib.contextmanager
def _one_at_a_time(conn: redis.Redis | None, key: str) -> Iterator[None]:
    """Hold a lock on `key` while the number is compared and changed; without Redis, go on
    (the comparison alone still keeps most repeats from writing)."""
    if conn is None:
        yield
        return
    try:
        lock = conn.lock(f"petition:carrier:{key}", timeout=LOCK_SECONDS, blocking_timeout=30)
        acquired = lock.acquire()
    except redis.RedisError as exc:
        log.warning("no lock for the carrier change (%s): going on without", type(exc).__name__)
        yield
        return
    if not acquired:
        raise ConnectRefused(Said(N_("Another change of this number is under way: try again.")))
    try:
        yield
    finally:
        with contextlib.suppress(redis.RedisError):
            lock.release()


@dataclass(frozen=True)
class Connected:
    phone_number: str
    changed: bool  # False: it already pointed here; nothing was written at the carrier
    before: dict[str, str]


def _pick(numbers: list[Number], campaign: Campaign, wanted: str | None) -> Number:
    if wanted is not None:
        wanted = wanted.replace(" ", "")
        if not E164.match(wanted):
            raise ConnectRefused(
                Said(N_("%(number)s is not a number in E.164 form (+32...)."), {"number": wanted})
            )
        for n in numbers:
            if n.phone_number == wanted:
                return n
        raise ConnectRefused(
            Said(
                N_("%(number)s is not a number of this account. Its numbers: %(numbers)s."),
                {"number": wanted, "numbers": ", ".join(n.phone_number for n in numbers) or "-"},
            )
        )
    own = {cn.number for cn in campaign.numbers}
    mine = [n for n in numbers if n.phone_number in own]
    if len(mine) == 1:
        return mine[0]
    if len(numbers) == 1 and not own:
        return numbers[0]
    raise ConnectRefused(
        Said(
            N_("Choose the number to connect among the account's: %(numbers)s."),
            {"numbers": ", ".join(n.phone_number for n in numbers) or "-"},
        )
    )


def connect(
    db: Database,
    carrier: Carrier,
    settings: Settings,
    slug: str,
    *,
    actor: str,
    number: str | None = None,
    replace: bool = False,
    lock: redis.Redis | None = None,
) -> Connected:
    """Point one of the account's numbers at this deployment for campaign `slug`.

    ConnectRefused (nothing changed) when PUBLIC_BASE_URL is not set, the number is not the
    account's, another campaign has it, or its calls go elsewhere and `replace` is not given;
    CarrierError when the carrier fails (the message says whether the number changed).
    """
    base = settings.public_base_url
    if not base:
        raise ConnectRefused(
            Said(N_("Set PUBLIC_BASE_URL to the address the carrier reaches this service at."))
        )
    with db.session() as s:
        campaign = campaigns.by_slug(s, slug)
        if campaign is None:
            raise ConnectRefused(Said(N_("No campaign %(slug)s."), {"slug": slug}))
        chosen = _pick(carrier.numbers(), campaign, number)
        other = s.scalar(
            sa.select(Campaign.slug)
            .join(CampaignNumber)
            .where(CampaignNumber.number == chosen.phone_number, Campaign.id != campaign.id)
        )
        # Connected from here before (PUBLIC_BASE_URL has changed since): ours to point again.
        ours_before = chosen.sid in {n.carrier_sid for n in campaign.numbers}
    if other is not None:
        raise ConnectRefused(
            Said(
                N_("%(number)s belongs to the campaign %(other)s: disconnect it there first."),
                {"number": chosen.phone_number, "other": other},
            )
        )
    ours = webhook_settings(base)
    with _one_at_a_time(lock, chosen.sid):
        now = carrier.number(chosen.sid)  # as it is now, after whoever held the lock
        before = now.voice_settings()
        changed = now.voice_settings() != ours
        elsewhere = not ours_before and now.voice_url not in UNUSED_URLS
        elsewhere = elsewhere and not now.voice_url.startswith(base)
        if changed and elsewhere and not replace:
            raise ConnectRefused(
                Said(
                    N_(
                        "The calls of %(number)s go to %(url)s, another service. Nothing "
                        "was changed; to take the number over, confirm it (it can be put "
                        "back with a disconnect)."
                    ),
                    {"number": now.phone_number, "url": now.voice_url},
                )
            )
        if changed:
            _update(carrier, now, ours)
        _remember(db, slug, now, before if changed else None, actor=actor, changed=changed)
    log.info("number %s connected to campaign %s (changed: %s)", now.phone_number, slug, changed)
    return Connected(now.phone_number, changed, before)


def _update(carrier: Carrier, number: Number, wanted: dict[str, str]) -> None:
    """One update at the carrier; when it fails, find out whether the number changed."""
    try:
        carrier.update_number(number.sid, wanted)
        return
    except CarrierError as exc:
        failure = exc
    try:
        after = carrier.number(number.sid).voice_settings()
    except CarrierError:
        raise CarrierError(
            failure.kind,
            Said(
                N_(
                    "%(error)s Whether %(number)s changed is not known: run the preflight "
                    "to see where its calls go."
                ),
                {"error": str(failure.said), "number": number.phone_number},
            ),
            failure.status,
        ) from None
    if after == wanted:
        return  # the update went through; only its answer was lost
    raise CarrierError(
        failure.kind,
        Said(
            N_("%(error)s %(number)s was left as it was."),
            {"error": str(failure.said), "number": number.phone_number},
        ),
        failure.status,
    )


def _remember(
    db: Database,
    slug: str,
    number: Number,
    before: dict[str, str] | None,
    *,
    actor: str,
    changed: bool,
) -> None:
    with db.session() as s:
        campaign = campaigns.by_slug(s, slug)
        assert campaign is not None
        row = s.scalar(
            sa.select(CampaignNumber).where(CampaignNumber.number == number.phone_number)
        )
        if row is None:
            row = CampaignNumber(number=number.phone_number, campaign_id=campaign.id)
            s.add(row)
        if row.carrier_sid is None or changed:
            row.carrier_sid = number.sid
            row.connected_at = utcnow()
            if before is not None and row.previous is None:
                row.previous = before
            audit.record(
                s,
                actor=actor,
                action="number_connected",
                campaign_id=campaign.id,
                before=before,
                after={"number": number.phone_number, "changed_at_carrier": changed},
                note=number.phone_number,
            )


@dataclass(frozen=True)
class Disconnected:
    phone_number: str
    restored: bool  # False: its calls no longer came here; left as found
    now: dict[str, str]


def disconnect(
    db: Database,
    carrier: Carrier,
    settings: Settings,
    slug: str,
    *,
    actor: str,
    lock: redis.Redis | None = None,
) -> list[Disconnected]:
    """Put the campaign's connected numbers back as they were before the connect.

    A number whose calls no longer come here was changed by someone else since: it is left
    as found. The campaign keeps the number in its list (callers who still reach it are
    answered); only the connection is forgotten.
    """
    with db.session() as s:
        campaign = campaigns.by_slug(s, slug)
        if campaign is None:
            raise ConnectRefused(Said(N_("No campaign %(slug)s."), {"slug": slug}))
        connected = [
            (cn.number, cn.carrier_sid, dict(cn.previous or {}))
            for cn in campaign.numbers
            if cn.carrier_sid
        ]
    if not connected:
        raise ConnectRefused(Said(N_("No number of this campaign was connected from here.")))
    base = settings.public_base_url
    done = []
    for phone_number, sid, previous in connected:
        assert sid is not None
        with _one_at_a_time(lock, sid):
            try:
                now = carrier.number(sid)
            except CarrierError as exc:
                if exc.kind != "not_found":
                    raise
                now = None  # released from the account: nothing to put back
            restored = False
            if now is not None and points_here(now, base):
                wanted = {k: previous.get(k, "") for k in webhook_settings("")}
                wanted["voice_method"] = wanted["voice_method"] or "POST"
                wanted["status_callback_method"] = wanted["status_callback_method"] or "POST"
                _update(carrier, now, wanted)
                restored = True
            with db.session() as s:
                row = s.scalar(
                    sa.select(CampaignNumber).where(CampaignNumber.number == phone_number)
                )
                if row is not None:
                    row.carrier_sid, row.connected_at, row.previous = None, None, None
                    audit.record(
                        s,
                        actor=actor,
                        action="number_disconnected",
                        campaign_id=row.campaign_id,
                        before={"number": phone_number},
                        after=previous if restored else None,
                        note=phone_number,
                    )
        done.append(
            Disconnected(
                phone_number,
                restored,
                previous if restored else (now.voice_settings() if now else {}),
            )
        )
    return done
