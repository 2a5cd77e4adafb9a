"""Same audio from other numbers: the fingerprint index and the twin groups.

Each stored recording gets a fingerprint (petition/integrity/fingerprint.py). Its keys go to the
`audio_keys` table; a new recording's keys find the campaign's recordings that share at least
MIN_SHARED_KEYS of them (one indexed query), the best CANDIDATES of those are compared word by
word, and those closer than fingerprint.MATCH_BER are its twins. Twins share an audio group
(`Signature.audio_group_id`, the id of the group's first signature); the counting rules hold a
recording with twins from another number for a person (`needs_review: same_audio`), and staff
review the group as one item.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so

from petition.integrity import fingerprint
from petition.models import AudioKey, Recording, Signature

MIN_SHARED_KEYS = 3
CANDIDATES = 10
# Rows per INSERT when a recording's keys are stored.
_BATCH = 500


def store(session: so.Session, recording: Recording, made: fingerprint.Print) -> None:
    """Keep a recording's fingerprint and add its keys to the index (once)."""
    if recording.fingerprint is not None:
        return
    recording.fingerprint = made.to_bytes()
    rows = [
        {"campaign_id": recording.campaign_id, "recording_id": recording.id, "key": key}
        for key in made.keys
    ]
    for start in range(0, len(rows), _BATCH):
        session.execute(sa.insert(AudioKey), rows[start : start + _BATCH])


def forget(session: so.Session, recording_ids: Sequence[int]) -> None:
    """Remove recordings from the index (their audio was deleted)."""
    if recording_ids:
        session.execute(sa.delete(AudioKey).where(AudioKey.recording_id.in_(list(recording_ids))))


def candidates(
    session: so.Session, campaign_id: int, recording_id: int, words: np.ndarray
) -> list[int]:
    """Recordings of the campaign sharing the most index keys with `words`, best first."""
    keys = fingerprint.query_keys(words)
    if not keys:
        return []
    shared = sa.func.count().label("shared")
    rows = session.execute(
        sa.select(AudioKey.recording_id, shared)
        .where(
            AudioKey.campaign_id == campaign_id,
            AudioKey.key.in_(keys),
            AudioKey.recording_id != recording_id,
        )
        .group_by(AudioKey.recording_id)
        .having(shared >= MIN_SHARED_KEYS)
        .order_by(shared.desc(), AudioKey.recording_id)
        .limit(CANDIDATES)
    )
    found = list(rows)
    if not found:
        return []
    # Only those close to the best: a replay shares many keys, the rest share by chance.
    enough = max(MIN_SHARED_KEYS, found[0].shared // 3)
    return [recording_id for recording_id, shared_keys in found if shared_keys >= enough]


def matches(session: so.Session, recording: Recording) -> list[int]:
    """Ids of the campaign's other recordings that are the same audio as this one."""
    if not recording.fingerprint:
        return []
    words = fingerprint.words_from_bytes(recording.fingerprint)
    found = candidates(session, recording.campaign_id, recording.id, words)
    if not found:
        return []
    stored = session.execute(
        sa.select(Recording.id, Recording.fingerprint).where(Recording.id.in_(found))
    )
    return sorted(
        other
        for other, data in stored
        if data and fingerprint.same_audio(words, fingerprint.words_from_bytes(data))
    )


def twins(session: so.Session, signature: Signature) -> list[Signature]:
    """The signatures of recordings that are the same audio as this one, oldest first."""
    same = matches(session, signature.recording)
    if not same:
        return []
    return list(
        session.scalars(
            sa.select(Signature)
            .where(Signature.recording_id.in_(same))
            .order_by(Signature.signed_at, Signature.id)
        )
    )


def group_members(session: so.Session, campaign_id: int, group_id: int) -> list[Signature]:
    return list(
        session.scalars(
            sa.select(Signature)
            .where(Signature.campaign_id == campaign_id, Signature.audio_group_id == group_id)
            .order_by(Signature.signed_at, Signature.id)
        )
    )
