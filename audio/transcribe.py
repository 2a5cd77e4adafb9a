"""Speech to text for recorded names, with faster-whisper on the CPU."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.vad import VadOptions, get_speech_timestamps

from petition.names.namecheck import Heard, HeardWord
from petition.names.reading import compression_ratio, is_repetition_loop, strip_hallucinations

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

SAMPLE_RATE = 16_000  # what Whisper listens at; 8 kHz telephone audio is resampled
# Whisper decodes 30-second windows: a pack of recordings fills one, with a margin.
PACK_SECONDS = 28.0
# Silence between two recordings in a pack: room for Whisper's word timings to be off a little
# without a word landing in the wrong recording.
PACK_GAP_SECONDS = 1.0
# A word this far into the speech of a second recording of a pack (and this share of the
# word) leaves their split doubtful.
STRADDLE_SECONDS = 0.15
STRADDLE_SHARE = 1 / 3
# A recording with this much speech that got no word in a pack is transcribed again alone.
MIN_PACKED_SPEECH = 0.3
BEAM_SIZE = 5
# Greedy decoding: what a worker uses while it catches up with a backlog (workers/jobs.py).
# 1.6 times the pace of beam 5 on the surge bench's voices (bench/loops.py), 1.25 times on
# espeak's default voices with fewer names close (bench/packing.py).
GREEDY = 1
# What a window may make Whisper write: a few tokens per recording and per second of its speech.
# A decoder caught in a loop would otherwise write up to Whisper's limit of 448 tokens; cut
# short, the pack is judged a loop (or its last recordings heard nothing) and decoded again in
# halves, as before. Packs of the packing bench's 48 calls used at most 38 % of their budget;
# on the surge bench's voices the bound made no measurable difference to the pace.
TOKENS_PER_RECORDING = 12
TOKENS_PER_SECOND = 8
MAX_NEW_TOKENS = 440  # Whisper's 448, less the prompt's few
# No run of this many tokens may come twice in a window: a decoder about to repeat an earlier
# caller's "my name is ..." must write something else, most often the next caller's words.
# Chosen on 160 of the surge bench's callers (8 against 3, 4, 6 and 12: shorter runs cost
# names) and measured on 160 others (bench/loops.py, 20 packs): at beam 5, 24 Whisper passes
# against 52 and 2.1 times the pace; greedy, 23 against 28 and 1.28 times; names as close or
# closer. A name said twice in one recording is two or three tokens, far under it.
NO_REPEAT_NGRAM = 8


@dataclass(frozen=True)
class Transcript(Heard):
    """What Whisper heard in one recording: what the name check needs, and a little more."""

    language: str | None = None
    duration_seconds: float = 0.0  # length of the whole recording


@dataclass(frozen=True)
class Clip:
    """One recording ready for a pack: its speech (16 kHz), trimmed of the silence around it."""

    audio: np.ndarray
    speech_seconds: float  # speech the VAD found; 0 for silence
    duration_seconds: float  # length of the whole recording

    @property
    def seconds(self) -> float:
        return len(self.audio) / SAMPLE_RATE


class Transcriber:
    """One loaded Whisper model, reused for many recordings.

    Load it once per worker process: loading costs far more than a short transcription, and
    CTranslate2 models must not cross a fork, so create it after forking (or in a worker that
    does not fork).
    """

    def __init__(
        self,
        model: str,
        cpu_threads: int = 0,
        beam_size: int = BEAM_SIZE,
        salvage: bool = True,
        no_repeat_ngram: int = NO_REPEAT_NGRAM,
    ) -> None:
        """Load model (a faster-whisper name or a local CTranslate2 directory), int8 on the CPU.

        cpu_threads=0 lets CTranslate2 pick (all cores). salvage=False decodes every recording
        of a window that looped or split doubtfully again, in halves, and no_repeat_ngram=0 lets
        the decoder repeat itself: the ways before, for bench/loops.py to compare.
        """
        self.model_name = model
        self.cpu_threads = cpu_threads
        self.beam_size = beam_size
        self.salvage = salvage
        self.no_repeat_ngram = no_repeat_ngram
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
        result = self.transcribe_pack([wav_path], language)[0]
        if isinstance(result, Exception):
            raise result
        return result

    def prepare(self, wav_path: Path, trim: bool = True) -> Clip:
        """Decode a recording and keep its speech, from the VAD's first onset to its last end
        (with trim=False, the whole recording as long as it has speech).

        Raises on audio that cannot be read.
        """
        audio = read_audio(wav_path)
        spans = get_speech_timestamps(audio, VAD_OPTIONS, sampling_rate=SAMPLE_RATE)
        speech = sum(span["end"] - span["start"] for span in spans) / SAMPLE_RATE
        if not spans:
            trimmed = audio[:0]
        else:
            trimmed = audio[spans[0]["start"] : spans[-1]["end"]] if trim else audio
        return Clip(trimmed, round(speech, 3), round(len(audio) / SAMPLE_RATE, 3))

    def transcribe_pack(
        self,
        wav_paths: Sequence[Path],
        language: str | None,
        trim: bool = True,
        beam_size: int | None = None,
    ) -> list[Transcript | Exception]:
        """Transcribe several recordings of one language in as few Whisper windows as fit.

        Whisper pays for a whole 30-second window whatever it hears, and a name lasts two or
        three seconds. So the recordings' speech is laid end to end, with silence between,
        into windows of up to PACK_SECONDS; each window is decoded once and its words go back
        to their recording by their timestamps. A recording whose words cannot be told apart
        from a neighbour's (a word across the silence between them), or that had speech but
        got no words in the pack, is transcribed again on its own.

        Returns one Transcript per path, in order, or the exception that made a recording
        unreadable (the others are unaffected). trim=False keeps the silence around each
        recording's speech (measured in bench/packing.py: trimming packs more per window).
        beam_size overrides the transcriber's for these recordings (GREEDY: a worker catching
        up); each transcript says which it was decoded with.
        """
        beam = beam_size or self.beam_size
        results: list[Transcript | Exception | None] = [None] * len(wav_paths)
        clips: dict[int, Clip] = {}
        for i, path in enumerate(wav_paths):
            try:
                clips[i] = self.prepare(path, trim)
            except Exception as exc:  # unreadable audio: this recording only
                results[i] = exc
        speaking = [i for i, clip in clips.items() if clip.seconds > 0]
        for i in clips.keys() - set(speaking):
            results[i] = _silent(clips[i], language)
        for pack in _packs(speaking, clips):
            self._decode_into(pack, clips, language, results, beam)
        return [r if r is not None else _silent(clips[i], language) for i, r in enumerate(results)]

    def _decode_into(
        self,
        pack: list[int],
        clips: dict[int, Clip],
        language: str | None,
        results: list[Transcript | Exception | None],
        beam: int,
    ) -> None:
        """Decode a pack; the recordings whose split was doubtful go again: together when the
        pack gave the others, else in halves, down to one at a time."""
        decoded = self._decode([clips[i] for i in pack], language, beam)
        doubtful = [i for i, transcript in zip(pack, decoded, strict=True) if transcript is None]
        for i, transcript in zip(pack, decoded, strict=True):
            if transcript is not None:
                results[i] = transcript
        if len(doubtful) == 1:
            results[doubtful[0]] = self._decode([clips[doubtful[0]]], language, beam)[0]
        elif doubtful and self.salvage and len(doubtful) < len(pack):  # progress: rest together
            self._decode_into(doubtful, clips, language, results, beam)
        elif doubtful:
            half = len(doubtful) // 2
            self._decode_into(doubtful[:half], clips, language, results, beam)
            self._decode_into(doubtful[half:], clips, language, results, beam)

    def _decode(
        self, clips: list[Clip], language: str | None, beam: int
    ) -> list[Transcript | None]:
        """One Whisper pass over clips laid end to end; None for a clip whose split is doubtful."""
        gap = np.zeros(int(PACK_GAP_SECONDS * SAMPLE_RATE), dtype=np.float32)
        pieces: list[np.ndarray] = []
        spans: list[tuple[float, float]] = []  # each clip's start and end in the pack, seconds
        for clip in clips:
            if pieces:
                pieces.append(gap)
            start = sum(len(p) for p in pieces) / SAMPLE_RATE
            pieces.append(clip.audio)
            spans.append((start, start + clip.seconds))
        with self._lock:
            segments, info = self._model.transcribe(
                np.concatenate(pieces),
                language=language,
                beam_size=beam,
                # No fallback to sampling at higher temperatures: on a short name it only adds
                # seconds and randomness, rarely a better spelling; a low confidence says enough.
                temperature=0.0,
                # Each recording stands alone; earlier text would only invite repetition loops.
                condition_on_previous_text=False,
                # Word timings split a pack back into its recordings, and the name check weighs
                # the probability of the name's own words.
                word_timestamps=True,
                max_new_tokens=token_budget(clips),
                no_repeat_ngram_size=self.no_repeat_ngram,
            )
            # segments is a lazy generator: decoding happens here, inside the lock.
            segments = list(segments)

        def owner(start: float, end: float) -> tuple[int, bool]:
            """The clip a word belongs to, and whether it sits in two clips' speech at once.

            Whisper's word timings run early, and the first word after a silence stretches
            back over it, even into the end of the recording before: so a word goes to the clip
            whose speech it overlaps most (else the nearest), and the split is doubtful only
            when a good part of the word also lies in another clip's speech.
            """
            overlaps = [max(0.0, min(end, b) - max(start, a)) for a, b in spans]
            if max(overlaps) > 0:
                best = overlaps.index(max(overlaps))
                second = max(o for k, o in enumerate(overlaps + [0.0]) if k != best)
                share = second / max(end - start, 1e-3)
                return best, second >= STRADDLE_SECONDS and share >= STRADDLE_SHARE
            middle = (start + end) / 2
            distances = [min(abs(middle - a), abs(middle - b)) for a, b in spans]
            return distances.index(min(distances)), False

        words: list[list[HeardWord]] = [[] for _ in clips]
        said: list[list[str]] = [[] for _ in clips]  # as Whisper wrote them, leading spaces kept
        kept: list[list[Any]] = [[] for _ in clips]
        doubtful: set[int] = set()
        for segment in segments:
            if segment.no_speech_prob > NO_SPEECH_PROB and segment.avg_logprob < LOW_AVG_LOGPROB:
                continue
            for w in segment.words or ():
                k, straddles = owner(w.start, w.end)
                if straddles:
                    doubtful.update({k - 1, k, k + 1} & set(range(len(clips))))
                offset = spans[k][0]
                said[k].append(w.word)
                words[k].append(
                    HeardWord(
                        w.word.strip(),
                        round(float(w.probability), 4),
                        round(max(w.start - offset, 0.0), 2),
                        round(max(w.end - offset, 0.0), 2),
                    )
                )
                if not kept[k] or kept[k][-1] is not segment:
                    kept[k].append(segment)
        pack_text = " ".join(seg.text for seg in segments)
        trusted = len(clips)
        if len(clips) > 1 and is_repetition_loop(pack_text, by_compression=False):
            # Whisper looped: only the recordings it had finished before the loop began keep
            # their words; the rest are decoded again.
            trusted = before_loop(["".join(s) for s in said]) if self.salvage else 0
        out: list[Transcript | None] = []
        for k, clip in enumerate(clips):
            heard_nothing = not words[k] and clip.speech_seconds >= MIN_PACKED_SPEECH
            if len(clips) > 1 and (k >= trusted or k in doubtful or heard_nothing):
                out.append(None)
                continue
            text = "".join(said[k])
            language_heard = info.language or language
            out.append(_transcript(clip, text, words[k], kept[k], language_heard, beam))
        return out


def before_loop(texts: Sequence[str]) -> int:
    """How many of a looped window's recordings, in order, were heard before the loop began.

    The loop is first complete in the shortest run of recordings from the first that loops;
    it began in the last recording from which the rest of that run still loops. Recordings
    before that one keep their words; 0 when the loop begins in the first recording, or when
    no run of recordings' words loops on its own (the loop was in words no recording got)."""
    for end in range(1, len(texts) + 1):
        if is_repetition_loop(" ".join(texts[:end]), by_compression=False):
            return next(
                start
                for start in range(end - 1, -1, -1)
                if is_repetition_loop(" ".join(texts[start:end]), by_compression=False)
            )
    return 0


