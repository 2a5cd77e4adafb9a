"""The recorded default prompts shipped in audio/prompts/<language>/<name>.wav."""

from __future__ import annotations

from pathlib import Path

from audio.prompt_texts import LANGUAGES, PROMPTS

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"


def default_prompt_path(name: str, language: str) -> Path | None:
    """The shipped recording of prompt name in language, or None when there is none."""
    # Only known names and languages: both end up in a file path.
    if name not in PROMPTS or language not in LANGUAGES:
        return None
    path = PROMPTS_DIR / language / f"{name}.wav"
    return path if path.is_file() else None
