"""Packs Whisper loops on: decoded again in halves, or keeping what came before the loop.

    python -m bench --only loops

On the surge bench's voices (four espeak-ng voices, random order) Whisper base often falls into
a loop in a pack of eight, repeating an earlier caller's name or a syllable to the window's end.
Both ways run on the same 160 callers, in packs of eight of one language as a worker makes
them, pack by pack alternating, in one process: recordings a minute, Whisper passes, and names
close to what was said (similarity >= 0.8 after extract_name).
"""

from __future__ import annotations

import time
from pathlib import Path

from audio.model import resolve_model
from audio.transcribe import Transcriber
from bench.namecheck import similarity
from bench.packing import PACK_SIZE
from bench.surge import make_callers
from petition.names import extract_name

CALLERS = 160


def run() -> None:
    by_language: dict[str, list[tuple[str, Path]]] = {}
    for language, name, wav in make_callers(2000)[: CALLERS * 4]:
        group = by_language.setdefault(language, [])
        if len(group) < CALLERS // 4:
            group.append((name, wav))
    packs = [
        (language, group[start : start + PACK_SIZE])
        for language, group in by_language.items()
        for start in range(0, len(group), PACK_SIZE)
    ]
    model = resolve_model("bundled", Path(__file__).resolve().parents[1] / ".cache" / "bench")
    ways = {
        "halving (salvage=False)": Transcriber(model, salvage=False),
        "keep before the loop (default)": Transcriber(model),
    }
    passes = dict.fromkeys(ways, 0)
    for way, t in ways.items():
        decode = t._model.transcribe

        def counted(audio: object, _way: str = way, _decode=decode, **options: object):  # type: ignore[no-untyped-def]
            passes[_way] += 1
            return _decode(audio, **options)

        t._model.transcribe = counted  # type: ignore[method-assign]
        t.transcribe(packs[0][1][0][1], packs[0][0])  # warm-up, not counted
        passes[way] = 0
    seconds = dict.fromkeys(ways, 0.0)
    close = dict.fromkeys(ways, 0)
    for language, pack in packs:
        for way, t in ways.items():
            started = time.perf_counter()
            results = t.transcribe_pack([wav for _, wav in pack], language)
            seconds[way] += time.perf_counter() - started
            for result, (said, _) in zip(results, pack, strict=True):
                text = "" if isinstance(result, Exception) else result.text
                close[way] += similarity(extract_name(text, language).name, said) >= 0.8
    n = sum(len(pack) for _, pack in packs)
    print(
        f"\nlooping packs: {n} of the surge's callers in {len(packs)} packs, both ways alternating"
    )
    base = next(iter(ways))
    for way in ways:
        pace = 60 * n / seconds[way]
        print(
            f"  {way:31} {pace:4.0f} recordings/min (x{seconds[base] / seconds[way]:.2f}), "
            f"{passes[way]} Whisper passes, names close {close[way]}/{n}"
        )
