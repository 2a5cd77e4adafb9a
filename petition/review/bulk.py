"""Bulk invalidation: staff take many signatures out of the count at once, after a preview.

As UK e-petitions' moderators do, staff select signatures (by number range, time window,
same-audio group, or state and reason), see what would change (how many, which regions, the
effect on progress to the rule), then apply it as one audited action that can be undone as one.
The preview carries a digest of the signatures it showed; applying refuses when the selection
no longer gives the same signatures (a call came in, a reviewer decided one meanwhile).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from petition import audit
from petition.counting.regions import Region
from petition.counting.tally import campaign_rule, counted_tally
from petition.counting.thresholds import Tally, progress
from petition.errors import PetitionError
from petition.models import (
    AuditEvent,
    BulkAction,
    Call,
    Campaign,
    Reason,
    Signature,
    SignatureState,
    utcnow,
)
from petition.review import queues

# Reasons a bulk invalidation can give: a replay, a burst, or something else staff explain.
REASONS = (Reason.SAME_AUDIO, Reason.BURST, Reason.INVALIDATED)
# Only signatures in the count or waiting for a person change; rejected ones are out already,
# and those still being processed are decided by the counting rules first.
CHANGEABLE = (SignatureState.COUNTED, SignatureState.NEEDS_REVIEW)


class BulkError(PetitionError, ValueError):
    """The bulk action cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class Selection:
    """Which signatures: every criterion given must hold."""

    number_range: str | None = None  # "+32 470 12", or a shorter prefix of one ("+32 470")
    since: datetime | None = None  # signed at or after (UTC)
    until: datetime | None = None  # signed before (UTC)
    audio_group: int | None = None
    state: str | None = None
    reason: str | None = None

    def is_empty(self) -> bool:
        return not any(
            (self.number_range, self.since, self.until, self.audio_group, self.state, self.reason)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "number_range": self.number_range,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "audio_group": self.audio_group,
            "state": self.state,
            "reason": self.reason,
        }

    def where(self, campaign_id: int) -> list[sa.ColumnElement[bool]]:
        conditions: list[sa.ColumnElement[bool]] = [
            Signature.campaign_id == campaign_id,
            Signature.state.in_(CHANGEABLE),
        ]
        if self.number_range:
            prefix = " ".join(self.number_range.split())
            in_range = sa.or_(
                Call.caller_range == prefix,
                Call.caller_range.startswith(prefix + " ", autoescape=True),
            )
            conditions.append(
                Signature.call_id.in_(
                    sa.select(Call.id).where(Call.campaign_id == campaign_id, in_range)
                )
            )
        if self.since:
            conditions.append(Signature.signed_at >= self.since)
        if self.until:
            conditions.append(Signature.signed_at < self.until)
        if self.audio_group is not None:
            conditions.append(Signature.audio_group_id == self.audio_group)
        if self.state:
            conditions.append(Signature.state == self.state)
        if self.reason:
            conditions.append(Signature.reason == self.reason)
        return conditions


@dataclass(frozen=True)
class RegionChange:
    region: str
    counted: int
    leaving: int
    minimum: int | None

    @property
    def after(self) -> int:
        return self.counted - self.leaving


@dataclass(frozen=True)
class Preview:
    """What applying the selection would change."""

    ids: tuple[int, ...]
    counted: int  # of them, in the count now: the count falls by this much
    held: int  # of them, waiting for a person now
    regions: tuple[RegionChange, ...]
    before: dict[str, Any]  # progress to the rule now (thresholds.Progress.to_dict())
    after: dict[str, Any]  # ... and once applied
    by_reason: dict[str, int] = field(default_factory=dict)  # the held ones, by their reason

    @property
    def total(self) -> int:
        return len(self.ids)

    @property
    def digest(self) -> str:
        return _digest(self.ids)


def _digest(ids: tuple[int, ...]) -> str:
    return hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:16]


