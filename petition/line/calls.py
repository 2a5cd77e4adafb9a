"""What the carrier tells us about a call, stored idempotently.

Callbacks arrive twice and in any order, so every function here is keyed on the carrier's ids
(CallSid, RecordingSid) and returns the existing row when it is called again.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite

from petition.counting.regions import region_for_postcode
from petition.db import Database
from petition.errors import UnknownNumber
from petition.integrity import guards
from petition.models import (
    Base,
    Call,
    Campaign,
    CampaignNumber,
    Recording,
    Signature,
    SignatureState,
    utcnow,
)
from petition.privacy import phones

T = TypeVar("T")

FINAL_CALL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}


def campaign_for_number(session: so.Session, dialled: str | None) -> Campaign | None:
    number = phones.normalize(dialled or "")
    if number is None:
        return None
    return session.scalar(
        sa.select(Campaign).join(CampaignNumber).where(CampaignNumber.number == number)
    )


@functools.cache
def _insert_statement(
    dialect: str, table_name: str, key: str, columns: tuple[str, ...], only_id: bool = False
) -> Any:
    """INSERT ... ON CONFLICT (key) DO NOTHING RETURNING * (or only the id), built once with
    bound parameters: building and caching a statement anew for every webhook cost more than
    running it."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Base.metadata.tables[table_name]
    return (
        insert(table)
        .values({column: sa.bindparam(column) for column in columns})
        .on_conflict_do_nothing(index_elements=[key])
        .returning(*([table.c.id] if only_id else table.columns))
    )


@functools.cache
def _insert_call_counting(columns: tuple[str, ...], only_id: bool = False) -> Any:
    """PostgreSQL: the call's INSERT in a CTE, and in the same statement the number's calls in
    the repeat window before it (the subquery sees the table as it was before the insert)."""
    new = _insert_statement("postgresql", "calls", "call_sid", columns, only_id).cte("new_call")
    earlier = guards.earlier_calls(
        sa.bindparam("campaign_id"),
        sa.bindparam("caller_hash"),
        sa.bindparam("repeat_since", type_=sa.DateTime()),
        sa.bindparam("started_at"),
    )
    return sa.select(new, earlier.label("earlier"))


def _insert_new(session: so.Session, model: type[T], key: str, values: dict[str, Any]) -> T | None:
    """INSERT ... ON CONFLICT (key) DO NOTHING RETURNING the row: one round trip, no savepoint.

    Returns the new row, or None when a row with this key exists (a callback arriving twice,
    or two at once: the database lets exactly one insert win).
    """
    dialect = session.get_bind().dialect.name
    table_name = model.__tablename__  # type: ignore[attr-defined]
    statement = _insert_statement(dialect, table_name, key, tuple(values))
    row = session.execute(statement, values).first()
    return _stored(session, model, row._asdict()) if row is not None else None


def _stored(session: so.Session, model: type[T], fields: dict[str, Any]) -> T:
    """A row the database returned, taken into the session as it is, without loading it."""
    stored = model(**fields)
    so.make_transient_to_detached(stored)  # it has its identity: the row exists
    session.add(stored)
    return stored


def start_call(
    session: so.Session,
    *,
    call_sid: str,
    campaign: Campaign | None,
    caller: str | None,
    hash_key: str,
    stir_verstat: str | None = None,
) -> Call:
    """Record an incoming call; the carrier asking again gets the call as it is stored.

    `stir_verstat` is the carrier's STIR/SHAKEN verdict on the caller ID, kept on the call.
    """
    call, _ = answer_call(
        session,
        call_sid=call_sid,
        campaign=campaign,
        caller=caller,
        hash_key=hash_key,
        stir_verstat=stir_verstat,
        count_earlier=False,
    )
    return call


def answer_call(
    session: so.Session,
    *,
    call_sid: str,
    campaign: Campaign | None,
    caller: str | None,
    hash_key: str,
    stir_verstat: str | None = None,
    count_earlier: bool = True,
) -> tuple[Call, int]:
    """start_call, and how many calls the number made in the repeat window before this one
    (for the per-number limit). On PostgreSQL both come from one statement: the INSERT and
    the count in one round trip, which is what a new call costs."""
    values = _new_call(call_sid, campaign, caller, hash_key, stir_verstat)
    return _answer(session, values, campaign, count_earlier)


