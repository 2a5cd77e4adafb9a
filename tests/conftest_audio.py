"""Audio fixtures: the bundled Whisper model, loaded once, and synthesized telephone audio."""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from audio import synth as audio_synth
from audio.model import assemble_bundled_model
from audio.transcribe import Transcriber

# Beside the checkout rather than in tmp: assembling the model writes 145 MB, once per clone.
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / ".cache" / "whisper-base"


@pytest.fixture(scope="session")
def whisper_model_dir() -> Path:
    """The bundled model, assembled once (PETITION_TEST_MODEL_DIR overrides the place)."""
    target = Path(os.environ.get("PETITION_TEST_MODEL_DIR") or DEFAULT_MODEL_DIR)
    return assemble_bundled_model(target)


@pytest.fixture(scope="session")
def transcriber(whisper_model_dir: Path) -> Transcriber:
    """One Transcriber for the whole session, as a worker keeps one."""
    return Transcriber(str(whisper_model_dir))


class Synth:
    """Makes 8 kHz telephone WAV files in a test's tmp_path."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._count = 0

    def _next(self, kind: str) -> Path:
        self._count += 1
        return self.directory / f"{kind}-{self._count}.wav"

    def speech(self, text: str, language: str) -> Path:
        return audio_synth.synthesize(text, language, self._next("speech"))

    def silence(self, seconds: float = 3.0) -> Path:
        return audio_synth.silence(self._next("silence"), seconds)

    def noise(self, seconds: float = 3.0) -> Path:
        return audio_synth.noise(self._next("noise"), seconds)


@pytest.fixture
def synth(tmp_path: Path) -> Synth:
    return Synth(tmp_path / "audio")


@pytest.fixture
def speech(synth: Synth) -> Callable[[str, str], Path]:
    """speech(text, language) -> a WAV of espeak-ng saying text."""
    return synth.speech


@pytest.fixture
def silence(synth: Synth) -> Callable[..., Path]:
    """silence(seconds=3.0) -> a silent WAV."""
    return synth.silence


@pytest.fixture
def noise(synth: Synth) -> Callable[..., Path]:
    """noise(seconds=3.0) -> a WAV of low white noise."""
    return synth.noise


# --- clips for the integrity of the count (test_integrity.py, test_browser.py) ---

REPLAYED = ("nl", "Mijn naam is Jan Peeters.")
SAME_NAME = "Je m'appelle Sophie Dubois."
GIVEN = ["Els", "Tom", "Lies", "Ann", "Bart", "Marc", "Sofie", "Pieter", "Nina", "Koen"]
SURNAMES = ["Wouters", "Claes", "Smets", "Jacobs", "Janssens", "Maes", "Willems", "Goossens",
            "Mertens", "Hermans"]  # fmt: skip
INTROS = {
    "nl": "Mijn naam is {}.",
    "fr": "Je m'appelle {}.",
    "de": "Ich heiße {}.",
    "en": "My name is {}.",
}
VARIANTS = ("", "+m1", "+m3", "+f2", "+f4")


@dataclass(frozen=True)
class Clip:
    text: str
    language: str
    path: Path


@dataclass(frozen=True)
class Clips:
    original: Clip
    replays: list[Clip]  # the original played into the line again, 30 times
    ordinary: list[Clip]  # 100 callers, two of them different people saying SAME_NAME


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    """Made once per session: 131 short clips take a few seconds."""
    folder = tmp_path_factory.mktemp("integrity-audio")
    language, text = REPLAYED
    original = Clip(text, language, audio_synth.synthesize(text, language, folder / "original.wav"))
    replays_ = [
        Clip(text, language, audio_synth.recode(original.path, folder / f"replay-{i}.wav", seed=i))
        for i in range(30)
    ]
    rng = random.Random(3)
    ordinary = []
    names = [f"{g} {s}" for g, s in itertools.product(GIVEN, SURNAMES)]
    rng.shuffle(names)
    for i, name in enumerate(names[:98]):
        lang = ("nl", "fr", "de", "en")[i % 4]
        said = INTROS[lang].format(name)
        path = audio_synth.synthesize(
            said,
            lang,
            folder / f"caller-{i}.wav",
            variant=VARIANTS[i % 5],
            words_per_minute=130 + 10 * (i % 7),
        )
        ordinary.append(Clip(said, lang, path))
    for i, (variant, speed) in enumerate((("+f2", 170), ("+m3", 135))):  # two people, one name
        path = audio_synth.synthesize(
            SAME_NAME, "fr", folder / f"sophie-{i}.wav", variant=variant, words_per_minute=speed
        )
        ordinary.append(Clip(SAME_NAME, "fr", path))
    return Clips(original, replays_, ordinary)
