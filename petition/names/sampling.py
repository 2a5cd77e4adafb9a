"""The sample audit: how often are the machine's readings of names right?

For a large campaign nobody listens to every name. As authorities verifying statements of
support for a European Citizens' Initiative do, staff check a random sample instead: a few
hundred machine readings drawn at random go to the name-check queue, a person accepts or
corrects each, and the share found right estimates the share right among all machine readings,
with a 95 % Wilson score interval.

A reading is right when the person kept it, case, accents and punctuation aside. A reading
rejected as not a name is wrong; one rejected for another reason (a duplicate, a withdrawal)
says nothing about the name and leaves the sample.
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from petition import audit
from petition.errors import PetitionError
from petition.models import (
    Campaign,
    NameSample,
    NameSampleItem,
    NameStatus,
    Signature,
    SignatureState,
    utcnow,
)

Z_95 = 1.959963984540054  # the normal quantile for a two-sided 95 % interval
MAX_SAMPLE = 5000


class SampleError(PetitionError, ValueError):
    """A sample that cannot be drawn (no machine readings, a size out of range)."""


@dataclass(frozen=True)
class Estimate:
    """What a sample says about the machine readings of a campaign."""

    sample_id: int
    drawn_at: datetime
    size: int  # readings drawn
    pending: int  # drawn and still waiting for a person
    checked: int  # checked by a person and telling (rejected as a duplicate, say, is not)
    right: int
    share: float | None  # right / checked
    low: float | None  # 95 % Wilson interval
    high: float | None


def wilson_interval(right: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval for a proportion right/n; None when nothing was checked.

    Unlike the textbook p ± z·√(p(1−p)/n), it stays inside 0..1 and is honest at the edges:
    400 of 400 right gives 99.0–100 %, not a zero-width 100 %.
    """
    if n <= 0:
        return None
    if not 0 <= right <= n:
        raise ValueError(f"{right} right out of {n} checked")
    p = right / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def machine_readings(campaign_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        Signature.campaign_id == campaign_id,
        Signature.state == SignatureState.COUNTED,
        Signature.name_status == NameStatus.MACHINE,
    )


def draw(
    session: so.Session, campaign: Campaign, size: int, actor: str, seed: str | None = None
) -> NameSample:
    """Draw `size` machine readings at random into the name-check queue.

    The seed is stored, so an auditor can redraw the same sample from the same readings. A new
    sample takes over from the previous one: readings of an earlier sample still unchecked go
    back to being plain machine readings.
    """
    if not 1 <= size <= MAX_SAMPLE:
        raise SampleError(f"a sample holds 1 to {MAX_SAMPLE:,} names")
    session.execute(
        sa.update(Signature)
        .where(Signature.campaign_id == campaign.id, Signature.sample_id.is_not(None))
        .values(sample_id=None)
        .execution_options(synchronize_session=False)
    )
    population = list(
        session.execute(
            sa.select(Signature.id, Signature.name)
            .where(machine_readings(campaign.id))
            .order_by(Signature.id)
        ).all()
    )
    if not population:
        raise SampleError("there are no machine readings to check")
    seed = seed or secrets.token_hex(8)
    chosen = random.Random(seed).sample(population, min(size, len(population)))  # noqa: S311
    sample = NameSample(
        campaign_id=campaign.id, drawn_by=actor, population=len(population), seed=seed
    )
    session.add(sample)
    session.flush()
    session.add_all(
        NameSampleItem(sample_id=sample.id, signature_id=sig_id, machine_name=name)
        for sig_id, name in chosen
    )
    ids = [sig_id for sig_id, _ in chosen]
    for start in range(0, len(ids), 500):
        session.execute(
            sa.update(Signature)
            .where(Signature.id.in_(ids[start : start + 500]))
            .values(sample_id=sample.id)
            .execution_options(synchronize_session=False)
        )
    audit.record(
        session,
        actor=actor,
        action="sample_drawn",
        campaign_id=campaign.id,
        after={"sample_id": sample.id, "size": len(ids), "population": len(population)},
        note=f"seed {seed}",
    )
    session.expire_all()
    return sample


def settle(
    session: so.Session, sample_id: int, signature: Signature, actor: str, *, right: bool | None
) -> None:
    """A person checked a sampled reading: right, wrong, or (None) telling nothing."""
    item = _item(session, sample_id, signature.id)
    if item is not None:
        item.checked_at = utcnow()
        item.checked_by = actor
        item.right = right


def reopen(session: so.Session, sample_id: int, signature: Signature) -> None:
    """An undone check: the reading waits in the sample again."""
    item = _item(session, sample_id, signature.id)
    if item is not None:
        item.checked_at = item.checked_by = item.right = None


def _item(session: so.Session, sample_id: int, signature_id: int) -> NameSampleItem | None:
    return session.scalar(
        sa.select(NameSampleItem).where(
            NameSampleItem.sample_id == sample_id, NameSampleItem.signature_id == signature_id
        )
    )


def latest_estimate(session: so.Session, campaign_id: int) -> Estimate | None:
    """The estimate from the campaign's latest sample, or None if it never drew one."""
    sample = session.scalar(
        sa.select(NameSample)
        .where(NameSample.campaign_id == campaign_id)
        .order_by(NameSample.id.desc())
        .limit(1)
    )
    if sample is None:
        return None
    size, checked, right = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count().filter(NameSampleItem.right.is_not(None)),
            sa.func.count().filter(NameSampleItem.right.is_(True)),
        ).where(NameSampleItem.sample_id == sample.id)
    ).one()
    # Still in the queue: a reading erased or taken out another way no longer waits.
    pending = session.scalar(
        sa.select(sa.func.count()).where(
            Signature.sample_id == sample.id, Signature.state == SignatureState.COUNTED
        )
    )
    interval = wilson_interval(right, checked)
    return Estimate(
        sample_id=sample.id,
        drawn_at=sample.drawn_at,
        size=size,
        pending=pending or 0,
        checked=checked,
        right=right,
        share=right / checked if checked else None,
        low=interval[0] if interval else None,
        high=interval[1] if interval else None,
    )
