"""Evaluation set for the name check: synthetic phone calls, each with the name it says.

Regenerate (544 calls by default, in about 20 s; the same seed always gives the same bytes):

    python -m bench.evalset generate [--out DIR] [--count N] [--seed S]

The default folder is outside git, `$XDG_CACHE_HOME/voice-petition/evalset` (else
`~/.cache/voice-petition/evalset`): 544 calls are about 31 MB of WAV. It holds one WAV per call
(`c0001.wav`, ...) and `manifest.jsonl`, one JSON object per call:

    id, file, split ("tune" or "holdout"), language, voice, speed_wpm, snr_db, noise
    ("white" or "pink"), gain_db,
    phrasing, said (the sentence spoken; "" for a call with only line noise),
    name ({"given", "surname", "full"}, or null when no name was said), name_source (the
    lexicon list the name was drawn from), duration_s, sha256

`full` is always "given surname", whatever order the caller used. A benchmark reads the set
with `load_manifest()`; tune on split "tune", report on split "holdout".

How a call is made, as the worker would receive it from the carrier:
1. espeak-ng speaks the sentence in nl, fr, de or en, with a voice variant (default, +m1, +m3,
   +f2, +f4) and a speed of 130-190 words a minute (audio.synth.synthesize, which resamples
   to 8 kHz); the caller's loudness varies by 0 to -10 dB;
2. the silence around the words varies, and noise is added, white (line hiss) or pink (a
   room, a street), from a NumPy generator seeded per call;
3. the telephone band (300-3400 Hz) is kept, of speech and noise alike, at an SNR within the
   band drawn from 10-30 dB (for a call without speech, relative to speech at -20 dBFS);
4. the call is cut at 10 s (the `<Record maxLength>`), encoded as G.711 mu-law and decoded
   back to 8 kHz 16-bit mono WAV, as a recording downloaded from Twilio.

What is said: names from petition.names.lexicon (Belgian Dutch and French names from Statbel's
lists, German and English names from Faker's, drawn by their frequency; one Belgian name in
ten carries two surnames, as Faker's Belgian providers assume), in the ways callers say them:
an introduction ("Mijn naam is X", "Ik ben X", "Je m'appelle X", "Mon nom est X", "Ich heiße
X", "My name is X", ...), just the name, surname first, the name then the surname twice, a
greeting first, a hesitation. Some calls say no name: line noise only, a sentence repeated six
times (as Whisper's repetition loops look), "I am calling about the petition".

Each call depends only on the seed and its number, so `--count 4` makes the first four calls
of the full set. Phrasings and languages follow a fixed cycle; within each (language,
phrasing) the calls alternate tune, holdout, so both halves are balanced per language and per
phrasing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import tempfile
import time
import wave
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from audio.synth import SAMPLE_RATE, sox, synthesize
from petition.names.lexicon import lexicon

SEED = 7
MANIFEST = "manifest.jsonl"
MAX_SECONDS = 10.0  # <Record maxLength="10">
NOISE_ONLY_SECONDS = 3.0
REFERENCE_SPEECH_DBFS = -20.0  # the level a no-speech call's SNR is measured against
LANGUAGES = ("nl", "fr", "de", "en")
VARIANTS = ("", "+m1", "+m3", "+f2", "+f4")  # espeak-ng voice variants; "" is the default
SPEEDS = range(130, 191, 10)  # words per minute
SNR_DB = (10.0, 30.0)
NOISES = ("white", "pink")
GAIN_DB = (-10.0, 0.0)
LOOP_REPEATS = 6
DOUBLE_SURNAME_SHARE = 0.1  # Faker's nl_BE/fr_BE assumption since Belgium's 2014 name law

# Which lexicon lists a caller of each language takes names from, and how often.
NAME_SOURCES = {
    "nl": (("nl_BE", 0.8), ("fr_BE", 0.2)),
    "fr": (("fr_BE", 0.8), ("nl_BE", 0.2)),
    "de": (("de_DE", 1.0),),
    "en": (("en_GB", 0.7), ("nl_BE", 0.15), ("fr_BE", 0.15)),
}
BELGIAN_SOURCES = ("nl_BE", "fr_BE")

# {given} {surname} {name} are filled in; None marks a phrasing spoken without a name.
PHRASINGS: dict[str, dict[str, str]] = {
    "intro": {
        "nl": "Mijn naam is {name}.",
        "fr": "Je m'appelle {name}.",
        "de": "Ich heiße {name}.",
        "en": "My name is {name}.",
    },
    "intro_alt": {
        "nl": "Ik ben {name}.",
        "fr": "Mon nom est {name}.",
        "de": "Mein Name ist {name}.",
        "en": "I am {name}.",
    },
    "bare": {lang: "{name}." for lang in LANGUAGES},
    "surname_first": {lang: "{surname} {given}." for lang in LANGUAGES},
    "surname_repeated": {lang: "{name}. {surname}, {surname}." for lang in LANGUAGES},
    "greeting": {
        "nl": "Goedendag, mijn naam is {name}.",
        "fr": "Bonjour, je m'appelle {name}.",
        "de": "Guten Tag, ich heiße {name}.",
        "en": "Hello, my name is {name}.",
    },
    "hesitation": {
        "nl": "Euh, ik ben, euh, {name}.",
        "fr": "Euh, je m'appelle, euh, {name}.",
        "de": "Äh, ich heiße, äh, {name}.",
        "en": "Uh, my name is, uh, {name}.",
    },
    "noise_only": {lang: "" for lang in LANGUAGES},
    "loop": {
        "nl": "Ik heb iemand gesproken die zei dat",
        "fr": "J'ai eu une personne qui m'a dit que",
        "de": "Ich habe mit jemandem gesprochen, der sagte, dass",
        "en": "I spoke to someone who told me that",
    },
    "off_topic": {
        "nl": "Ik bel over de petitie.",
        "fr": "J'appelle au sujet de la pétition.",
        "de": "Ich rufe wegen der Petition an.",
        "en": "I am calling about the petition.",
    },
}
NO_NAME_PHRASINGS = ("noise_only", "loop", "off_topic")
# Name phrasings come twice per cycle, calls without a name once: about one call in six says
# no name.
_CYCLE_PHRASINGS = [p for p in PHRASINGS if p not in NO_NAME_PHRASINGS] * 2 + list(
    NO_NAME_PHRASINGS
)
SCHEDULE = [(lang, phrasing) for phrasing in _CYCLE_PHRASINGS for lang in LANGUAGES]
# Eight full cycles (544 calls): every (language, phrasing) has an even number of calls, so
# each half has exactly 272, 224 of them with a name.
DEFAULT_COUNT = 8 * len(SCHEDULE)


@dataclass(frozen=True)
class Name:
    """The name a call says: its truth."""

    given: str
    surname: str
    full: str


@dataclass(frozen=True)
class EvalCall:
    """One call of the evaluation set; `path` is its WAV once generated."""

    id: str
    file: str
    split: str
    language: str
    voice: str
    speed_wpm: int
    snr_db: float
    noise: str
    gain_db: float
    phrasing: str
    said: str
    name: Name | None
    name_source: str | None
    duration_s: float | None = None
    sha256: str | None = None
    directory: str | None = None  # where the manifest was read from; not written

    @property
    def path(self) -> Path:
        return Path(self.directory or default_dir()) / self.file

    def to_json(self) -> str:
        record = asdict(self)
        del record["directory"]
        return json.dumps(record, ensure_ascii=False)


def default_dir() -> Path:
    """Where the set lives unless told otherwise: a cache folder, outside git."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "voice-petition" / "evalset"