def preview(
    session: so.Session, campaign: Campaign, selection: Selection, now: datetime | None = None
) -> Preview:
    """What invalidating `selection` would do, without doing it."""
    if selection.is_empty():
        raise BulkError("choose at least one criterion")
    now = now or utcnow()
    rows = session.execute(
        sa.select(
            Signature.id,
            Signature.state,
            Signature.reason,
            Signature.region,
            Signature.caller_country,
        )
        .where(*selection.where(campaign.id))
        .order_by(Signature.id)
    ).all()
    leaving_region: Counter[str] = Counter()
    leaving_country: Counter[str] = Counter()
    held_reasons: Counter[str] = Counter()
    for _id, state, reason, region, country in rows:
        if state == SignatureState.COUNTED:
            leaving_region[region] += 1
            if country:
                leaving_country[country] += 1
        else:
            held_reasons[reason or "none"] += 1
    rule = campaign_rule(campaign)
    tally = counted_tally(session, campaign, now)
    after = Tally(
        total=tally.total - sum(leaving_region.values()),
        by_region={r: n - leaving_region.get(r.value, 0) for r, n in tally.by_region.items()},
        by_country={c: n - leaving_country.get(c, 0) for c, n in tally.by_country.items()},
        opened_at=tally.opened_at,
        # Signatures counted inside the rule's window that leave: not known per window here,
        # so the window count falls by all that leave (an upper bound of the effect).
        counted_in_window=(
            None
            if tally.counted_in_window is None
            else max(0, tally.counted_in_window - sum(leaving_region.values()))
        ),
    )
    minimums = {Region(region): n for region, n in rule.regional_minimums.items()}
    regions = tuple(
        RegionChange(
            region=region.value,
            counted=tally.by_region.get(region, 0),
            leaving=leaving_region.get(region.value, 0),
            minimum=minimums.get(region),
        )
        for region in Region
    )
    return Preview(
        ids=tuple(row.id for row in rows),
        counted=sum(leaving_region.values()),
        held=sum(held_reasons.values()),
        regions=regions,
        before=progress(rule, tally, now).to_dict(),
        after=progress(rule, after, now).to_dict(),
        by_reason=dict(sorted(held_reasons.items())),
    )


def apply(
    session: so.Session,
    campaign: Campaign,
    selection: Selection,
    *,
    reason: str,
    actor: str,
    digest: str,
    note: str | None = None,
) -> BulkAction:
    """Reject every signature of the selection with `reason`, as one action.

    `digest` is the preview's: when the selection no longer gives the signatures the person
    saw, nothing changes and BulkError says so.
    """
    if reason not in REASONS:
        raise BulkError(f"not a reason for a bulk invalidation: {reason!r}")
    seen = preview(session, campaign, selection)
    if seen.digest != digest:
        raise BulkError("the selection changed since the preview; look at the new preview")
    if not seen.ids:
        raise BulkError("nothing to invalidate")
    action = BulkAction(
        campaign_id=campaign.id,
        actor=actor,
        reason=reason,
        selection=selection.to_dict(),
        changed=seen.total,
        uncounted=seen.counted,
        note=note,
    )
    session.add(action)
    session.flush()
    label = f"bulk invalidation {action.id}"
    for signature in session.scalars(sa.select(Signature).where(Signature.id.in_(seen.ids))):
        event = queues.take_out(
            session, signature, actor, Reason(reason), action="bulk_invalidated", note=label
        )
        event.bulk_action_id = action.id
    audit.record(
        session,
        actor=actor,
        action="bulk_invalidation",
        campaign_id=campaign.id,
        after={"bulk_action": action.id, "changed": seen.total, "uncounted": seen.counted},
        note=note,
    ).bulk_action_id = action.id
    return action


@dataclass(frozen=True)
class Undone:
    restored: int
    recounted: int
    skipped: int  # changed by someone since, or their number counted meanwhile: left as they are


def undo(session: so.Session, campaign: Campaign, action_id: int, actor: str) -> Undone:
    """Put every signature of a bulk invalidation back as it was, as one audited action.

    A signature a person decided on since is left as it is, and so is one whose number was
    counted meanwhile by another signature; the result says how many.
    """
    action = session.get(BulkAction, action_id)
    if action is None or action.campaign_id != campaign.id:
        raise BulkError("no such bulk action")
    if action.undone_at is not None:
        raise BulkError("this bulk action was undone already")
    events = session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.bulk_action_id == action.id, AuditEvent.action == "bulk_invalidated")
        .order_by(AuditEvent.id)
    ).all()
    restored = recounted = skipped = 0
    label = f"undid bulk invalidation {action.id}"
    for event in events:
        signature = session.get(Signature, event.signature_id) if event.signature_id else None
        if signature is None or not queues.unchanged_since(signature, event):
            skipped += 1
            continue
        try:
            with session.begin_nested():
                again = queues.restore(session, signature, event, actor, label)
        except queues.ReviewError:
            skipped += 1
            continue
        again.bulk_action_id = action.id
        restored += 1
        recounted += signature.state == SignatureState.COUNTED
    action.undone_at = utcnow()
    action.undone_by = actor
    audit.record(
        session,
        actor=actor,
        action="bulk_undone",
        campaign_id=campaign.id,
        after={"bulk_action": action.id, "restored": restored, "skipped": skipped},
    ).bulk_action_id = action.id
    return Undone(restored=restored, recounted=recounted, skipped=skipped)


def recent(session: so.Session, campaign_id: int, limit: int = 20) -> list[BulkAction]:
    return list(
        session.scalars(
            sa.select(BulkAction)
            .where(BulkAction.campaign_id == campaign_id)
            .order_by(BulkAction.id.desc())
            .limit(limit)
        )
    )
