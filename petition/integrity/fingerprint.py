"""Audio fingerprints of recordings: the same recording played again is found, a voice is not.

A name lasts two or three seconds. Chromaprint, made for music, gives one to three
sub-fingerprints for a clip that short (about eight a second, after a window of several
seconds), too few to match on; so this is a fingerprint in the manner of Haitsma and Kalker
("A Highly Robust Audio Fingerprinting System", 2002), cut for the telephone: 8 kHz audio, frames
of 128 ms every 16 ms, 33 bands spaced logarithmically over 300-3,400 Hz, and one 32-bit word
per frame whose bits say whether the energy difference between neighbouring bands rose or fell
since the previous frame. A recording that went through a second telephone coding (resampled,
band-limited, mu-law again, a little noise, another gain) keeps most bits; another person saying
the same words, even in the same synthetic voice at another speed, keeps about half of them,
which is chance. It describes how a recording sounds, not who speaks: it is no voiceprint, and
two recordings of one person do not match.

Lookup uses an index, not a scan of every pair: each recording stores 16-bit halves of some of
its words as keys (`index_keys`); a new recording's keys (`query_keys`, every frame) find the
recordings that share several of them, and only those few are compared word by word
(`distance`, the bit error rate at the best alignment).

Pure NumPy: no web, no queue, no database.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 8000
FRAME = 1024  # samples: 128 ms
HOP = 128  # samples: 16 ms, about 62 words a second
BANDS = 33  # 32 band differences: one 32-bit word per frame
LOW_HZ, HIGH_HZ = 300.0, 3400.0
# Frames quieter than this, below the loudest frame, are line noise or silence: no keys from them.
KEY_FLOOR_DB = 30.0
# Below this level (dBFS) a frame is digital silence or near it: never a key.
SILENCE_DBFS = -70.0
# Every KEY_STEP-th loud frame gives keys to the index (both 16-bit halves of its word).
KEY_STEP = 2
# Two recordings are one when, at their best alignment, fewer than this share of bits differ.
# Set between the project's own sets (python -m bench --only fingerprints): replays through a
# second telephone coding differ in at most 0.25 (0.32 in the worst quarter), different
# speakers saying the same sentence in at least 0.35 (0.37), one synthetic voice saying the same
# introduction before another name in 0.33 overall but 0.49 in the worst quarter.
MATCH_BER = 0.30
# ... and in the worst quarter of the overlap, fewer than this.
MATCH_QUARTER_BER = 0.35
# Alignments tried: up to this many seconds of shift either way (silence before the name varies).
MAX_SHIFT_SECONDS = 1.5
# An alignment must overlap at least this share of the shorter fingerprint.
MIN_OVERLAP = 0.6
MIN_WORDS = 12  # fewer words (under about 0.3 s of audio) cannot be told apart


class FingerprintError(ValueError):
    """The audio cannot be read as a recording (not a WAV, empty, ...)."""


@dataclass(frozen=True)
class Print:
    """One recording's fingerprint: its words, and the keys it adds to the index."""

    words: np.ndarray  # uint32, one per frame
    keys: tuple[int, ...]

    def to_bytes(self) -> bytes:
        return self.words.astype("<u4").tobytes()


def words_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4")


