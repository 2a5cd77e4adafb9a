"""Turn an uploaded greeting into telephone audio, or refuse it when it is not real audio.

ffmpeg decodes whatever common format staff have (WAV, MP3, M4A from a phone, ...) into 8 kHz
mono 16-bit PCM WAV, what the carrier plays best. A file ffmpeg cannot decode as audio is not
audio. Only a short list of demuxers and the local file protocol are allowed: ffmpeg's playlist
formats (HLS, concat) can otherwise be made to read other files or URLs.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import wave
from pathlib import Path
from typing import IO

from petition.i18n import N_

MAX_SECONDS = 60
MIN_SECONDS = 0.5
FORMATS = "wav,mp3,ogg,flac,mov,matroska,aiff,aac,caf,w64"
FFMPEG_TIMEOUT = 60
NOT_AUDIO = N_("This file is not audio we can read. Upload a WAV, MP3, OGG, FLAC or M4A file.")


class AudioRejected(ValueError):
    """The upload is not usable; `message` (a catalog msgid, filled from `values`) says why."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message % values)
        self.message = message
        self.values = values


def convert_greeting(upload: IO[bytes], dest: Path) -> float:
    """Write `upload` as 8 kHz mono 16-bit WAV at `dest`; returns its length in seconds."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        source, out = Path(tmp) / "upload", Path(tmp) / "greeting.wav"
        with open(source, "wb") as fh:
            while chunk := upload.read(1 << 16):
                fh.write(chunk)
        command = [
            "ffmpeg", "-nostdin", "-hide_banner", "-v", "error",
            "-protocol_whitelist", "file", "-format_whitelist", FORMATS,
            "-i", str(source),
            "-map", "0:a:0", "-map_metadata", "-1", "-fflags", "+bitexact",
            # Decode one second past the limit: enough to know it is too long, no more.
            "-t", str(MAX_SECONDS + 1),
            "-ac", "1", "-ar", "8000", "-c:a", "pcm_s16le", "-f", "wav", str(out),
        ]  # fmt: skip
        try:
            result = subprocess.run(command, capture_output=True, timeout=FFMPEG_TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            raise AudioRejected(NOT_AUDIO) from exc
        if result.returncode != 0 or not out.exists():
            raise AudioRejected(NOT_AUDIO)
        try:
            with wave.open(str(out), "rb") as wav:
                seconds = wav.getnframes() / float(wav.getframerate())
        except (wave.Error, EOFError) as exc:
            raise AudioRejected(NOT_AUDIO) from exc
        if seconds > MAX_SECONDS:
            raise AudioRejected(
                N_("The recording is longer than %(seconds)s seconds."), seconds=MAX_SECONDS
            )
        if seconds < MIN_SECONDS:
            raise AudioRejected(N_("The recording is too short."))
        os.replace(out, dest)  # atomic: a call never plays a half-written file
    return seconds