def _draw_name(rng: random.Random, language: str) -> tuple[Name, str]:
    sources, shares = zip(*NAME_SOURCES[language], strict=True)
    source = rng.choices(sources, weights=shares)[0]
    lex = lexicon()
    givens = lex.names("given", source)
    surnames = lex.names("surname", source)
    given = rng.choices([n for n, _ in givens], weights=[w for _, w in givens])[0]
    surname = rng.choices([n for n, _ in surnames], weights=[w for _, w in surnames])[0]
    if source in BELGIAN_SOURCES and rng.random() < DOUBLE_SURNAME_SHARE:
        second = rng.choices([n for n, _ in surnames], weights=[w for _, w in surnames])[0]
        if second != surname:
            surname = f"{surname} {second}"
    return Name(given, surname, f"{given} {surname}"), source


def plan(count: int = DEFAULT_COUNT, seed: int = SEED) -> list[EvalCall]:
    """What each call says and how, without making audio (cheap; used by generate)."""
    calls = []
    seen: dict[tuple[str, str], int] = {}
    for index in range(count):
        language, phrasing = SCHEDULE[index % len(SCHEDULE)]
        occurrence = seen.get((language, phrasing), 0)
        seen[language, phrasing] = occurrence + 1
        # A string seed: the same on every machine and Python version (hashed with SHA-512).
        rng = random.Random(f"evalset:{seed}:{index}")
        variant = rng.choice(VARIANTS)
        speed = rng.choice(SPEEDS)
        snr = round(rng.uniform(*SNR_DB), 1)
        noise = rng.choice(NOISES)
        gain = round(rng.uniform(*GAIN_DB), 1)
        name: Name | None = None
        source: str | None = None
        template = PHRASINGS[phrasing][language]
        if phrasing == "loop":
            said = " ".join([template] * LOOP_REPEATS)
        elif phrasing in NO_NAME_PHRASINGS:
            said = template
        else:
            name, source = _draw_name(rng, language)
            said = template.format(given=name.given, surname=name.surname, name=name.full)
        call_id = f"c{index + 1:04d}"
        calls.append(
            EvalCall(
                id=call_id,
                file=f"{call_id}.wav",
                split="tune" if occurrence % 2 == 0 else "holdout",
                language=language,
                voice=language + variant,
                speed_wpm=speed,
                snr_db=snr,
                noise=noise,
                gain_db=gain,
                phrasing=phrasing,
                said=said,
                name=name,
                name_source=source,
            )
        )
    return calls


