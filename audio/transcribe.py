"""Speech to text for recorded names, with faster-whisper on the CPU."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path

from faster_whisper import WhisperModel
from faster_whisper.vad import VadOptions

from petition.namecheck import Heard, HeardWord
from petition.names import strip_hallucinations

# Tuned for 1-10 s of 8 kHz telephone audio holding a name. Narrowband speech scores a little
# lower in Silero VAD than wideband speech, and a name cut away costs more than a cough let
# through (Whisper's no-speech rule and the hallucination filter still catch that), hence a
# threshold under the default 0.5. A short name ("Jan") lasts about 250 ms, so only blips under
# 100 ms are thrown out; generous padding keeps the soft first and last consonants.
VAD_OPTIONS = VadOptions(
    threshold=0.4,
    min_speech_duration_ms=100,
    min_silence_duration_ms=500,
    speech_pad_ms=400,
)

# Whisper's own rule for a segment that is really silence: likely no speech and a decoder that
# was unsure of its words. faster-whisper applies it per 30 s window; we also apply it per segment.
NO_SPEECH_PROB = 0.6
LOW_AVG_LOGPROB = -1.0


@dataclass(frozen=True)
class Transcript(Heard):
    """What Whisper heard in one recording: what the name check needs, and a little more."""

    language: str | None = None
    duration_seconds: float = 0.0  # length of the whole recording


class Transcriber:
    """One loaded Whisper model, reused for many recordings.

    Load it once per worker process: loading costs far more than a short transcription, and
    CTranslate2 models must not cross a fork, so create it after forking (or in a worker that
    does not fork).
    """

    def __init__(self, model: str, cpu_threads: int = 0) -> None:
        """Load model (a faster-whisper name or a local CTranslate2 directory), int8 on the CPU.

        cpu_threads=0 lets CTranslate2 pick (all cores).
        """
        self.model_name = model
        self._model = WhisperModel(
            model, device="cpu", compute_type="int8", cpu_threads=cpu_threads
        )
        # One decode at a time: several threads would only fight over the same cores.
        self._lock = threading.Lock()

    def transcribe(self, wav_path: Path, language: str | None) -> Transcript:
        """Transcribe one recording; language ("nl", "fr", "de", "en") is a hint, None to detect.

        Segments Whisper itself marks as non-speech, and known hallucinations ("Thanks for
        watching"), are left out of the text and the confidence. So text can be empty while
        speech_seconds is not: someone spoke, but nothing usable was made of it.
        """
        with self._lock:
            segments, info = self._model.transcribe(
                str(wav_path),
                language=language,
                beam_size=5,
                # No fallback to sampling at higher temperatures: on a short name it only adds
                # seconds and randomness, rarely a better spelling; a low confidence says enough.
                temperature=0.0,
                # Each recording stands alone; earlier text would only invite repetition loops.
                condition_on_previous_text=False,
                vad_filter=True,
                vad_parameters=VAD_OPTIONS,
                # The name check weighs the probability of the name's own words.
                word_timestamps=True,
            )
            # segments is a lazy generator: decoding happens here, inside the lock.
            segments = list(segments)

        texts: list[str] = []
        words: list[HeardWord] = []
        kept = []
        weighted_probability = 0.0
        weight = 0.0
        for segment in segments:
            if segment.no_speech_prob > NO_SPEECH_PROB and segment.avg_logprob < LOW_AVG_LOGPROB:
                continue
            text = strip_hallucinations(segment.text)
            if not text:
                continue
            texts.append(text)
            kept.append(segment)
            words.extend(
                HeardWord(
                    w.word.strip(), round(w.probability, 4), round(w.start, 2), round(w.end, 2)
                )
                for w in segment.words or ()
            )
            length = max(segment.end - segment.start, 0.01)
            weighted_probability += math.exp(segment.avg_logprob) * length
            weight += length

        return Transcript(
            text=" ".join(texts),
            language=info.language or language,
            speech_seconds=round(info.duration_after_vad, 3),
            duration_seconds=round(info.duration, 3),
            confidence=round(weighted_probability / weight, 3) if weight else 0.0,
            words=tuple(words),
            avg_logprob=min((seg.avg_logprob for seg in kept), default=None),
            no_speech_prob=max((seg.no_speech_prob for seg in kept), default=None),
            compression_ratio=max((seg.compression_ratio for seg in kept), default=None),
        )
