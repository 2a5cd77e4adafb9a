"""The audio fingerprint on the project's own sets: false matches, replay detection, and cost.

    python -m bench --only fingerprints

Sets, made here with the evaluation set's telephone line (bench/evalset.py: band 300-3,400 Hz,
white or pink noise at 10-30 dB SNR, a gain, G.711 mu-law):

- *different speakers, the same name*: common Belgian, French, German and English names, each
  said with its language's introduction ("Mijn naam is Jan Peeters.") by every speaker: the five
  espeak-ng voices at three speeds, and for English also four flite voices (another engine).
  Every pair of speakers of one name must not match.
- *one speaker, other names*: one espeak-ng voice at one speed says every name of a language:
  the introduction is then the very same audio, only the name differs. Must not match either.
- *replays*: every recording of the first set played into the line once more
  (audio.synth.recode: resampled, band-limited, gain, noise, mu-law again). Each must be found
  through the index (petition/integrity/replays.py), as the worker finds it.

Cost: fingerprinting per recording (against the transcription of the same clips, measured in
the same run, as a ratio: the machine is shared), and storing plus looking up one recording in
an index of 100,000 recordings in SQLite (against the same on an empty index).
"""

from __future__ import annotations

import itertools
import math
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from audio import synth
from bench.evalset import NOISES, SNR_DB, _read_wav, through_the_line
from petition.db import Database
from petition.integrity import fingerprint, replays
from petition.models import AudioKey, Call, Campaign, Recording

INTRODUCTIONS = {
    "nl": "Mijn naam is {name}.",
    "fr": "Je m'appelle {name}.",
    "de": "Ich heiße {name}.",
    "en": "My name is {name}.",
}
NAMES = (
    ("nl", "Jan Peeters"),
    ("nl", "Maria Janssens"),
    ("nl", "Luc Maes"),
    ("fr", "Marie Dubois"),
    ("fr", "Thomas Lambert"),
    ("de", "Anna Müller"),
    ("en", "John Smith"),
    ("en", "Sarah Jones"),
)
ESPEAK_VARIANTS = ("", "+m1", "+m3", "+f2", "+f4")
SPEEDS = (130, 160, 190)
FLITE_VOICES = ("kal", "awb", "rms", "slt")
INDEX_SIZE = int(os.environ.get("BENCH_INDEX_SIZE", "100000"))
LOOKUPS = 30
TRANSCRIBED = 6


@dataclass(frozen=True)
class Clip:
    name: str
    language: str
    speaker: str
    path: Path


def _flite(text: str, voice: str, out: Path) -> np.ndarray:
    raw = out.with_suffix(".raw.wav")
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(raw)], check=True)
    synth.sox(str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(out))
    return _read_wav(out)


def _espeak(text: str, language: str, variant: str, speed: int, out: Path) -> np.ndarray:
    synth.synthesize(text, language, out, variant=variant, words_per_minute=speed, padding=0.0)
    return _read_wav(out)


def _line(speech: np.ndarray, out: Path, tmp: Path, index: int) -> Path:
    rng = random.Random(f"fingerprints:{index}")
    before, after = int(rng.uniform(0.2, 0.8) * 8000), int(rng.uniform(0.3, 1.0) * 8000)
    through_the_line(
        np.concatenate([np.zeros(before), speech, np.zeros(after)]),
        out,
        tmp,
        noise_rng=np.random.default_rng([11, index]),
        colour=rng.choice(NOISES),
        snr_db=round(rng.uniform(*SNR_DB), 1),
        gain_db=round(rng.uniform(-10.0, 0.0), 1),
        speech_span=(before, after),
    )
    return out


def make_sets(folder: Path) -> tuple[list[Clip], list[Clip]]:
    """(different speakers of each name, one speaker saying every name of a language)."""
    tmp = folder / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    counter = itertools.count()
    speakers: list[Clip] = []
    for language, name in NAMES:
        text = INTRODUCTIONS[language].format(name=name)
        voices = [(f"espeak {language}{v} {s}", v, s) for v in ESPEAK_VARIANTS for s in SPEEDS]
        for speaker, variant, speed in voices:
            i = next(counter)
            spoken = _espeak(text, language, variant, speed, tmp / "spoken.wav")
            speakers.append(
                Clip(name, language, speaker, _line(spoken, folder / f"{i}.wav", tmp, i))
            )
        if language == "en" and shutil.which("flite"):
            for voice in FLITE_VOICES:
                i = next(counter)
                spoken = _flite(text, voice, tmp / "spoken.wav")
                path = _line(spoken, folder / f"{i}.wav", tmp, i)
                speakers.append(Clip(name, language, f"flite {voice}", path))
    same_voice: list[Clip] = []
    for language, name in NAMES:
        i = next(counter)
        text = INTRODUCTIONS[language].format(name=name)
        spoken = _espeak(text, language, "+m1", 160, tmp / "spoken.wav")
        path = _line(spoken, folder / f"{i}.wav", tmp, i)
        same_voice.append(Clip(name, language, "espeak +m1 160", path))
    return speakers, same_voice


