"""Recordings per minute: one Whisper pass per recording against packed windows, same clips.

    python -m bench --only packing

Forty-eight short calls (twelve per language, espeak-ng's default voices saying "my name is
..." at 8 kHz) are transcribed by one worker in several ways, in the same run and in
alternating rounds so that a noisy neighbour on the machine hurts each way alike:
- one by one: a Whisper pass per recording (what a worker did before packing);
- packed: as a worker packs them, up to PACK_SIZE recordings of one language laid end to end
  in 30-second windows (and with up to 4 and up to 12);
- packed with beam size 1 (greedy decoding);
- packed without trimming the silence around each recording first (no VAD before packing);
- faster-whisper's BatchedInferencePipeline, each recording its own chunk, batches of 8.
Then threads against processes: one worker using both cores against two single-threaded
workers side by side, both packed. Every way prints recordings per minute, its ratio to one by
one, and how many names came out close (similarity >= 0.8) to what was said.
"""

from __future__ import annotations

import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from faster_whisper import BatchedInferencePipeline
from faster_whisper.audio import decode_audio

from audio.model import resolve_model
from audio.synth import synthesize
from audio.transcribe import PACK_GAP_SECONDS, SAMPLE_RATE, Transcriber
from bench.namecheck import similarity
from petition.config import Settings
from petition.names.reading import extract_name

INTRODUCTIONS = {"nl": "Mijn naam is", "fr": "Je m'appelle", "de": "Ich heiße", "en": "My name is"}
NAMES = {
    "nl": "Jan Peeters, Els Wouters, Tom Claes, Marc Janssens, Lies Maes, Koen Goossens, "
    "Eva Mertens, Wim Hermans, Sofie Willems, Bart Jacobs, Ann Smets, Dirk Michiels",
    "fr": "Sophie Dubois, Luc Martin, Julie Lambert, Marie Dupont, Pierre Leclercq, Anne Simon, "
    "Michel Laurent, Claire Dumont, Nicolas Renard, Isabelle Masson, Paul Girard, Emma Lefèvre",
    "de": "Anna Schmidt, Peter Müller, Julia Weber, Thomas Wagner, Laura Becker, Jonas Fischer, "
    "Lena Hoffmann, Felix Schulz, Sarah Koch, Paul Richter, Marie Klein, Lukas Wolf",
    "en": "John Smith, Sarah Brown, James Wilson, Emma Taylor, David Jones, Lucy Evans, "
    "Michael Davies, Laura Thomas, Daniel Roberts, Emily Walker, Robert White, Sophie Green",
}
ROUNDS = 2
PACK_SIZE = Settings.pack_size  # the workers' default

Calls = list[tuple[str, str, Path]]  # language, name said, recording


def make_calls(directory: Path) -> Calls:
    calls = []
    for language, names in NAMES.items():
        for i, name in enumerate(n.strip() for n in names.split(",")):
            wav = directory / f"{language}{i:02d}.wav"
            synthesize(f"{INTRODUCTIONS[language]} {name}", language, wav)
            calls.append((language, name, wav))
    return calls


def _by_language(calls: Calls) -> dict[str, Calls]:
    groups: dict[str, Calls] = {}
    for call in calls:
        groups.setdefault(call[0], []).append(call)
    return groups


def close_count(calls: Calls, texts: list[str]) -> int:
    return sum(
        similarity(extract_name(text, language).name, name) >= 0.8
        for (language, name, _), text in zip(calls, texts, strict=True)
    )


def one_by_one(t: Transcriber, calls: Calls) -> list[str]:
    return [t.transcribe(wav, language).text for language, _, wav in calls]


def packed(t: Transcriber, calls: Calls, trim: bool = True, size: int = PACK_SIZE) -> list[str]:
    """As a worker does: packs of up to `size` waiting recordings of one language."""
    texts: dict[Path, str] = {}
    for language, group in _by_language(calls).items():
        for start in range(0, len(group), size):
            part = group[start : start + size]
            results = t.transcribe_pack([wav for _, _, wav in part], language, trim=trim)
            for (_, _, wav), result in zip(part, results, strict=True):
                texts[wav] = result.text if not isinstance(result, Exception) else ""
    return [texts[wav] for _, _, wav in calls]


def packed_untrimmed(t: Transcriber, calls: Calls) -> list[str]:
    """Whole recordings laid end to end, the silence around each name kept."""
    return packed(t, calls, trim=False)


