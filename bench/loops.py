"""Packs Whisper loops on: decoded again in halves, keeping what came before the loop, and
forbidding the decoder to repeat a run of tokens (the default).

    python -m bench --only loops

On the surge bench's voices (four espeak-ng voices, random order) Whisper base often falls into
a loop in a pack of eight, repeating an earlier caller's name or a syllable to the window's end.
The ways run on the same 160 callers, in packs of eight of one language as a worker makes them,
pack by pack alternating, in one process, at the default beam and greedily (catch-up mode):
recordings a minute, Whisper passes, and names close to what was said (similarity >= 0.8 after
extract_name).

The callers are the second thousand of the surge's: the length of the forbidden run
(audio.transcribe.NO_REPEAT_NGRAM) was chosen on callers of the first thousand.
"""

from __future__ import annotations

import time
from pathlib import Path

from audio.model import resolve_model
from audio.transcribe import BEAM_SIZE, GREEDY, NO_REPEAT_NGRAM, Transcriber
from bench.namecheck import similarity
from bench.packing import PACK_SIZE
from bench.surge import make_callers
from petition.names.reading import extract_name

CALLERS = 160
HELD_OUT = 1000  # callers before this one were used to choose NO_REPEAT_NGRAM


def run() -> None:
    by_language: dict[str, list[tuple[str, Path]]] = {}
    for language, name, wav in make_callers(2000)[HELD_OUT:]:
        group = by_language.setdefault(language, [])
        if len(group) < CALLERS // 4:
            group.append((name, wav))
    packs = [
        (language, group[start : start + PACK_SIZE])
        for language, group in by_language.items()
        for start in range(0, len(group), PACK_SIZE)
    ]
    model = resolve_model("bundled", Path(__file__).resolve().parents[1] / ".cache" / "bench")
    n = sum(len(pack) for _, pack in packs)
    print(f"\nlooping packs: {n} of the surge's callers in {len(packs)} packs, ways alternating")
    for beam, label in ((BEAM_SIZE, f"beam {BEAM_SIZE}"), (GREEDY, "greedy (catch-up mode)")):
        ways = {
            "keep before the loop": Transcriber(model, no_repeat_ngram=0),
            f"and no {NO_REPEAT_NGRAM} tokens twice (default)": Transcriber(model),
        }
        if beam == BEAM_SIZE:  # the way before both, at the default beam only
            ways = {"halving": Transcriber(model, salvage=False, no_repeat_ngram=0), **ways}
        _compare(ways, packs, beam, label)


def _compare(
    ways: dict[str, Transcriber],
    packs: list[tuple[str, list[tuple[str, Path]]]],
    beam: int,
    label: str,
) -> None:
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
            results = t.transcribe_pack([wav for _, wav in pack], language, beam_size=beam)
            seconds[way] += time.perf_counter() - started
            for result, (said, _) in zip(results, pack, strict=True):
                text = "" if isinstance(result, Exception) else result.text
                close[way] += similarity(extract_name(text, language).name, said) >= 0.8
    n = sum(len(pack) for _, pack in packs)
    print(f"  {label}")
    base = next(iter(ways))
    for way in ways:
        pace = 60 * n / seconds[way]
        print(
            f"    {way:36} {pace:4.0f} recordings/min (x{seconds[base] / seconds[way]:.2f}), "
            f"{passes[way]} Whisper passes, names close {close[way]}/{n}"
        )
