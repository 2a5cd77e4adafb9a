"""Log lines: plain text or JSON, with the request or recording they are about, and no caller.

A log line names a request by its id and a recording by its SID, never by the caller's
number or name. Code here does not log those; as a second guard every line is scrubbed of
anything shaped like a phone number, and SQL parameters (names, hashes) are kept out of
database errors (`petition.db`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

# What a line is about: request_id, recording_sid, call_sid. Set by the web app per request
# and by a worker per job; every line logged meanwhile carries them.
_context: ContextVar[dict[str, str] | None] = ContextVar("petition_log_context", default=None)

# A phone number as it may be written: E.164 (+32470123456), digits alone (eight or more), or
# groups split by single spaces after a + or a leading 0 (+32 470 12 34 56, 0470 12 34 56).
# Dates, times, addresses, ports and SIDs do not look like any of these.
PHONE_LIKE = re.compile(r"(?<![\w+-])(?:\+\d(?: ?\d){6,}|0\d{2,3}(?: \d{2,3}){2,4}|\d{8,})(?![\w])")
REDACTED = "[number]"

# Extra fields a line may carry as structured data (logger.info(..., extra={...})).
EXTRA_FIELDS = (
    "method",
    "path",
    "status",
    "duration_ms",
    "endpoint",
    "child",
    "child_pid",
    "exit_code",
)

# Third-party loggers that say nothing an operator needs, or too much (SQL with parameters).
QUIET_LOGGERS = {
    "sqlalchemy": logging.WARNING,
    "alembic": logging.WARNING,
    "urllib3": logging.INFO,
    "faster_whisper": logging.INFO,
    "fontTools": logging.WARNING,
    "werkzeug": logging.WARNING,
    "waitress.queue": logging.WARNING,
}


def bind(**fields: str | None) -> Token[dict[str, str] | None]:
    """Add fields to every line logged from here on, until `unbind` with the token returned."""
    merged = {**(_context.get() or {}), **{k: v for k, v in fields.items() if v}}
    return _context.set(merged)


def unbind(token: Token[dict[str, str] | None]) -> None:
    _context.reset(token)


@contextmanager
def context(**fields: str | None) -> Iterator[None]:
    """Fields on every line logged inside the block."""
    token = bind(**fields)
    try:
        yield
    finally:
        unbind(token)


def scrub(text: str) -> str:
    return PHONE_LIKE.sub(REDACTED, text)


class ContextFilter(logging.Filter):
    """Puts the current context (request id, recording SID) on each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.context = _context.get() or {}
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ctx = getattr(record, "context", None) or {}
        if ctx:
            line += " [" + " ".join(f"{k}={v}" for k, v in sorted(ctx.items())) + "]"
        return scrub(line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, the context, and any error."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        entry.update(getattr(record, "context", None) or {})
        for name in EXTRA_FIELDS:
            if name in record.__dict__:
                entry[name] = record.__dict__[name]
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return scrub(json.dumps(entry, ensure_ascii=False, default=str))


def configure(fmt: str = "text", level: str | int = "INFO") -> None:
    """Log to stderr in `fmt` ("text" or "json") from `level` up; idempotent."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else level.upper())
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(quiet, root.level))