def read_audio(path: Path) -> np.ndarray:
    """The recording as float samples at 8 kHz mono (a WAV of 8- or 16-bit PCM, any rate)."""
    try:
        with wave.open(str(path), "rb") as wav:
            rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError, OSError) as exc:
        raise FingerprintError(f"{path.name}: {exc}") from exc
    if width == 2:
        samples = np.frombuffer(raw, dtype="<i2").astype(np.float64)
    elif width == 1:
        samples = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128) * 256
    else:
        raise FingerprintError(f"{path.name}: {8 * width}-bit samples")
    if channels > 1:
        samples = samples[: len(samples) // channels * channels].reshape(-1, channels).mean(1)
    if rate != SAMPLE_RATE and len(samples):
        # Linear interpolation is enough here: everything above the telephone band is ignored.
        span = len(samples) / rate
        samples = np.interp(
            np.arange(int(span * SAMPLE_RATE)) / SAMPLE_RATE,
            np.arange(len(samples)) / rate,
            samples,
        )
    return samples


def compute(samples: np.ndarray) -> Print:
    """The fingerprint of 8 kHz samples."""
    if len(samples) < FRAME + 2 * HOP:
        return Print(np.zeros(0, dtype=np.uint32), ())
    count = 1 + (len(samples) - FRAME) // HOP
    frames = np.arange(FRAME)[None, :] + HOP * np.arange(count)[:, None]
    power = np.abs(np.fft.rfft(samples[frames] * np.hanning(FRAME), axis=1)) ** 2
    energy = _bands() @ power.T  # (bands, frames)
    level = 10 * np.log10(energy.sum(0) / (FRAME * 32768.0**2) + 1e-12)
    log_energy = np.log(energy + 1e-3)
    across = log_energy[:-1] - log_energy[1:]  # (32, frames)
    bits = (across[:, 1:] - across[:, :-1]) > 0  # (32, frames - 1)
    weights = (1 << np.arange(32, dtype=np.uint64))[:, None]
    words = (bits.astype(np.uint64) * weights).sum(0).astype(np.uint32)
    loud = (level[1:] > level.max() - KEY_FLOOR_DB) & (level[1:] > SILENCE_DBFS)
    if not loud.any():
        return Print(np.zeros(0, dtype=np.uint32), ())
    # Kept from the first loud frame to the last: the silence around the name says nothing.
    first, last = np.flatnonzero(loud)[[0, -1]]
    span = slice(first, last + 1)
    return Print(words[span].copy(), index_keys(words[span][loud[span]]))


def fingerprint_file(path: Path) -> Print:
    return compute(read_audio(path))


def _keys(words: np.ndarray) -> tuple[int, ...]:
    """16-bit halves, the upper ones tagged so that the two halves never collide."""
    low = (words & 0xFFFF).astype(np.int64)
    high = ((words >> 16) | 0x10000).astype(np.int64)
    return tuple(sorted(set(low.tolist()) | set(high.tolist())))


def index_keys(words: np.ndarray) -> tuple[int, ...]:
    """The keys a recording adds to the index: those of every KEY_STEP-th (loud) frame."""
    return _keys(words[::KEY_STEP])


def query_keys(words: np.ndarray) -> tuple[int, ...]:
    """Every frame's keys: the stored ones are a subsample whose phase is unknown."""
    return _keys(words)


_BAND_MATRIX: np.ndarray | None = None


def _bands() -> np.ndarray:
    """Which FFT bins add up to which band."""
    global _BAND_MATRIX
    if _BAND_MATRIX is None:
        freqs = np.fft.rfftfreq(FRAME, 1 / SAMPLE_RATE)
        edges = np.geomspace(LOW_HZ, HIGH_HZ, BANDS + 1)
        spans = zip(edges[:-1], edges[1:], strict=True)
        _BAND_MATRIX = np.stack(
            [((freqs >= lo) & (freqs < hi)).astype(np.float64) for lo, hi in spans]
        )
    return _BAND_MATRIX


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


@dataclass(frozen=True)
class Comparison:
    """Two fingerprints at their best alignment: the share of differing bits over the overlap,
    and in its worst quarter (a shared start, "Mijn naam is" in one synthetic voice, must not
    make two recordings one)."""

    ber: float
    worst_quarter: float


UNRELATED = Comparison(1.0, 1.0)


def compare(a: np.ndarray, b: np.ndarray) -> Comparison:
    """The best alignment of two fingerprints; UNRELATED when either is too short.

    Every shift of `a` against `b` (up to MAX_SHIFT_SECONDS either way) at once: `a` padded on
    both sides, each window of it XORed with `b`, the differing bits counted where both have a
    word.
    """
    shortest = min(len(a), len(b))
    if shortest < MIN_WORDS:
        return UNRELATED
    need = max(MIN_WORDS, int(MIN_OVERLAP * shortest))
    limit = int(MAX_SHIFT_SECONDS * SAMPLE_RATE / HOP)
    pad = np.zeros(limit, dtype=np.uint32)
    tail = np.zeros(limit + len(b), dtype=np.uint32)
    padded = np.concatenate([pad, a.astype(np.uint32), tail])
    present = np.concatenate([pad != 0, np.ones(len(a), dtype=bool), tail != 0])
    shifts = 2 * limit + 1
    windows = np.lib.stride_tricks.sliding_window_view(padded, len(b))[:shifts]
    both = np.lib.stride_tricks.sliding_window_view(present, len(b))[:shifts]
    differing = _POPCOUNT[(windows ^ b.astype(np.uint32)).view(np.uint8)]
    bits = differing.reshape(shifts, len(b), 4).sum(2) * both
    overlap = both.sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ber = np.where(overlap >= need, bits.sum(1) / (32.0 * overlap), np.inf)
    best = int(np.argmin(ber))
    if not np.isfinite(ber[best]):
        return UNRELATED
    aligned = bits[best][both[best]]
    worst = max(float(part.sum()) / (32 * len(part)) for part in np.array_split(aligned, 4))
    return Comparison(float(ber[best]), worst)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """The share of differing bits at the best alignment (0 same, about 0.5 unrelated)."""
    return compare(a, b).ber


def matches(found: Comparison) -> bool:
    """Near-identical audio: close over the whole overlap, and in each of its quarters."""
    return found.ber < MATCH_BER and found.worst_quarter < MATCH_QUARTER_BER


def same_audio(a: np.ndarray, b: np.ndarray) -> bool:
    return matches(compare(a, b))
