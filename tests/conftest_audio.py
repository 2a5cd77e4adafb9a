"""Audio fixtures: the bundled Whisper model, loaded once, and synthesized telephone audio."""

from __future__ import annotations

import os
from collections.abc import Callable
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
