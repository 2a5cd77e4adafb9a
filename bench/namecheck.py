"""How good are the machine's names, and how good is the name check? Measured, not guessed.

    python -m bench --only namecheck [--tune] [--fresh]

On the evaluation set (bench/evalset.py: synthetic telephone calls, each with the name it
says), every call is transcribed with the bundled Whisper model, as a worker would, and the
name check decides. Printed per half of the set:
- the share of names close to what was said (similarity >= 0.8 after folding case and
  accents): what Whisper gets right;
- the share the check calls clear (`machine`), and how many of those are close: its precision.

The thresholds (petition.names.namecheck.THRESHOLDS) are tuned on the "tune" half only; the figures
that count are the "holdout" half's. `--tune` searches the thresholds on the tune half and
prints the best that keep precision at the goal there, with a margin; copy them into
namecheck.py by hand, then run again to see them hold on the holdout half.

Transcripts are cached beside the set (keyed by each file's SHA-256 and the model), so tuning
does not transcribe again; `--fresh` transcribes everything anew.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from audio.model import resolve_model
from audio.transcribe import Transcriber, Transcript
from bench import evalset
from petition.names import namecheck
from petition.names.namecheck import Heard, HeardWord, Thresholds
from petition.names.reading import extract_name, normalize_name, strip_hallucinations
from petition.names.sampling import wilson_interval

CLOSE = 0.8  # similarity of a name to what was said, after folding case and accents
GOAL = 0.98  # precision of the names the check calls clear, on the holdout half
CACHE = "transcripts-{model}.jsonl"


def similarity(heard: str | None, said: str | None) -> float:
    """0..1: how close a name is to the truth, case, accents and punctuation folded."""
    if not heard or not said:
        return 0.0
    return fuzz.ratio(normalize_name(heard), normalize_name(said)) / 100


@dataclass(frozen=True)
class Outcome:
    """One call: what was said, what the machine made of it, what the check decided."""

    call: evalset.EvalCall
    heard: Heard
    seconds: float

    def decide(self, thresholds: Thresholds) -> namecheck.NameCheck:
        return namecheck.check(self.heard, self.call.language, thresholds)


def _to_json(t: Transcript) -> dict[str, Any]:
    data = asdict(t)
    data["words"] = [asdict(w) for w in t.words]
    return data


def _from_json(data: dict[str, Any]) -> Heard:
    words = tuple(HeardWord(**w) for w in data.pop("words"))
    data.pop("language", None)
    data.pop("duration_seconds", None)
    return Heard(words=words, **data)


def transcribe_all(calls: list[evalset.EvalCall], fresh: bool = False) -> list[Outcome]:
    """Every call transcribed (from the cache where possible), in the set's order."""
    directory = Path(calls[0].directory or evalset.default_dir())
    model = resolve_model("bundled", Path(__file__).resolve().parents[1] / ".cache" / "bench")
    cache_file = directory / CACHE.format(model=Path(model).name)
    cache: dict[str, dict[str, Any]] = {}
    if cache_file.exists() and not fresh:
        for line in cache_file.read_text().splitlines():
            entry = json.loads(line)
            cache[entry["sha256"]] = entry
    elif cache_file.exists():
        cache_file.unlink()
    transcriber: Transcriber | None = None
    outcomes = []
    # Appended as it goes: an interrupted run keeps what it transcribed.
    with cache_file.open("a") as out:
        for i, call in enumerate(calls, 1):
            entry = cache.get(call.sha256 or "")
            if entry is None:
                transcriber = transcriber or Transcriber(model)
                t0 = time.perf_counter()
                result = transcriber.transcribe(directory / call.file, call.language)
                seconds = time.perf_counter() - t0
                entry = {"sha256": call.sha256, "seconds": seconds, "heard": _to_json(result)}
                out.write(json.dumps(entry, ensure_ascii=False) + "\n")
                out.flush()
                if i % 50 == 0:
                    print(f"  transcribed {i} of {len(calls)}", flush=True)
            outcomes.append(Outcome(call, _from_json(dict(entry["heard"])), entry["seconds"]))
    return outcomes


@dataclass(frozen=True)
class Score:
    names: int  # calls that said a name
    close: int  # of those, the machine's reading was close to it
    clear: int  # readings the check called clear (calls without a name included)
    clear_close: int  # of those, close to what was said

    @property
    def precision(self) -> float | None:
        return self.clear_close / self.clear if self.clear else None