def _upper95(hits: int, n: int) -> float:
    """Wilson's upper 95 % bound of a rate."""
    if n == 0:
        return 1.0
    z, p = 1.96, hits / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre + margin) / (1 + z * z / n)


def _pairs_matching(
    prints: list[np.ndarray], pairs: list[tuple[int, int]]
) -> tuple[int, fingerprint.Comparison]:
    """How many pairs match, and the closest values of the two measures over all pairs."""
    found = [fingerprint.compare(prints[a], prints[b]) for a, b in pairs]
    matched = sum(fingerprint.matches(c) for c in found)
    closest = fingerprint.Comparison(min(c.ber for c in found), min(c.worst_quarter for c in found))
    return matched, closest


def _bits(c: fingerprint.Comparison) -> str:
    return f"{100 * c.ber:.0f} % of bits ({100 * c.worst_quarter:.0f} % in the worst quarter)"


def _database(folder: Path) -> tuple[Database, int]:
    db = Database(f"sqlite:///{folder / 'bench.sqlite3'}")
    db.migrate()
    with db.session() as s:
        campaign = Campaign(slug="bench", title="bench")
        s.add(campaign)
        s.flush()
        return db, campaign.id


def _add_recording(s: sa.orm.Session, campaign_id: int, n: int) -> Recording:
    call = Call(call_sid=f"CA{n:010d}", campaign_id=campaign_id)
    s.add(call)
    s.flush()
    rec = Recording(recording_sid=f"RE{n:010d}", call_id=call.id, campaign_id=campaign_id, url="-")
    s.add(rec)
    s.flush()
    return rec


def _fill_index(db: Database, campaign_id: int, prints: list[np.ndarray], size: int) -> float:
    """`size` recordings in the index, each a real fingerprint with 30 % of its bits flipped at
    random: as unrelated to the real ones as other callers, with speech's uneven bits."""
    rng = np.random.default_rng(5)
    started = time.perf_counter()
    with db.engine.begin() as conn:
        first_call = (conn.scalar(sa.select(sa.func.max(Call.id))) or 0) + 1
        first_rec = (conn.scalar(sa.select(sa.func.max(Recording.id))) or 0) + 1
        for chunk in range(0, size, 5_000):
            numbers = range(chunk, min(size, chunk + 5_000))
            calls, recordings, keys = [], [], []
            for n in numbers:
                words = prints[n % len(prints)]
                flips = np.packbits(rng.random((len(words), 32)) < 0.3, axis=1, bitorder="little")
                fake = words ^ flips.view("<u4").ravel()
                calls.append(
                    {"id": first_call + n, "call_sid": f"CF{n:010d}", "campaign_id": campaign_id}
                )
                recordings.append(
                    {
                        "id": first_rec + n,
                        "recording_sid": f"RF{n:010d}",
                        "call_id": first_call + n,
                        "campaign_id": campaign_id,
                        "url": "-",
                        "fingerprint": fake.astype("<u4").tobytes(),
                        "status": "done",
                        "stage": "done",
                        "attempts": 0,
                    }
                )
                keys.extend(
                    {"campaign_id": campaign_id, "recording_id": first_rec + n, "key": key}
                    for key in fingerprint.index_keys(fake)
                )
            conn.execute(sa.insert(Call), calls)
            conn.execute(sa.insert(Recording), recordings)
            conn.execute(sa.insert(AudioKey), keys)
    return time.perf_counter() - started


def _lookup_ms(db: Database, campaign_id: int, clips: list[Clip], start: int) -> list[float]:
    """Milliseconds to store one new recording's fingerprint and find its twins."""
    times = []
    for n, clip in enumerate(clips[:LOOKUPS]):
        made = fingerprint.fingerprint_file(clip.path)
        with db.session() as s:
            rec = _add_recording(s, campaign_id, start + n)
            t0 = time.perf_counter()
            replays.store(s, rec, made)
            s.flush()
            replays.matches(s, rec)
            times.append(1000 * (time.perf_counter() - t0))
            s.rollback()
    return times


