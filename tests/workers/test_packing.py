"""Packed transcription: several short recordings of one language in one Whisper window.

Real webhooks over HTTP, real Redis and RQ, the real Whisper model and espeak-ng voices.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from audio.transcribe import PACK_SECONDS, Clip, Transcriber, _packs, before_loop
from ivr.simulator import RecordingServer, SimulatedCall, simulate_call
from petition.config import Settings
from petition.db import Database
from petition.models import AuditEvent, Recording, Signature
from tests.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CAMPAIGN_NUMBER,
    burst_worker,
    kill_worker_once,
    run_worker,
)

pytestmark = [pytest.mark.whisper, pytest.mark.usefixtures("campaign")]

# English names Whisper base hears right from espeak-ng's default voice, alone and packed.
CALLERS = {
    "+32470000101": ("My name is John Smith", "John Smith"),
    "+32470000102": ("My name is Sarah Brown", "Sarah Brown"),
    "+32470000103": ("My name is Emma Taylor", "Emma Taylor"),
}


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'petition.sqlite3'}"


@contextmanager
def calls(
    settings: Settings, live_url: str, wavs: dict[str, Path]
) -> Iterator[list[SimulatedCall]]:
    """One simulated English call per caller, each recording served until the block ends."""
    with ExitStack() as stack:
        made = []
        for caller, wav in wavs.items():
            server = stack.enter_context(RecordingServer(wav, ACCOUNT_SID, AUTH_TOKEN))
            made.append(
                simulate_call(
                    settings,
                    base_url=live_url,
                    dialled=CAMPAIGN_NUMBER,
                    caller=caller,
                    language="en",
                    server=server,
                    wait_for_fetch=0,
                )
            )
        yield made


def decided(db: Database) -> dict[str, tuple[str, str | None, int]]:
    """State, name and number of worker decisions of every signature, by recording SID."""
    with db.session() as s:
        rows = s.execute(
            sa.select(Recording.recording_sid, Signature.state, Signature.name, Signature.id).join(
                Signature, Signature.recording_id == Recording.id
            )
        ).all()
        return {
            sid: (
                state,
                name,
                s.scalar(
                    sa.select(sa.func.count()).where(
                        AuditEvent.signature_id == sig_id, AuditEvent.action == "transcribed"
                    )
                )
                or 0,
            )
            for sid, state, name, sig_id in rows
        }


def surname(outcome: tuple[str, str | None, int]) -> tuple[str, str | None, int]:
    state, name, decisions = outcome
    return state, name.split()[-1] if name else None, decisions


def test_a_pack_of_callers_is_split_so_each_signature_gets_its_own_name(
    settings: Settings,
    db: Database,
    live_url: str,
    transcriber,
    speech,  # type: ignore[no-untyped-def]
) -> None:
    wavs = {caller: speech(text, "en") for caller, (text, _) in list(CALLERS.items())[:2]}
    with calls(settings, live_url, wavs) as made:
        run_worker(settings, transcriber)
    result = decided(db)
    # Each signature has its own caller's name (Whisper may spell a given name its own way).
    assert [surname(result[c.recording_sid or ""]) for c in made] == [
        ("counted", "Smith", 1),
        ("counted", "Brown", 1),
    ]
    with db.session() as s:
        # One job did both: the second found its recording decided already.
        packed = s.scalar(
            sa.select(sa.func.count()).where(Recording.attempts == 1, Recording.status == "done")
        )
    assert packed == 2


def test_a_pack_holding_an_unreadable_recording_still_decides_the_others(
    settings: Settings,
    db: Database,
    live_url: str,
    transcriber,
    speech,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    bogus = tmp_path / "bogus.wav"
    bogus.write_bytes(b"RIFF\x00\x00\x00\x00WAVE" + bytes(range(256)) * 8)
    callers = list(CALLERS.items())
    wavs = {
        callers[0][0]: speech(callers[0][1][0], "en"),
        "+32470000199": bogus,
        callers[2][0]: speech(callers[2][1][0], "en"),
    }
    with calls(settings, live_url, wavs) as made:
        run_worker(settings, transcriber)
    result = decided(db)
    good, bad, other = (result[c.recording_sid or ""] for c in made)
    assert (surname(good), surname(other)) == (("counted", "Smith", 1), ("counted", "Taylor", 1))
    assert bad == ("received", None, 0)
    with db.session() as s:
        rec = s.scalar(sa.select(Recording).where(Recording.recording_sid == made[1].recording_sid))
        assert rec is not None and rec.status == "pending" and rec.claimed_by is None
        assert "transcription failed" in (rec.last_error or "")


def test_a_worker_killed_while_holding_a_pack_loses_nothing_and_decides_each_once(
    settings: Settings,
    db: Database,
    live_url: str,
    speech,
    tmp_path: Path,
    whisper_model_dir,  # type: ignore[no-untyped-def]
) -> None:
    wavs = {caller: speech(text, "en") for caller, (text, _) in CALLERS.items()}

    def whole_pack_held() -> bool:
        with db.session() as s:
            held = s.scalar(
                sa.select(sa.func.count()).where(
                    Recording.claimed_by.is_not(None), Recording.stage == "transcribing"
                )
            )
        return held == len(wavs)

    with calls(settings, live_url, wavs) as made:
        env = kill_worker_once(
            settings, whisper_model_dir, tmp_path / "worker.log", whole_pack_held
        )
        assert {state for state, _, _ in decided(db).values()} == {"received"}
        burst_worker(env)  # its first sweep finds the dead worker's pack and queues it again
    result = decided(db)
    assert [surname(result[c.recording_sid or ""]) for c in made] == [
        ("counted", name.split()[-1], 1) for _, name in CALLERS.values()
    ]


def test_a_looped_window_keeps_the_recordings_heard_before_the_loop_began() -> None:
    """Whisper copying an earlier caller's name into the next recordings, or stuck on a phrase
    from some recording on: the recordings before the one where the loop begins keep their
    words, that one and the rest are decoded again."""
    copied = [
        " Mijn naam is Jan Peeters.",
        " Mijn naam is Elke Maat.",
        " Mijn naam is Elke Maat.",
        " Mijn naam is Elke Maat.",
        " Mijn naam is Elke Maat.",
    ]
    assert before_loop(copied) == 1  # the loop's first "Elke Maat" may be a copy already
    stuck = [" Ich heiße Anna Schmidt.", " Ich heiße", " m'n m'n m'n m'n m'n m'n", " m'n m'n"]
    assert before_loop(stuck) == 2
    assert before_loop([" m'n m'n m'n m'n", " Jan Peeters"]) == 0
    # The loop in words no recording got (a segment left out as silence): nothing is kept.
    assert before_loop([" Jan Peeters.", " Elke Maat."]) == 0


def test_a_worker_behind_a_backlog_decodes_greedily_and_leaves_those_names_to_a_person(
    settings: Settings,
    db: Database,
    live_url: str,
    transcriber,
    speech,  # type: ignore[no-untyped-def]
) -> None:
    """With one recording a pack and a backlog of one, every recording but the last waits
    behind another when its turn comes: those are decoded greedily and, whatever the name check
    makes of them, left for a person; the last is decoded with the full beam."""
    behind = replace(settings, pack_size=1, catch_up_backlog=1)
    wavs = {caller: speech(text, "en") for caller, (text, _) in CALLERS.items()}
    with calls(behind, live_url, wavs) as made:
        run_worker(behind, transcriber)
    with db.session() as s:
        signatures = {
            sid: signature
            for sid, signature in s.execute(
                sa.select(Recording.recording_sid, Signature).join(
                    Signature, Signature.recording_id == Recording.id
                )
            ).all()
        }
        read = [signatures[c.recording_sid or ""] for c in made]
        assert [sig.state for sig in read] == ["counted"] * 3  # counted all the same
        assert [(sig.name_signals or {}).get("beam_size") for sig in read] == [1, 1, 5]
        for sig in read[:2]:
            assert sig.name_status == "to_check"
            assert "hurried" in (sig.name_signals or {})["doubts"]
        assert "hurried" not in (read[2].name_signals or {})["doubts"]


def test_recordings_fill_whisper_windows_in_order_and_never_overflow_one() -> None:
    def clip(seconds: float) -> Clip:
        import numpy as np

        return Clip(np.zeros(int(seconds * 16_000), dtype=np.float32), seconds, seconds)

    clips = {i: clip(s) for i, s in enumerate([9.0, 9.0, 9.0, 2.0, 27.5, 3.0])}
    packs = _packs(list(clips), clips)
    assert packs == [[0, 1], [2, 3], [4], [5]]
    for pack in packs:
        length = sum(clips[i].seconds for i in pack)
        assert length <= PACK_SECONDS or len(pack) == 1


def test_one_recording_alone_is_transcribed_as_a_pack_of_one(
    transcriber: Transcriber,
    speech,  # type: ignore[no-untyped-def]
) -> None:
    wav = speech("My name is John Smith", "en")
    alone = transcriber.transcribe(wav, "en")
    (packed,) = transcriber.transcribe_pack([wav], "en")
    assert alone == packed and "John Smith" in alone.text