# The rule the name check replaced, for comparison in the same run: a reading that looks like a
# name, with Whisper's mean token probability at least 0.45.
OLD_CONFIDENCE_FLOOR = 0.45


def score(outcomes: list[Outcome], thresholds: Thresholds | None) -> Score:
    """Thresholds None scores the old rule instead of the name check."""
    names = close = clear = clear_close = 0
    for o in outcomes:
        if thresholds is None:
            guess = extract_name(strip_hallucinations(o.heard.text), o.call.language)
            name = guess.name
            called_clear = guess.clear and o.heard.confidence >= OLD_CONFIDENCE_FLOOR
        else:
            result = o.decide(thresholds)
            name, called_clear = result.name, result.clear
        said = o.call.name.full if o.call.name else None
        near = similarity(name, said) >= CLOSE
        if said:
            names += 1
            close += near
        if called_clear:
            clear += 1
            clear_close += near
    return Score(names, close, clear, clear_close)


def _grid() -> list[Thresholds]:
    return [
        Thresholds(
            min_word_probability=p,
            min_avg_logprob=lp,
            max_no_speech_prob=ns,
            min_words=2,
            max_words=mw,
            known_words=known,
        )
        for p, lp, ns, mw, known in itertools.product(
            [0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95],
            [-1.2, -1.0, -0.8, -0.6, -0.5, -0.4, -0.3, -0.2],
            [0.2, 0.4, 0.6, 1.0],
            [3, 4, 5],
            [True, False],
        )
    ]


def tune(outcomes: list[Outcome]) -> Thresholds:
    """The thresholds that call the most names clear on the tune half with precision at the
    goal there; among those, the strictest (a margin for the data the tuning never saw)."""
    best: tuple[tuple[int, float, float, float, bool], Thresholds] | None = None
    for candidate in _grid():
        s = score(outcomes, candidate)
        if s.precision is None or s.precision < GOAL:
            continue
        rank = (
            s.clear,
            candidate.min_word_probability,
            candidate.min_avg_logprob,
            -candidate.max_no_speech_prob,
            candidate.known_words,
        )
        if best is None or rank > best[0]:
            best = (rank, candidate)
    if best is None:
        raise SystemExit("no thresholds reach the goal on the tune half")
    return best[1]


def _report(label: str, s: Score, calls: int) -> None:
    precision = "-" if s.precision is None else f"{100 * s.precision:.1f} %"
    interval = wilson_interval(s.clear_close, s.clear)
    bounds = (
        f" (95 % interval {100 * interval[0]:.0f}–{100 * interval[1]:.0f} %)" if interval else ""
    )
    print(
        f"  {label:9} {calls} calls, {s.names} with a name: close {s.close} "
        f"({100 * s.close / max(s.names, 1):.1f} %); called clear {s.clear} "
        f"({100 * s.clear / max(s.names, 1):.1f} % of names), of which close {s.clear_close}: "
        f"precision {precision}{bounds}"
    )


def run(tune_first: bool = False, fresh: bool = False) -> None:
    directory = evalset.default_dir()
    if not (directory / evalset.MANIFEST).exists():
        print(f"\nname check: generating the evaluation set in {directory}")
        evalset.generate(directory)
    calls = evalset.load_manifest(directory)
    print(f"\nname check: {len(calls)} synthetic calls (Whisper base, int8, CPU)")
    outcomes = transcribe_all(calls, fresh=fresh)
    halves = {
        split: [o for o in outcomes if o.call.split == split] for split in ("tune", "holdout")
    }
    thresholds = namecheck.THRESHOLDS
    if tune_first:
        thresholds = tune(halves["tune"])
        print(f"  tuned on the tune half: {thresholds}")
    for split, part in halves.items():
        _report(split, score(part, thresholds), len(part))
    _report("old rule", score(halves["holdout"], None), len(halves["holdout"]))
    by_language: dict[str, list[Outcome]] = {}
    for o in halves["holdout"]:
        by_language.setdefault(o.call.language, []).append(o)
    for language, part in sorted(by_language.items()):
        _report(f"  {language}", score(part, thresholds), len(part))
    seconds = sorted(o.seconds for o in outcomes)
    print(f"  transcription: median {seconds[len(seconds) // 2]:.2f} s per call")
