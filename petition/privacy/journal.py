"""The list of erasures, kept outside the database so that a restore can apply them again.

A backup is a copy of the database as it was: a signer erased after it would come back with a
restore. So each erasure is also appended to `erasures.jsonl` in DATA_DIR and in the backup
folder (another disk, ideally): a lost database or a lost data disk still leaves one copy, and
`petition restore` erases every signer listed again. An entry holds the campaign and the
caller's keyed hash (never the number), and is written and fsync'd before the erasure commits,
so the list holds at least every erasure that took effect.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from petition.config import Settings
from petition.models import utcnow

JOURNAL_NAME = "erasures.jsonl"


@dataclass(frozen=True)
class Entry:
    campaign: str  # the campaign's slug
    caller_hash: str  # HMAC of the number with PHONE_HASH_KEY
    erased_at: str  # ISO 8601, UTC

    @property
    def key(self) -> tuple[str, str]:
        return (self.campaign, self.caller_hash)


def journal_paths(settings: Settings) -> list[Path]:
    """Where the list is kept: DATA_DIR first (it must be written), then the backup folder."""
    paths = [settings.data_dir / JOURNAL_NAME, settings.backup_dir / JOURNAL_NAME]
    return [paths[0]] if paths[1] == paths[0] else paths


def append(paths: Sequence[Path], campaign: str, caller_hash: str) -> list[str]:
    """Append one erasure to each list, fsync'd. The first must be written (OSError otherwise);
    a failure on the others is returned as a message, for the operator to see."""
    entry = Entry(campaign, caller_hash, utcnow().isoformat(timespec="seconds") + "Z")
    line = _line(entry)
    problems = []
    for i, path in enumerate(paths):
        try:
            _append_line(path, line)
        except OSError as exc:
            if i == 0:
                raise
            problems.append(f"the erasure list in {path.parent} could not be written: {exc}")
    return problems


def _append_line(path: Path, line: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    if new:
        fsync_dir(path.parent)


def _line(entry: Entry) -> bytes:
    return (json.dumps(entry.__dict__, sort_keys=True) + "\n").encode()


def fsync_dir(folder: Path) -> None:
    """Make a file's creation or rename in `folder` durable (the folder's entry itself)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read(paths: Iterable[Path]) -> list[Entry]:
    """Every erasure in any of the lists, once each, oldest first. A line that a crash cut
    short is skipped (its erasure did not commit: the entry is written first)."""
    found: dict[tuple[str, str], Entry] = {}
    for path in paths:
        try:
            text = path.read_text()
        except FileNotFoundError:
            continue
        for line in text.splitlines():
            try:
                raw = json.loads(line)
                entry = Entry(str(raw["campaign"]), str(raw["caller_hash"]), str(raw["erased_at"]))
            except (ValueError, KeyError, TypeError):
                continue
            found.setdefault(entry.key, entry)
    return sorted(found.values(), key=lambda e: e.erased_at)


def write_all(path: Path, entries: Sequence[Entry]) -> None:
    """Write `entries` as the list at `path` (after a restore, or to bring the backup folder's
    copy up to date): complete under a temporary name, then renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        for entry in entries:
            fh.write(_line(entry))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def merge_into(path: Path, sources: Iterable[Path]) -> int:
    """Add to the list at `path` the erasures the other lists hold and it lacks. Returns how
    many were added."""
    have = read([path])
    known = {e.key for e in have}
    missing = [e for e in read(sources) if e.key not in known]
    if missing:
        write_all(path, sorted([*have, *missing], key=lambda e: e.erased_at))
    return len(missing)
