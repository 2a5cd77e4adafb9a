"""Database tables (SQLAlchemy 2.x, typed).

Timestamps are naive UTC everywhere (`utcnow()`), so SQLite and PostgreSQL agree.
Caller numbers never appear in plain text: a keyed HMAC to match them, a masked form to show.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(so.DeclarativeBase):
    type_annotation_map = {dict[str, Any]: sa.JSON}


class SignatureState(enum.StrEnum):
    RECEIVED = "received"  # recording announced by the carrier, not yet transcribed
    TRANSCRIBED = "transcribed"  # transcribed, counting decision pending (short-lived)
    COUNTED = "counted"
    NEEDS_REVIEW = "needs_review"  # out of the count until a person decides
    REJECTED = "rejected"


class Reason(enum.StrEnum):
    SILENT = "silent"
    DUPLICATE = "duplicate"  # the same caller number was counted before
    POSSIBLE_DUPLICATE = "possible_duplicate"  # same name from another number
    WITHHELD = "withheld"  # caller ID withheld: never merged, a person decides
    BLOCKED = "blocked"
    WITHDRAWN = "withdrawn"
    ERASED = "erased"
    NOT_A_NAME = "not_a_name"
    UNCLEAR = "unclear"  # speech was heard but no words came out of it: a person listens
    NOT_DECLARED = "not_declared"  # did not confirm the age/residence declaration
    SAME_AUDIO = "same_audio"  # near-identical to a recording from another number: a replay?
    BURST = "burst"  # from a number range that called in a burst
    ATTESTATION_FAILED = "attestation_failed"  # the carrier's STIR/SHAKEN check failed
    INVALIDATED = "invalidated"  # taken out in bulk by staff, for another reason
    TEST_CALL = "test_call"  # a test call placed from the staff pages: never counts
    OTHER = "other"


class NameStatus(enum.StrEnum):
    """How far a signature's name can be trusted; the export carries it beside every name."""

    CONFIRMED = "confirmed"  # a person accepted or corrected it (the audit log says who, when)
    MACHINE = "machine"  # the machine's reading, which the name check calls clear
    TO_CHECK = "to_check"  # the machine's reading (possibly empty), waiting for a person
    MISSING = "missing"  # a person decided no name was given; the caller spoke, so it counts
    # The caller heard the name read back in the call (as heard, or as spelled on the keypad)
    # and pressed 1: the audit log holds it as the caller's own confirmation.
    CALLER = "caller"


class RecordingStatus(enum.StrEnum):
    PENDING = "pending"  # to fetch and transcribe
    DONE = "done"
    FAILED = "failed"  # gave up; needs an operator (see last_error)


class Campaign(Base):
    __tablename__ = "campaigns"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    # What the public page says of the petition, below its title.
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # The order is the language menu's; the first is the default.
    languages: so.Mapped[str] = so.mapped_column(sa.String(32), default="nl,fr,de,en")
    rule_key: so.Mapped[str] = so.mapped_column(sa.String(32), default="be-chamber")
    rule_total: so.Mapped[int | None] = so.mapped_column(default=None)  # custom rules only
    rule_deadline: so.Mapped[date | None] = so.mapped_column(default=None)  # custom rules only
    # The manual switch; the line also keeps to opens_at and closes_at (see campaigns.py).
    is_open: so.Mapped[bool] = so.mapped_column(default=True)
    # When the line opens and closes by itself (naive UTC; None: no limit that way).
    opens_at: so.Mapped[datetime | None] = so.mapped_column(default=None)
    closes_at: so.Mapped[datetime | None] = so.mapped_column(default=None)
    # Times on screen and in the export are in this IANA zone.
    time_zone: so.Mapped[str] = so.mapped_column(sa.String(64), default="Europe/Brussels")
    # Who brings the petition to parliament: on the export's cover.
    organisation_name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    organisation_contact: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    ask_postcode: so.Mapped[bool] = so.mapped_column(default=False)
    ask_declaration: so.Mapped[bool] = so.mapped_column(default=False)
    ask_consent: so.Mapped[bool] = so.mapped_column(default=False)
    # Prompt texts that override the defaults: {"greeting": {"nl": "...", ...}, ...}
    prompts: so.Mapped[dict[str, Any]] = so.mapped_column(default=dict)
    retention_days: so.Mapped[int] = so.mapped_column(default=90)
    # Every name goes to a person, however clear the machine found it.
    check_every_name: so.Mapped[bool] = so.mapped_column(default=False)
    # After the beep the name is read back in the call for the caller to confirm (on for new
    # campaigns; campaigns from before 0009 keep the call they had) ...
    read_back: so.Mapped[bool] = so.mapped_column(default=True)
    # ... and a caller who says it is wrong spells the surname on the keypad.
    keypad_spelling: so.Mapped[bool] = so.mapped_column(default=True)
    # A helpline (E.164, short numbers such as +32116000 too) the caller reaches with 0 at any
    # keypad step, when offered (petition/line/helpline.py).
    helpline: so.Mapped[str | None] = so.mapped_column(sa.String(20), default=None)
    offer_helpline: so.Mapped[bool] = so.mapped_column(default=False)
    # Integrity of the count (see petition/integrity/guards.py): calls from one number within
    # REPEAT_WINDOW beyond this many get a goodbye without a recording (0: no limit) ...
    repeat_call_limit: so.Mapped[int] = so.mapped_column(default=3)
    # ... a number range calling at least this many times within BURST_WINDOW (and well above
    # the campaign's baseline) is a burst ...
    burst_min_calls: so.Mapped[int] = so.mapped_column(default=10)
    # ... and calls from a range in a burst wait for a person rather than count.
    hold_bursts: so.Mapped[bool] = so.mapped_column(default=True)
    # When it was created or last opened by hand, and last closed by hand.
    opened_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    closed_at: so.Mapped[datetime | None] = so.mapped_column(default=None)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    numbers: so.Mapped[list[CampaignNumber]] = so.relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )

    @property
    def language_list(self) -> list[str]:
        return [lang for lang in self.languages.split(",") if lang]


