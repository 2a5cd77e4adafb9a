"""Erasure on request and retention, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from petition.config import Settings
from petition.db import Database
from petition.models import Campaign, Recording, Signature
from petition.privacy.erasure import apply_retention, erase_signer
from petition.reporting.stats import campaign_stats
from tests.counting.test_counting import KEY, arrive, hear
from workers import context
from workers.jobs import process_recording


def _store_fake_audio(db: Database, signature_id: int, tmp_path: Path) -> Path:
    path = tmp_path / f"{signature_id}.wav"
    path.write_bytes(b"RIFF....WAVE")
    with db.session() as s:
        s.get_one(Signature, signature_id).recording.storage_path = str(path)
    return path


def test_erasing_a_signer_removes_their_name_audio_and_count(
    db: Database, campaign: int, tmp_path: Path
) -> None:
    keep = hear(db, arrive(db, "+32470000100"), "Mijn naam is Jan Peeters")
    gone = hear(db, arrive(db, "+32470000101"), "Je m'appelle Sophie Dubois")
    audio = _store_fake_audio(db, gone.id, tmp_path)
    with db.session() as s:
        c = s.get_one(Campaign, campaign)
        assert campaign_stats(s, c)["signatures"] == 2
        result = erase_signer(s, c, "0470 00 01 01", hash_key=KEY, actor="dpo@example.org")
        assert (result.signatures, result.recordings) == (1, 1)
    assert not audio.exists()
    with db.session() as s:
        c = s.get_one(Campaign, campaign)
        assert campaign_stats(s, c)["signatures"] == 1
        erased = s.get_one(Signature, gone.id)
        assert (erased.state, erased.reason, erased.name, erased.caller_hash) == (
            "rejected",
            "erased",
            None,
            None,
        )
        assert s.get_one(Signature, keep.id).state == "counted"


def test_recordings_past_retention_are_deleted_and_newer_ones_kept(
    db: Database, campaign: int, tmp_path: Path
) -> None:
    old = hear(db, arrive(db, "+32470000102"), "Mijn naam is Jan Peeters")
    new = hear(db, arrive(db, "+32470000103"), "Mijn naam is Piet Maes")
    old_audio, new_audio = (_store_fake_audio(db, s.id, tmp_path) for s in (old, new))
    with db.session() as s:
        s.execute(sa.update(Recording).values(status="done"))
        rec = s.get_one(Signature, old.id).recording
        rec.created_at = rec.created_at - timedelta(days=91)
    with db.session() as s:
        assert apply_retention(s) == 1
    assert not old_audio.exists() and new_audio.exists()
    with db.session() as s:
        assert s.get_one(Signature, old.id).state == "counted"  # the signature itself stays


def test_an_erased_signer_whose_recording_was_still_waiting_is_never_processed_again(
    db: Database, campaign: int, settings: Settings, transcriber: Any
) -> None:
    waiting = arrive(db, "+32470000104")  # announced, not yet fetched or transcribed
    with db.session() as s:
        erase_signer(s, s.get_one(Campaign, campaign), "+32470000104", hash_key=KEY, actor="dpo")
    with db.session() as s:
        sid = s.get_one(Signature, waiting).recording.recording_sid
    context.configure(settings, transcriber=transcriber)
    assert process_recording(sid) == "nothing to do"
    with db.session() as s:
        sig = s.get_one(Signature, waiting)
        assert (sig.state, sig.reason, sig.name, sig.transcript) == (
            "rejected",
            "erased",
            None,
            None,
        )
