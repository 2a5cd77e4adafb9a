"""Seconds to transcribe one spoken name with the bundled Whisper base model on this machine."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from audio.model import resolve_model
from audio.synth import synthesize
from audio.transcribe import Transcriber

PHRASES = [
    ("fr", "Je m'appelle Sophie Dubois"),
    ("nl", "Mijn naam is Jan Peeters"),
    ("de", "Ich heiße Anna Schmidt"),
    ("en", "My name is John Smith"),
]
ROUNDS = 3


def run() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="petition-bench-"))
    model = resolve_model("bundled", Path(__file__).resolve().parents[1] / ".cache" / "bench")
    start = time.perf_counter()
    transcriber = Transcriber(model)
    load = time.perf_counter() - start
    clips = [(lang, text, synthesize(text, lang, tmp / f"{lang}.wav")) for lang, text in PHRASES]
    transcriber.transcribe(clips[0][2], "fr")  # warm-up
    times = []
    print(f"\ntranscription: Whisper base (int8, CPU), model load {load:.2f} s")
    for lang, text, wav in clips:
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            result = transcriber.transcribe(wav, lang)
            times.append(time.perf_counter() - t0)
        print(f"  {lang}: {text!r} -> {result.text!r} ({result.duration_seconds:.1f} s audio)")
    print(
        f"  seconds per recording: median {statistics.median(times):.2f}, max {max(times):.2f} "
        f"({len(times)} runs)"
    )