def _read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (SAMPLE_RATE, 1, 2):
            raise ValueError(f"{path} is not 8 kHz mono 16-bit")
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)


def _write_wav(path: Path, samples: np.ndarray) -> None:
    clipped = np.clip(np.round(samples), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(clipped.tobytes())


def _noise(rng: np.random.Generator, colour: str, length: int) -> np.ndarray:
    """Unit-RMS noise: white (line hiss) or pink (a room, a street: more low than high)."""
    white = rng.normal(0.0, 1.0, length)
    if colour == "pink":
        spectrum = np.fft.rfft(white)
        frequencies = np.fft.rfftfreq(length, 1 / SAMPLE_RATE)
        spectrum[0] = 0.0
        spectrum[1:] /= np.sqrt(frequencies[1:])  # power falls as 1/f
        white = np.fft.irfft(spectrum, length)
    return white / np.sqrt(np.mean(white**2))


def _telephone_band(samples: np.ndarray, tmp: Path, name: str) -> np.ndarray:
    """Keep 300-3400 Hz, as the line does (sox's sinc filter; it needs files)."""
    wide, narrow = tmp / f"{name}-wide.wav", tmp / f"{name}-band.wav"
    _write_wav(wide, samples)
    sox(str(wide), str(narrow), "sinc", "300-3400")
    return _read_wav(narrow)


def _make_audio(call: EvalCall, index: int, seed: int, out: Path, tmp: Path) -> None:
    rng = random.Random(f"evalset-audio:{seed}:{index}")
    noise_rng = np.random.default_rng([seed, index])
    before, after = (int(rng.uniform(*span) * SAMPLE_RATE) for span in ((0.2, 0.8), (0.3, 1.0)))
    if call.said:
        spoken = tmp / "spoken.wav"
        synthesize(
            call.said,
            call.language,
            spoken,
            variant=call.voice[len(call.language) :],
            words_per_minute=call.speed_wpm,
            padding=0.0,
        )
        speech = np.concatenate([np.zeros(before), _read_wav(spoken), np.zeros(after)])
    else:
        speech = np.zeros(int(NOISE_ONLY_SECONDS * SAMPLE_RATE))
    through_the_line(
        speech,
        out,
        tmp,
        noise_rng=noise_rng,
        colour=call.noise,
        snr_db=call.snr_db,
        gain_db=call.gain_db,
        speech_span=(before, after) if call.said else None,
    )


def through_the_line(
    speech: np.ndarray,
    out: Path,
    tmp: Path,
    *,
    noise_rng: np.random.Generator,
    colour: str,
    snr_db: float,
    gain_db: float,
    speech_span: tuple[int, int] | None = None,
) -> None:
    """Write `speech` (8 kHz samples) to `out` as the carrier would record it: noise at
    `snr_db` within the telephone band, the band itself, `gain_db`, at most 10 s, and G.711
    mu-law. The SNR is measured against the speech between `speech_span` (samples of silence
    before and after it), or against REFERENCE_SPEECH_DBFS for a call without speech."""
    # The caller's room or line adds noise before the telephone band is cut, so both pass
    # through the same filter, and the SNR is measured within the band.
    speech = _telephone_band(speech, tmp, "speech")
    noise = _telephone_band(_noise(noise_rng, colour, len(speech)), tmp, "noise")
    if speech_span is not None:
        before, after = speech_span
        speech_rms = float(np.sqrt(np.mean(speech[before : len(speech) - after] ** 2)))
    else:
        speech_rms = 32768 * 10 ** (REFERENCE_SPEECH_DBFS / 20)
    noise *= speech_rms / 10 ** (snr_db / 20) / float(np.sqrt(np.mean(noise**2)))
    line = (speech + noise) * 10 ** (gain_db / 20)
    mixed = tmp / "mixed.wav"
    _write_wav(mixed, line[: int(MAX_SECONDS * SAMPLE_RATE)])
    # Through the carrier's codec and back: G.711 mu-law, then 16-bit PCM as downloaded.
    ulaw = tmp / "ulaw.wav"
    sox(str(mixed), "-e", "u-law", "-b", "8", str(ulaw))
    sox(str(ulaw), "-e", "signed-integer", "-b", "16", str(out))


def generate(
    out_dir: Path | None = None, count: int = DEFAULT_COUNT, seed: int = SEED
) -> list[EvalCall]:
    """Make the WAVs and manifest.jsonl in out_dir (default_dir() when None); return the calls.

    Files of calls beyond count left from an earlier, larger run are removed.
    """
    out_dir = Path(out_dir) if out_dir is not None else default_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    made = []
    with tempfile.TemporaryDirectory(prefix="evalset-") as tmp:
        for index, call in enumerate(plan(count, seed)):
            path = out_dir / call.file
            _make_audio(call, index, seed, path, Path(tmp))
            with wave.open(str(path), "rb") as wav:
                seconds = wav.getnframes() / wav.getframerate()
            made.append(
                replace(
                    call,
                    duration_s=round(seconds, 3),
                    sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                    directory=str(out_dir),
                )
            )
    keep = {call.file for call in made}
    for stale in out_dir.glob("c*.wav"):
        if stale.name not in keep:
            stale.unlink()
    manifest = out_dir / MANIFEST
    partial = manifest.with_suffix(".tmp")
    partial.write_text("".join(call.to_json() + "\n" for call in made), encoding="utf-8")
    partial.replace(manifest)
    return made


def load_manifest(directory: Path | None = None, split: str | None = None) -> list[EvalCall]:
    """The calls of a generated set, in order; only one split ("tune", "holdout") if given.

    Raises FileNotFoundError, saying how to generate the set, when there is none.
    """
    directory = Path(directory) if directory is not None else default_dir()
    manifest = directory / MANIFEST
    if not manifest.is_file():
        raise FileNotFoundError(
            f"no evaluation set in {directory}; make it with: python -m bench.evalset generate"
            + ("" if directory == default_dir() else f" --out {directory}")
        )
    calls = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        truth = record.pop("name")
        name = Name(**truth) if truth else None
        call = EvalCall(**record, name=name, directory=str(directory))
        if split is None or call.split == split:
            calls.append(call)
    return calls


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.evalset", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("generate", help="synthesize the calls and write the manifest")
    make.add_argument("--out", type=Path, default=None, help=f"default: {default_dir()}")
    make.add_argument("--count", type=int, default=DEFAULT_COUNT)
    make.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    calls = generate(args.out, args.count, args.seed)
    seconds = time.perf_counter() - start
    size = sum(call.path.stat().st_size for call in calls)
    holdout = sum(call.split == "holdout" for call in calls)
    named = sum(call.name is not None for call in calls)
    print(
        f"{len(calls)} calls ({named} with a name; {holdout} holdout) in "
        f"{calls[0].path.parent if calls else args.out}: {size / 1e6:.1f} MB, {seconds:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