def _answer(
    session: so.Session, values: dict[str, Any], campaign: Campaign | None, count_earlier: bool
) -> tuple[Call, int]:
    """answer_call for the columns of a new call (_new_call)."""
    call_sid = values["call_sid"]
    counting = count_earlier and campaign is not None and values["caller_hash"] is not None
    call: Call | None = None
    counted: int | None = None
    if counting and session.get_bind().dialect.name == "postgresql":
        statement = _insert_call_counting(tuple(values))
        params = {**values, "repeat_since": values["started_at"] - guards.REPEAT_WINDOW}
        row = session.execute(statement, params).first()
        if row is not None:
            fields = row._asdict()
            counted = fields.pop("earlier")
            call = _stored(session, Call, fields)
    else:
        call = _insert_new(session, Call, "call_sid", values)
    if call is None:  # the carrier asked again: the call as it is stored
        call = find_call(session, call_sid)
        assert call is not None  # the row that won the insert
    if counting and counted is None and call.caller_hash is not None and campaign is not None:
        since = call.started_at - guards.REPEAT_WINDOW
        counted = session.scalar(
            sa.select(
                guards.earlier_calls(campaign.id, call.caller_hash, since, call.started_at, call.id)
            )
        )
    return call, int(counted or 0)


def answer_new_call(
    db: Database,
    *,
    call_sid: str,
    campaign: Campaign,
    caller: str | None,
    hash_key: str,
    stir_verstat: str | None = None,
    is_test: bool = False,
) -> tuple[Call, int]:
    """answer_call as the voice webhook needs it, committed on its own (`is_test`: a test
    call placed from the staff pages, whose signature never counts).

    On PostgreSQL a call never seen costs one prepared statement on the driver's connection,
    without a session: on the path every caller takes first, SQLAlchemy's work around the
    statement cost more CPU than the database's (bench/webhook_floor.py). A CallSid seen before,
    and SQLite, take answer_call in an autocommit session.
    """
    values = _new_call(call_sid, campaign, caller, hash_key, stir_verstat)
    if is_test:
        values["is_test"] = True
    if db.dialect == "postgresql" and values["caller_hash"] is not None:
        answered = db.on_driver_connection(lambda conn: _insert_counting_on(conn, values))
        if answered is not None:
            return answered
    return db.idempotent(lambda s: _answer(s, values, campaign, count_earlier=True))


def _new_call(
    call_sid: str,
    campaign: Campaign | None,
    caller: str | None,
    hash_key: str,
    stir_verstat: str | None,
) -> dict[str, Any]:
    """The columns of a new call, from what the carrier sent."""
    who = phones.identify(caller, hash_key)
    single = campaign is not None and len(campaign.language_list) == 1
    return {
        "call_sid": call_sid,
        "campaign_id": campaign.id if campaign else None,
        "caller_hash": who.hash,
        "caller_masked": who.masked,
        "caller_withheld": who.withheld,
        "caller_country": who.country,
        "caller_range": who.range,
        "stir_verstat": stir_verstat[:40] if stir_verstat else None,
        "language": campaign.language_list[0] if campaign and single else None,
        "started_at": utcnow(),
    }


