"""Regenerate the default prompt recordings: python -m audio.make_prompts

Speaks every text in audio.prompt_texts.PROMPTS with espeak-ng and writes 8 kHz mono 16-bit
WAV files to audio/prompts/<language>/<name>.wav. Campaigns replace them with real voices.
"""

from __future__ import annotations

from pathlib import Path

from audio.prompt_texts import PROMPTS
from audio.prompts import PROMPTS_DIR
from audio.synth import synthesize


def make_prompts(out_dir: Path = PROMPTS_DIR) -> list[Path]:
    """Write one WAV per prompt and language under out_dir; return the paths written."""
    written = []
    for name, texts in PROMPTS.items():
        for language, text in texts.items():
            written.append(synthesize(text, language, out_dir / language / f"{name}.wav"))
    return written


def main() -> None:
    """Regenerate the prompts and list what was written."""
    for path in make_prompts():
        print(path)


if __name__ == "__main__":
    main()
