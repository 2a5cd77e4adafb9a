"""The campaign's helpline: a caller who needs to talk to someone presses 0 and is put through.

Transfers are counted, not tracked: one counter per campaign and day, in the campaign's time
zone, with nothing that names the call, the caller or a signature. The call itself is left as
it was: a name recorded before the 0 still counts, and no name is asked for after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite

from petition.i18n import time_zone, to_local
from petition.models import Campaign, HelplineTransfer, utcnow

# The key that reaches the helpline. Belgian postcodes start with 1 to 9 and no letter sits on
# 0, so as the first key of an answer it never means anything else.
HELP_KEY = "0"
# Where in the call 0 reaches the helpline: while the greeting plays, at each keypad step, to
# end the recording (what was said is kept), at the read-back's questions and while spelling.
HELP_STEPS = (
    "greeting",
    "language",
    "postcode",
    "declaration",
    "consent",
    "recording",
    "read-back",
    "spelling",
)


def offered(campaign: Campaign) -> bool:
    return bool(campaign.offer_helpline and campaign.helpline)


def asks_for_help(campaign: Campaign, keys: str | None, *, anywhere: bool = False) -> bool:
    """Whether the keys a caller pressed at a step ask for the helpline. With no helpline
    offered, 0 is only ever a digit."""
    return offered(campaign) and keys_ask_for_help(keys, anywhere=anywhere)


def keys_ask_for_help(keys: str | None, *, anywhere: bool = False) -> bool:
    """0 first (a postcode such as 1000 has its zeros later), or a 0 anywhere (`anywhere`)
    where keys are letters and 0 is none."""
    if not keys:
        return False
    return HELP_KEY in keys if anywhere else keys.startswith(HELP_KEY)


def record_transfer(session: so.Session, campaign: Campaign, now: datetime | None = None) -> None:
    """One more caller put through today: a single upsert, safe under concurrent calls."""
    day = to_local(now or utcnow(), time_zone(campaign.time_zone)).date()
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(HelplineTransfer).values(campaign_id=campaign.id, day=day, transfers=1)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["campaign_id", "day"],
            set_={"transfers": HelplineTransfer.transfers + 1},
        )
    )


@dataclass(frozen=True)
class Transfers:
    total: int
    by_day: list[tuple[date, int]]  # oldest first


def transfers(session: so.Session, campaign_id: int) -> Transfers:
    rows = session.execute(
        sa.select(HelplineTransfer.day, HelplineTransfer.transfers)
        .where(HelplineTransfer.campaign_id == campaign_id)
        .order_by(HelplineTransfer.day)
    ).all()
    by_day = [(day, count) for day, count in rows]
    return Transfers(total=sum(count for _, count in by_day), by_day=by_day)