@functools.cache
def _insert_counting_sql(columns: tuple[str, ...]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """_insert_call_counting as psycopg's SQL, returning only the new call's id and the count;
    the parameters SQLAlchemy would have added (the constants it holds and the columns'
    defaults); and what a new row holds in the columns not given (its defaults, else NULL)."""
    compiled = _insert_call_counting(columns, only_id=True).compile(
        dialect=postgresql.psycopg.dialect()
    )
    added = {name: value for name, value in compiled.params.items() if value is not None}
    unset: dict[str, Any] = {}
    for column in Call.__table__.columns:
        if column.key in columns or column.primary_key:
            continue
        default = column.default
        unset[column.key] = default.arg if default is not None and default.is_scalar else None
        if column.key in compiled.params and unset[column.key] is not None:
            added[column.key] = unset[column.key]
    return str(compiled), added, unset


def _insert_counting_on(conn: Any, values: dict[str, Any]) -> tuple[Call, int] | None:
    """The call and the count on a psycopg connection; None when the CallSid is stored.

    Only the id comes back: the rest of a new row is what was sent and the columns' defaults,
    so reading its eighteen columns back would be work for nothing."""
    sql, added, unset = _insert_counting_sql(tuple(values))
    params = {**added, **values, "repeat_since": values["started_at"] - guards.REPEAT_WINDOW}
    with conn.cursor() as cursor:
        cursor.execute(sql, params, prepare=True)
        row = cursor.fetchone()
    if row is None:
        return None
    call_id, counted = row
    return Call(id=call_id, **unset, **values), int(counted or 0)


def find_call(session: so.Session, call_sid: str) -> Call | None:
    return session.scalar(sa.select(Call).where(Call.call_sid == call_sid))


def update_call_status(
    session: so.Session, *, call_sid: str, status: str, duration: int | None
) -> None:
    """Apply a call status callback, in one statement. A late 'in-progress' never undoes a
    final status."""
    values: dict[str, Any] = {"status": status}
    if duration is not None:
        values["duration_seconds"] = duration
    statement = sa.update(Call).where(Call.call_sid == call_sid)
    if status in FINAL_CALL_STATUSES:
        values["ended_at"] = sa.func.coalesce(Call.ended_at, utcnow())
    else:
        statement = statement.where(Call.status.not_in(FINAL_CALL_STATUSES))
    session.execute(statement.values(**values).execution_options(synchronize_session=False))


@dataclass(frozen=True)
class RecordingArrival:
    recording: Recording
    signature: Signature
    created: bool
    call: Call


def register_recording(
    session: so.Session,
    *,
    call_sid: str,
    recording_sid: str,
    url: str,
    duration: int | None,
    dialled: str | None,
    caller: str | None,
    hash_key: str,
) -> RecordingArrival:
    """Store a recording the carrier announced, with its signature in state 'received'.

    Works whichever callback (record action or recording status) arrives first, and when the
    call itself was never seen (its row is then made from the callback's own From/To).
    """
    call = find_call(session, call_sid)
    if call is None:  # the voice webhook was never seen: make the call from this callback
        call = start_call(
            session,
            call_sid=call_sid,
            campaign=campaign_for_number(session, dialled),
            caller=caller,
            hash_key=hash_key,
        )
    if call.campaign_id is None:
        raise UnknownNumber(dialled or "")
    recording = _insert_new(
        session,
        Recording,
        "recording_sid",
        {
            "recording_sid": recording_sid,
            "call_id": call.id,
            "campaign_id": call.campaign_id,
            "url": url,
            "carrier_duration": duration,
        },
    )
    if recording is not None:
        # A new recording: its signature cannot exist yet (both are written in one transaction).
        signature = Signature(
            public_id=new_public_id(),
            campaign_id=recording.campaign_id,
            call_id=call.id,
            recording_id=recording.id,
            state=SignatureState.RECEIVED,
            language=call.language,
            caller_hash=call.caller_hash,
            caller_masked=call.caller_masked,
            caller_withheld=call.caller_withheld,
            caller_country=call.caller_country,
            postcode=call.postcode,
            region=region_for_postcode(call.postcode).value,
        )
        session.add(signature)
        session.flush()  # the INSERT it needs anyway, now: callers read the new signature's id
        return RecordingArrival(recording=recording, signature=signature, created=True, call=call)
    recording = session.scalars(
        sa.select(Recording).where(Recording.recording_sid == recording_sid)
    ).one()
    if not recording.url and url:
        recording.url = url
    if recording.carrier_duration is None and duration is not None:
        recording.carrier_duration = duration
    signature = session.scalars(
        sa.select(Signature).where(Signature.recording_id == recording.id)
    ).one()
    return RecordingArrival(recording=recording, signature=signature, created=False, call=call)


def new_public_id() -> str:
    """A short id printed in the export and quoted by staff (no personal data in it)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone
    return "S-" + "".join(secrets.choice(alphabet) for _ in range(10))
