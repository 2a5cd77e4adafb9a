"""The name check: may the machine's reading of a name stand without a person listening?

A name heard on a phone line is often wrong, and no model hears whether it is Maes or Maas. The
check calls a reading clear only when, on a held-out evaluation set of synthetic telephone calls
(bench/namecheck.py), at least 98 % of the readings it calls clear are close to what was said.
Everything else waits for a person (`to_check`); the count never waits.

It decides from several signals, all kept with the signature (`name_signals`):
- the probabilities Whisper gave the name's own words (the weakest one matters most),
- the decoder's average log-probability, its no-speech probability and compression ratio,
- whether an introduction was heard ("mijn naam is", "je m'appelle", ...),
- whether each word is a known given name or surname (the lexicon), and how many words.

Repetition loops and other hallucinations never become names: such a recording is unclear.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from petition.names import lexicon
from petition.names.reading import (
    MAX_COMPRESSION_RATIO,
    extract_name,
    is_repetition_loop,
    normalize_name,
    strip_hallucinations,
)


@dataclass(frozen=True)
class HeardWord:
    """One word as Whisper wrote it, with the probability it gave the word."""

    text: str
    probability: float
    start: float = 0.0
    end: float = 0.0


@dataclass(frozen=True)
class Heard:
    """What transcription made of a recording."""

    text: str
    speech_seconds: float
    confidence: float  # 0..1: mean token probability over the kept text
    words: tuple[HeardWord, ...] = ()
    avg_logprob: float | None = None  # the weakest kept segment's
    no_speech_prob: float | None = None  # the highest of the kept segments
    compression_ratio: float | None = None  # the highest of the kept segments
    beam_size: int | None = None  # Whisper's beam for this reading; None: not told


@dataclass(frozen=True)
class Thresholds:
    """Where the check draws the line; tuned on the evaluation set's tuning half only."""

    min_word_probability: float
    min_avg_logprob: float
    max_no_speech_prob: float
    min_words: int
    max_words: int
    known_words: bool  # every word must be a known given name or surname


# Tuned by `python -m bench --only namecheck --tune` on the evaluation set's tune half: the
# most names called clear at 100 % precision there, then the strictest such thresholds. On
# synthetic voices under telephone noise Whisper base hears few names right, so the check calls
# few clear; the holdout half's figures are in README ("Benchmarks").
THRESHOLDS = Thresholds(
    min_word_probability=0.75,
    min_avg_logprob=-0.5,
    max_no_speech_prob=0.2,
    min_words=2,
    max_words=3,
    known_words=True,
)
# The beam the thresholds were tuned with (audio.transcribe.BEAM_SIZE). A reading decoded with
# a narrower beam (a worker catching up with a backlog) was never measured against them: it is
# never called clear, whatever its signals say.
TUNED_BEAM_SIZE = 5


@dataclass(frozen=True)
class NameCheck:
    """The name found in a recording and whether the machine may keep it unchecked."""

    name: str | None
    clear: bool
    loop: bool  # the transcript is a repetition loop or a hallucination: nobody's name
    signals: dict[str, Any] = field(default_factory=dict)
    doubts: tuple[str, ...] = ()  # why it is not clear, for the reviewer and the evaluation


def check(heard: Heard, language: str | None, thresholds: Thresholds = THRESHOLDS) -> NameCheck:
    """Find the name in what was heard and decide whether it is clear."""
    text = strip_hallucinations(heard.text)
    ratio = heard.compression_ratio or 0.0
    if is_repetition_loop(text) or ratio > MAX_COMPRESSION_RATIO:
        return NameCheck(None, False, True, {"compression_ratio": ratio}, ("repetition",))
    guess = extract_name(text, language)
    if guess.name is None:
        return NameCheck(None, False, False, signals_of(heard, (), False), ("no_name",))
    signals = signals_of(heard, guess.words, guess.introduced)
    doubts = list(doubts_about(signals, thresholds))
    if not guess.clear:
        doubts.insert(0, "not_a_name")
    if heard.beam_size is not None and heard.beam_size < TUNED_BEAM_SIZE:
        doubts.append("hurried")
    name = lexicon.format_name(guess.name)
    return NameCheck(name, not doubts, False, signals, tuple(doubts))


def signals_of(heard: Heard, name_words: tuple[str, ...], introduced: bool) -> dict[str, Any]:
    """The measurable facts about a reading, as plain JSON-ready values."""
    probabilities = _word_probabilities(heard, name_words)
    known = lexicon.lexicon()
    return {
        "words": len(name_words),
        "word_probabilities": [round(p, 3) for p in probabilities],
        "min_word_probability": round(min(probabilities), 3) if probabilities else 0.0,
        "avg_logprob": _round(heard.avg_logprob, math.log(max(heard.confidence, 1e-6))),
        "no_speech_prob": _round(heard.no_speech_prob, 0.0),
        "compression_ratio": _round(heard.compression_ratio, 0.0),
        "introduced": introduced,
        "known_given": bool(name_words) and known.is_given(name_words[0]),
        "known_words": [known.is_given(w) or known.is_surname(w) for w in name_words],
        "known_surname": len(name_words) > 1 and known.is_surname(" ".join(name_words[1:])),
        "beam_size": heard.beam_size,
    }


def doubts_about(signals: dict[str, Any], t: Thresholds) -> list[str]:
    """Every reason the thresholds find to doubt a reading; none means clear."""
    doubts = []
    if not t.min_words <= signals["words"] <= t.max_words:
        doubts.append("word_count")
    if signals["min_word_probability"] < t.min_word_probability:
        doubts.append("word_probability")
    if signals["avg_logprob"] < t.min_avg_logprob:
        doubts.append("avg_logprob")
    if signals["no_speech_prob"] > t.max_no_speech_prob:
        doubts.append("no_speech")
    if t.known_words and not (
        signals["known_given"] and (signals["known_surname"] or all(signals["known_words"]))
    ):
        doubts.append("unknown_name")
    return doubts


def _word_probabilities(heard: Heard, name_words: tuple[str, ...]) -> list[float]:
    """The probabilities Whisper gave the name's own words.

    The name's words are found in Whisper's word list by their folded spelling, at the last
    place they occur (an introduction comes first). Without word timings, or where a word
    cannot be found, the recording's overall confidence stands in.
    """
    if not name_words:
        return []
    heard_keys = [normalize_name(w.text) for w in heard.words]
    wanted = [normalize_name(w) for w in name_words]
    # Whisper may write "Jean-Pierre" as one word or two; compare folded, space-free runs.
    for start in range(len(heard_keys) - 1, -1, -1):
        probabilities: list[float] = []
        joined, i = "", start
        target = "".join(wanted).replace(" ", "")
        while i < len(heard_keys) and len(joined) < len(target):
            joined += heard_keys[i].replace(" ", "")
            probabilities.append(heard.words[i].probability)
            i += 1
        if joined == target and probabilities:
            return probabilities
    return [heard.confidence] * len(name_words)


def _round(value: float | None, default: float) -> float:
    return round(value if value is not None else default, 3)
