"""The audit log: every change of a signature's state, by a person or by the system."""

from __future__ import annotations

from typing import Any

import sqlalchemy.orm as so

from petition.models import AuditEvent, Signature

AUDITED_FIELDS = (
    "state",
    "reason",
    "name",
    "name_status",
    "duplicate_of_id",
    "region",
    "postcode",
    "sample_id",
)


def snapshot(signature: Signature) -> dict[str, Any]:
    return {f: getattr(signature, f) for f in AUDITED_FIELDS}


def record(
    session: so.Session,
    *,
    actor: str,
    action: str,
    signature: Signature | None = None,
    campaign_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor=actor,
        action=action,
        campaign_id=campaign_id
        if campaign_id is not None
        else getattr(signature, "campaign_id", None),
        signature_id=signature.id if signature is not None else None,
        before=before,
        after=after,
        note=note,
    )
    session.add(event)
    return event