class CampaignNumber(Base):
    """A phone number (E.164) that callers dial to reach a campaign."""

    __tablename__ = "campaign_numbers"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    campaign_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("campaigns.id"))
    number: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    # Set when the number was connected from the product (ivr/carrier): the carrier's id for it,
    # when, and its voice settings before, which a disconnect puts back.
    carrier_sid: so.Mapped[str | None] = so.mapped_column(sa.String(40), default=None)
    connected_at: so.Mapped[datetime | None] = so.mapped_column(default=None)
    previous: so.Mapped[dict[str, Any] | None] = so.mapped_column(default=None)

    campaign: so.Mapped[Campaign] = so.relationship(back_populates="numbers")


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        sa.Index("ix_calls_timeline", "campaign_id", "started_at", "language"),
        # The per-number limit and the burst check count recent calls by number and by range;
        # the number's index leads with the number, not the campaign (integrity.earlier_calls).
        sa.Index("ix_calls_number_recent", "caller_hash", "started_at"),
        sa.Index("ix_calls_range_recent", "campaign_id", "caller_range", "started_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    call_sid: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    # No index on the campaign alone nor on the start alone: ix_calls_timeline serves both, and
    # an index on the start alone drew generic plans of the counts away from theirs (0008).
    campaign_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("campaigns.id"))
    caller_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    caller_masked: so.Mapped[str] = so.mapped_column(sa.String(24), default="")
    caller_withheld: so.Mapped[bool] = so.mapped_column(default=False)
    caller_country: so.Mapped[str | None] = so.mapped_column(sa.String(2))
    # The block of numbers the caller's belongs to ("+32 470 12": operator prefix and two
    # digits), to see bursts from one range; None when withheld.
    caller_range: so.Mapped[str | None] = so.mapped_column(sa.String(24))
    # The carrier's STIR/SHAKEN verdict on the caller ID (Twilio's StirVerstat), when it sent one.
    stir_verstat: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    language: so.Mapped[str | None] = so.mapped_column(sa.String(2))
    postcode: so.Mapped[str | None] = so.mapped_column(sa.String(4))
    postcode_attempts: so.Mapped[int] = so.mapped_column(default=0)
    declared: so.Mapped[bool | None] = so.mapped_column(default=None)
    consented: so.Mapped[bool | None] = so.mapped_column(default=None)
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="in-progress")
    duration_seconds: so.Mapped[int | None] = so.mapped_column(default=None)
    started_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    ended_at: so.Mapped[datetime | None] = so.mapped_column(default=None)
    # A test call placed from the staff pages: it goes through the real flow, never counts.
    is_test: so.Mapped[bool] = so.mapped_column(default=False)


