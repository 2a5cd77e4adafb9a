"""What a job needs (settings, database, transcriber), built once per worker process.

RQ calls jobs as plain functions, so they reach these through here. The worker fills it at
start (loading the model once); tests may `configure` it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from petition.config import Settings, load_settings
from petition.db import Database

if TYPE_CHECKING:
    from audio.transcribe import Transcriber


@dataclass
class WorkerContext:
    settings: Settings
    db: Database
    _transcriber: Transcriber | None = None

    @property
    def transcriber(self) -> Transcriber:
        if self._transcriber is None:
            from audio.model import resolve_model
            from audio.transcribe import Transcriber

            model = resolve_model(self.settings.whisper_model, self.settings.data_dir)
            self._transcriber = Transcriber(model, cpu_threads=self.settings.whisper_threads)
        return self._transcriber


_context: WorkerContext | None = None


def configure(
    settings: Settings, db: Database | None = None, transcriber: Transcriber | None = None
) -> WorkerContext:
    global _context
    _context = WorkerContext(settings, db or Database(settings.database_url), transcriber)
    return _context


def current() -> WorkerContext:
    if _context is None:
        return configure(load_settings())
    return _context
