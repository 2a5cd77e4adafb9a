"""Audio for the voice line: prompts, synthesized test speech and Whisper transcription."""