class HelplineTransfer(Base):
    """Callers a campaign put through to its helpline on one day (in the campaign's zone).

    Only a count: nothing here names a call, a caller or a signature.
    """

    __tablename__ = "helpline_transfers"

    campaign_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("campaigns.id"), primary_key=True)
    day: so.Mapped[date] = so.mapped_column(primary_key=True)
    transfers: so.Mapped[int] = so.mapped_column(default=0)


class Recording(Base):
    """One recording announced by the carrier, and the work still to do on it."""

    __tablename__ = "recordings"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    recording_sid: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    call_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("calls.id"), index=True)
    campaign_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    url: so.Mapped[str] = so.mapped_column(sa.String(500))
    carrier_duration: so.Mapped[int | None] = so.mapped_column(default=None)
    status: so.Mapped[str] = so.mapped_column(
        sa.String(16), default=RecordingStatus.PENDING, index=True
    )
    stage: so.Mapped[str] = so.mapped_column(sa.String(16), default="queued")
    storage_path: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    sha256: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    size_bytes: so.Mapped[int | None] = so.mapped_column(default=None)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    last_error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    claimed_by: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    claimed_until: so.Mapped[datetime | None] = so.mapped_column(default=None)
    enqueued_at: so.Mapped[datetime | None] = so.mapped_column(default=None)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    processed_at: so.Mapped[datetime | None] = so.mapped_column(default=None)
    deleted_at: so.Mapped[datetime | None] = so.mapped_column(default=None)  # retention
    # The audio fingerprint's words (petition/integrity/fingerprint.py), made when the
    # recording is stored.
    fingerprint: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary, deferred=True)
    # The keys the caller pressed to spell their name ({"surname": "6237"}): evidence for a
    # reviewer, kept only as long as the recording (deleted with it).
    keypad: so.Mapped[dict[str, Any] | None] = so.mapped_column(default=None)

    call: so.Mapped[Call] = so.relationship()


class AudioKey(Base):
    """The fingerprint index: a key of a recording's fingerprint, to find its twins quickly."""

    __tablename__ = "audio_keys"
    __table_args__ = (sa.Index("ix_audio_keys_lookup", "campaign_id", "key", "recording_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    campaign_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("campaigns.id"))
    recording_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("recordings.id"), index=True)
    key: so.Mapped[int]


class Signature(Base):
    __tablename__ = "signatures"
    __table_args__ = (
        # The rule "one signature per caller number" is enforced by the database itself:
        # counted_key is the caller hash while counted, NULL otherwise (NULLs never collide).
        sa.UniqueConstraint("campaign_id", "counted_key", name="uq_signatures_counted_key"),
        # Covers the one grouped pass of the stats (no table read, no sort), ...
        sa.Index(
            "ix_signatures_stats",
            "campaign_id",
            "state",
            "reason",
            "region",
            "language",
            "caller_country",
            "name_status",
        ),
        # ... and the per-hour / per-day charts.
        sa.Index("ix_signatures_timeline", "campaign_id", "state", "signed_at", "language"),
        # ... and the signatures list and the export, newest or oldest first.
        sa.Index("ix_signatures_list", "campaign_id", "signed_at"),
        sa.Index("ix_signatures_campaign_name_key", "campaign_id", "name_key"),
        # ... and the review queues, oldest first.
        sa.Index("ix_signatures_queue", "campaign_id", "state", "name_status", "signed_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    public_id: so.Mapped[str] = so.mapped_column(sa.String(16), unique=True)
    campaign_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("campaigns.id"))
    call_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("calls.id"), index=True)
    recording_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("recordings.id"), unique=True)
    state: so.Mapped[str] = so.mapped_column(sa.String(16), default=SignatureState.RECEIVED)
    reason: so.Mapped[str | None] = so.mapped_column(sa.String(24))
    name: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    name_key: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    name_status: so.Mapped[str] = so.mapped_column(sa.String(12), default=NameStatus.TO_CHECK)
    # What the name check saw (word probabilities, introduction, lexicon, ...): see namecheck.py.
    name_signals: so.Mapped[dict[str, Any] | None] = so.mapped_column(default=None)
    transcript: so.Mapped[str | None] = so.mapped_column(sa.Text)
    confidence: so.Mapped[float | None] = so.mapped_column(default=None)
    speech_seconds: so.Mapped[float | None] = so.mapped_column(default=None)
    language: so.Mapped[str | None] = so.mapped_column(sa.String(2))
    caller_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), index=True)
    caller_masked: so.Mapped[str] = so.mapped_column(sa.String(24), default="")
    caller_withheld: so.Mapped[bool] = so.mapped_column(default=False)
    caller_country: so.Mapped[str | None] = so.mapped_column(sa.String(2))
    postcode: so.Mapped[str | None] = so.mapped_column(sa.String(4))
    region: so.Mapped[str] = so.mapped_column(sa.String(16), default="unknown")
    counted_key: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    duplicate_of_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("signatures.id"))
    signed_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    counted_at: so.Mapped[datetime | None] = so.mapped_column(default=None)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)
    # A reviewer's lease: the queue hands this signature to nobody else until it expires.
    review_by: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    review_until: so.Mapped[datetime | None] = so.mapped_column(default=None)
    # Drawn into a random sample of machine readings and not yet checked by a person.
    sample_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("name_samples.id"))
    # Recordings that are near-identical audio share a group: the id of its first signature.
    audio_group_id: so.Mapped[int | None] = so.mapped_column(index=True)

    recording: so.Mapped[Recording] = so.relationship()
    call: so.Mapped[Call] = so.relationship()


