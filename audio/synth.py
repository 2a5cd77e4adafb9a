"""Synthesized telephone audio (espeak-ng + sox) for tests, default prompts and simulated calls."""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

SAMPLE_RATE = 8000  # narrowband telephone audio, what the carrier records
PADDING_SECONDS = 0.3
# Slower than espeak-ng's 175 wpm default: clearer on a narrowband line, and Whisper base
# recognises the synthesized test names more reliably at this pace.
WORDS_PER_MINUTE = 150
VOICES = {"nl": "nl", "fr": "fr", "de": "de", "en": "en"}  # espeak-ng default voices

# sox output options for 8 kHz mono 16-bit signed PCM WAV.
_TELEPHONE = ["-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer"]


class SynthError(RuntimeError):
    """espeak-ng or sox is missing or failed."""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SynthError(f"{name} is not installed (Debian/Ubuntu: apt-get install {name})")
    return path


def _run(args: list[str]) -> None:
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SynthError(
            f"{Path(args[0]).name} failed ({result.returncode}): {result.stderr.strip()}"
        )


def synthesize(
    text: str,
    language: str,
    out_path: Path,
    *,
    variant: str = "",
    words_per_minute: int = WORDS_PER_MINUTE,
    padding: float = PADDING_SECONDS,
) -> Path:
    """Speak text with espeak-ng's voice for language into an 8 kHz mono 16-bit WAV.

    variant is an espeak-ng voice variant such as "+f2" or "+m3" ("" for the default voice).
    padding seconds of silence (0.3 by default) are added before and after, like a caller
    pausing around their name. The same arguments always give the same bytes.
    """
    voice = VOICES.get(language)
    if voice is None:
        raise ValueError(f"no voice for language {language!r}; expected one of {sorted(VOICES)}")
    espeak = _tool("espeak-ng")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "espeak.wav"
        # "--" so text starting with a dash is never read as an option.
        _run(
            [espeak, "-v", voice + variant, "-s", str(words_per_minute), "-w", str(raw), "--", text]
        )
        # -D: no dither, so the same text always gives the same bytes (prompts are committed).
        pad = str(padding)
        sox(str(raw), *_TELEPHONE, str(out_path), "pad", pad, pad)
    return out_path


def sox(*args: str) -> None:
    """Run sox with these arguments, without dither (-D) so that its output is reproducible."""
    _run([_tool("sox"), "-D", *args])


def silence(out_path: Path, seconds: float) -> Path:
    """Write seconds of digital silence as an 8 kHz mono 16-bit WAV."""
    return _generate(out_path, seconds, ["trim", "0", str(seconds)])


def noise(out_path: Path, seconds: float) -> Path:
    """Write seconds of low-level white noise (about -50 dBFS RMS), like an open line."""
    return _generate(out_path, seconds, ["synth", str(seconds), "whitenoise", "vol", "0.01"])


def _generate(out_path: Path, seconds: float, effects: list[str]) -> Path:
    if seconds <= 0:
        raise ValueError("seconds must be positive")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # -D (in sox()): no dither, so silence is true digital zero; -R: the same noise every run.
    sox("-R", "-n", *_TELEPHONE, str(out_path), *effects)
    return out_path


def recode(source: Path, out_path: Path, seed: int) -> Path:
    """The recording played into a telephone line once more, as a replay over a SIP trunk
    would be: resampled (to 11.025, 16 or 44.1 kHz and back), a gain change and up to 0.5 s
    more silence before it, the band cut again (250-400 to 3,200-3,500 Hz), a little white
    noise (20-35 dB below the signal) and G.711 mu-law again. The same seed gives the same
    bytes."""
    rng = random.Random(f"recode:{seed}")  # noqa: S311 (a reproducible variation, no secret)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wide, band, noisy, ulaw = (Path(tmp) / f"{n}.wav" for n in ("wide", "band", "noisy", "u"))
        rate = rng.choice(("11025", "16000", "44100"))
        gain, pad = f"{rng.uniform(-6, 3):.1f}", f"{rng.uniform(0, 0.5):.2f}"
        sox(str(source), "-r", rate, str(wide), "gain", gain, "pad", pad)
        low, high = rng.randint(250, 400), rng.randint(3200, 3500)
        sox(str(wide), *_TELEPHONE, str(band), "sinc", f"{low}-{high}")
        with wave.open(str(band), "rb") as wav:
            samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(float)
        rms = float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0
        hiss = np.random.default_rng(seed).normal(0.0, 1.0, len(samples))
        samples = samples + hiss * rms / 10 ** (rng.uniform(20, 35) / 20)
        with wave.open(str(noisy), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(SAMPLE_RATE)
            wav.writeframes(np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes())
        sox(str(noisy), "-e", "u-law", "-b", "8", str(ulaw))
        sox(str(ulaw), *_TELEPHONE, str(out_path))
    return out_path