def run() -> None:
    folder = Path(tempfile.mkdtemp(prefix="petition-fingerprints-"))
    try:
        _run(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(folder: Path) -> None:
    started = time.perf_counter()
    speakers, same_voice = make_sets(folder / "clips")
    replayed = [
        synth.recode(clip.path, folder / "replays" / f"{i}.wav", seed=i)
        for i, clip in enumerate(speakers)
    ]
    made_in = time.perf_counter() - started
    print(
        f"\nfingerprints: {len(speakers)} recordings of {len(NAMES)} names by "
        f"{len(speakers) // len(NAMES)}+ speakers, {len(same_voice)} names in one voice, "
        f"{len(replayed)} replays ({made_in:.0f} s to make)"
    )

    t0 = time.perf_counter()
    prints = [fingerprint.fingerprint_file(clip.path).words for clip in speakers]
    per_print = (time.perf_counter() - t0) / len(speakers)
    seconds = statistics.mean(len(_read_wav(clip.path)) / 8000 for clip in speakers)

    pairs = [
        (a, b)
        for a, b in itertools.combinations(range(len(speakers)), 2)
        if speakers[a].name == speakers[b].name
    ]
    matched, closest = _pairs_matching(prints, pairs)
    print(
        f"  different speakers, same name: {matched} false matches in {len(pairs)} pairs "
        f"({100 * matched / len(pairs):.2f} %, 95 % upper bound "
        f"{100 * _upper95(matched, len(pairs)):.2f} %); closest pair differs in "
        f"{_bits(closest)}; a match needs < {100 * fingerprint.MATCH_BER:.0f} % "
        f"({100 * fingerprint.MATCH_QUARTER_BER:.0f} %)"
    )
    voice_prints = [fingerprint.fingerprint_file(clip.path).words for clip in same_voice]
    voice_pairs = [
        (a, b)
        for a, b in itertools.combinations(range(len(same_voice)), 2)
        if same_voice[a].language == same_voice[b].language
    ]
    matched_v, closest_v = _pairs_matching(voice_prints, voice_pairs)
    print(
        f"  one voice, the same introduction, other names: {matched_v} false matches in "
        f"{len(voice_pairs)} pairs; closest differs in {_bits(closest_v)}"
    )

    db, campaign_id = _database(folder)
    with db.session() as s:
        originals = []
        for n, clip in enumerate(speakers):
            rec = _add_recording(s, campaign_id, n)
            replays.store(s, rec, fingerprint.fingerprint_file(clip.path))
            originals.append(rec.id)
        s.flush()
        through_index = sum(bool(replays.matches(s, s.get_one(Recording, r))) for r in originals)
        found = worst = 0
        distances = []
        for n, (path, original) in enumerate(zip(replayed, originals, strict=True)):
            rec = _add_recording(s, campaign_id, 10_000 + n)
            made = fingerprint.fingerprint_file(path)
            replays.store(s, rec, made)
            s.flush()
            twins = replays.matches(s, rec)
            found += original in twins
            wrong = [t for t in twins if t != original and t in originals]
            worst += bool(wrong)
            original_words = fingerprint.words_from_bytes(
                s.get_one(Recording, original).fingerprint or b""
            )
            distances.append(fingerprint.compare(made.words, original_words))
        s.rollback()
    farthest = fingerprint.Comparison(
        max(d.ber for d in distances), max(d.worst_quarter for d in distances)
    )
    print(
        f"  through the index: {through_index} of {len(speakers)} recordings matched another "
        f"speaker's; replays found {found} of {len(replayed)} "
        f"({100 * found / len(replayed):.1f} %, 95 % lower bound "
        f"{100 * (1 - _upper95(len(replayed) - found, len(replayed))):.1f} %), "
        f"{worst} also matched another speaker; replays differ from their original in "
        f"{100 * statistics.median(d.ber for d in distances):.0f} % of bits (median), "
        f"at most {_bits(farthest)}"
    )

    # Cost: fingerprinting against transcribing the same clips, in this run.
    transcribe = _transcription_seconds(speakers[:TRANSCRIBED])
    ratio = f", {100 * per_print / transcribe:.1f} % of transcribing it" if transcribe else ""
    print(
        f"  fingerprinting: {1000 * per_print:.1f} ms per recording ({seconds:.1f} s of audio)"
        f"{ratio}"
    )
    empty = statistics.median(_lookup_ms(db, campaign_id, speakers, 20_000))
    filled = _fill_index(db, campaign_id, prints, INDEX_SIZE)
    with db.engine.connect() as conn:
        keys = conn.scalar(sa.select(sa.func.count()).select_from(AudioKey))
    size_mb = (folder / "bench.sqlite3").stat().st_size / 1e6
    full = _lookup_ms(db, campaign_id, speakers, 30_000)
    print(
        f"  index of {INDEX_SIZE:,} recordings (SQLite): {keys:,} keys, {size_mb:,.0f} MB, "
        f"filled in {filled:.0f} s; store + look up one recording: median "
        f"{statistics.median(full):.1f} ms, max {max(full):.1f} ms ({LOOKUPS} lookups; "
        f"{statistics.median(full) / empty:.1f}x the {empty:.1f} ms on an index of "
        f"{len(speakers)})"
    )
    db.dispose()


def _transcription_seconds(clips: list[Clip]) -> float | None:
    """Median seconds Whisper base takes on these clips, or None without the model."""
    try:
        from audio.model import resolve_model
        from audio.transcribe import Transcriber

        model = resolve_model("bundled", Path(__file__).resolve().parents[1] / ".cache" / "bench")
        transcriber = Transcriber(model)
    except Exception as exc:  # the figure is a ratio; the rest stands without it
        print(f"  (no transcription baseline: {exc})")
        return None
    transcriber.transcribe(clips[0].path, clips[0].language)  # warm-up
    times = []
    for clip in clips:
        t0 = time.perf_counter()
        transcriber.transcribe(clip.path, clip.language)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