class NameSample(Base):
    """A random sample of machine readings, checked by people to estimate their accuracy."""

    __tablename__ = "name_samples"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    campaign_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    drawn_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    drawn_by: so.Mapped[str] = so.mapped_column(sa.String(200))
    population: so.Mapped[int]  # machine readings it was drawn from
    seed: so.Mapped[str] = so.mapped_column(sa.String(32))  # lets an auditor redraw it


class NameSampleItem(Base):
    """One drawn signature: the reading as drawn, and whether the person found it right."""

    __tablename__ = "name_sample_items"
    __table_args__ = (sa.UniqueConstraint("sample_id", "signature_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    sample_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("name_samples.id"), index=True)
    signature_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("signatures.id"), index=True)
    machine_name: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    checked_at: so.Mapped[datetime | None] = so.mapped_column(default=None)
    checked_by: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    right: so.Mapped[bool | None] = so.mapped_column(default=None)


class AuditEvent(Base):
    """Who changed what, when: every state change by a person or by the system."""

    __tablename__ = "audit_events"
    # The campaign's audit page and the review pace read events by campaign and time.
    __table_args__ = (sa.Index("ix_audit_events_campaign_at", "campaign_id", "at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    actor: so.Mapped[str] = so.mapped_column(sa.String(200))
    action: so.Mapped[str] = so.mapped_column(sa.String(40))
    campaign_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("campaigns.id"))
    signature_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("signatures.id"), index=True
    )
    before: so.Mapped[dict[str, Any] | None] = so.mapped_column(default=None)
    after: so.Mapped[dict[str, Any] | None] = so.mapped_column(default=None)
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # Set on each signature's event of a bulk invalidation, so that it can be undone as one.
    bulk_action_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("bulk_actions.id"), index=True
    )


class BulkAction(Base):
    """Signatures taken out of the count in one go by staff, after a preview
    (petition/review/bulk.py)."""

    __tablename__ = "bulk_actions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    campaign_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    actor: so.Mapped[str] = so.mapped_column(sa.String(200))
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    reason: so.Mapped[str] = so.mapped_column(sa.String(24))
    selection: so.Mapped[dict[str, Any]] = so.mapped_column(default=dict)
    changed: so.Mapped[int] = so.mapped_column(default=0)
    uncounted: so.Mapped[int] = so.mapped_column(default=0)  # of those, were counted
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    undone_at: so.Mapped[datetime | None] = so.mapped_column(default=None)
    undone_by: so.Mapped[str | None] = so.mapped_column(sa.String(200))


class User(Base):
    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(200))
    role: so.Mapped[str] = so.mapped_column(sa.String(16))  # admin | reviewer | viewer
    language: so.Mapped[str] = so.mapped_column(sa.String(2), default="en")
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class ApiToken(Base):
    """A bearer token for the staff API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    role: so.Mapped[str] = so.mapped_column(sa.String(16))
    label: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(default=None)
    revoked: so.Mapped[bool] = so.mapped_column(default=False)


class BlockedNumber(Base):
    __tablename__ = "blocked_numbers"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "caller_hash"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    campaign_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("campaigns.id"))
    caller_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    caller_masked: so.Mapped[str] = so.mapped_column(sa.String(24))
    note: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class Deployment(Base):
    """This database's own id, made once by the migration that creates the table.

    Processes that share a Redis server but not a database must never take each other's
    work, so the queue's name carries this id (see `workers.queue.queue_name`).
    """

    __tablename__ = "deployment"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)  # always 1: one row
    uid: so.Mapped[str] = so.mapped_column(sa.String(32))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