def token_budget(clips: Sequence[Clip]) -> int:
    """How many tokens a window of these clips may take, at most MAX_NEW_TOKENS."""
    wanted = sum(TOKENS_PER_RECORDING + TOKENS_PER_SECOND * clip.seconds for clip in clips)
    return min(MAX_NEW_TOKENS, round(wanted))


def read_audio(path: Path) -> np.ndarray:
    """A recording as Whisper hears it: 16 kHz mono float32, the samples faster-whisper's
    decode_audio gives, without the full garbage collection that it runs after every file. In a
    worker's large heap that collection took about 0.1 s a recording, an eighth of the worker's
    time (measured in the surge bench); the resampler's reference cycles go with Python's own
    collections instead."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    with av.open(str(path), mode="r", metadata_errors="ignore") as container:
        frames = container.decode(audio=0)
        while True:
            try:
                frame: av.AudioFrame | None = next(frames)
            except StopIteration:
                frame = None  # flushes the resampler
            except av.error.InvalidDataError:
                continue  # a damaged frame: the rest of the recording still counts
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
            if frame is None:
                break
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
    return samples.astype(np.float32) / 32768.0


def _packs(order: list[int], clips: dict[int, Clip]) -> list[list[int]]:
    """Consecutive recordings grouped into windows of at most PACK_SECONDS of audio."""
    packs: list[list[int]] = []
    length = 0.0
    for i in order:
        need = clips[i].seconds + (PACK_GAP_SECONDS if packs and packs[-1] else 0.0)
        if not packs or length + need > PACK_SECONDS:
            packs.append([i])
            length = clips[i].seconds
        else:
            packs[-1].append(i)
            length += need
    return packs


def _transcript(
    clip: Clip,
    said: str,
    words: list[HeardWord],
    segments: list[Any],
    language: str | None,
    beam_size: int,
) -> Transcript:
    """A recording's transcript from its own words, and the signals of the segments they came
    from (a segment of a pack may hold a neighbour's words too: its figures are the weaker)."""
    text = strip_hallucinations(said)
    kept = words if text else []
    return Transcript(
        text=text,
        language=language,
        speech_seconds=clip.speech_seconds,
        duration_seconds=clip.duration_seconds,
        confidence=round(float(np.mean([w.probability for w in kept])), 3) if kept else 0.0,
        words=tuple(kept),
        avg_logprob=min((float(seg.avg_logprob) for seg in segments), default=None)
        if kept
        else None,
        no_speech_prob=max((float(seg.no_speech_prob) for seg in segments), default=None)
        if kept
        else None,
        compression_ratio=round(compression_ratio(text), 3) if kept else None,
        beam_size=beam_size,
    )


def _silent(clip: Clip, language: str | None) -> Transcript:
    return Transcript(
        text="",
        language=language,
        speech_seconds=clip.speech_seconds,
        duration_seconds=clip.duration_seconds,
        confidence=0.0,
    )