def batched_pipeline(t: Transcriber, calls: Calls) -> list[str]:
    """faster-whisper's own batching: each recording a chunk of its own, eight per batch."""
    pipeline = BatchedInferencePipeline(model=t._model)
    texts: dict[Path, str] = {}
    gap = np.zeros(int(PACK_GAP_SECONDS * SAMPLE_RATE), dtype=np.float32)
    for language, group in _by_language(calls).items():
        pieces, chunks, position = [], [], 0.0
        for _, _, wav in group:
            audio = decode_audio(str(wav), sampling_rate=SAMPLE_RATE)
            chunks.append({"start": position, "end": position + len(audio) / SAMPLE_RATE})
            pieces += [audio, gap]
            position += (len(audio) + len(gap)) / SAMPLE_RATE
        segments, _ = pipeline.transcribe(
            np.concatenate(pieces),
            language=language,
            beam_size=5,
            temperature=0.0,
            word_timestamps=True,
            vad_filter=False,
            clip_timestamps=chunks,
            batch_size=8,
        )
        segments = list(segments)
        # One segment per chunk, in order (a chunk is shorter than a window).
        for (_, _, wav), segment in zip(group, segments, strict=False):
            texts[wav] = segment.text
    return [texts[wav] for _, _, wav in calls]


def _greedy(t: Transcriber, calls: Calls) -> list[str]:
    saved, t.beam_size = t.beam_size, 1
    try:
        return packed(t, calls)
    finally:
        t.beam_size = saved


def _timed(
    way: Callable[[Transcriber, Calls], list[str]], t: Transcriber, calls: Calls
) -> tuple[float, list[str]]:
    start = time.perf_counter()
    texts = way(t, calls)
    return time.perf_counter() - start, texts


def _worker_process(model: str, calls: Calls, threads: int, out: multiprocessing.Queue) -> None:
    t = Transcriber(model, cpu_threads=threads)
    t.transcribe(calls[0][2], calls[0][0])  # warm-up
    start = time.perf_counter()
    packed(t, calls)
    out.put(time.perf_counter() - start)


def _processes(model: str, calls: Calls, workers: int, threads: int) -> float:
    """Seconds until `workers` processes, each `threads` threads, have packed their share."""
    ctx = multiprocessing.get_context("spawn")  # CTranslate2 must not cross a fork
    out: multiprocessing.Queue = ctx.Queue()
    shares = [calls[i::workers] for i in range(workers)]
    procs = [
        ctx.Process(target=_worker_process, args=(model, share, threads, out)) for share in shares
    ]
    for p in procs:
        p.start()
    times = [out.get() for _ in procs]
    for p in procs:
        p.join()
    return max(times)


def run() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="petition-bench-packing-"))
    calls = make_calls(tmp)
    model = resolve_model("bundled", Path(__file__).resolve().parents[1] / ".cache" / "bench")
    t = Transcriber(model)
    t.transcribe(calls[0][2], calls[0][0])  # warm-up
    ways: dict[str, Callable[[Transcriber, Calls], list[str]]] = {
        "one by one": one_by_one,
        f"packed, up to {PACK_SIZE}": packed,
        "packed, up to 4": lambda t, calls: packed(t, calls, size=4),
        "packed, up to 12": lambda t, calls: packed(t, calls, size=12),
        "packed, beam size 1": _greedy,
        "packed, no VAD before packing": packed_untrimmed,
        "BatchedInferencePipeline": batched_pipeline,
    }
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    close: dict[str, int] = {}
    for _ in range(ROUNDS):
        for name, way in ways.items():
            took, texts = _timed(way, t, calls)
            seconds[name].append(took)
            close[name] = close_count(calls, texts)
    n = len(calls)
    base = statistics.median(seconds["one by one"])
    print(f"\npacking: {n} calls of 2–3 s, one worker on all cores, median of {ROUNDS} rounds")
    for name in ways:
        took = statistics.median(seconds[name])
        print(
            f"  {name:32} {60 * n / took:6.0f} recordings/min  ×{base / took:4.2f}  "
            f"names close {close[name]}/{n}"
        )
    one = _processes(model, calls, workers=1, threads=2)
    two = _processes(model, calls, workers=2, threads=1)
    print(
        f"  packed, 1 worker × 2 threads    {60 * n / one:6.0f} recordings/min\n"
        f"  packed, 2 workers × 1 thread    {60 * n / two:6.0f} recordings/min  "
        f"(×{one / two:4.2f} against 1 × 2)"
    )
