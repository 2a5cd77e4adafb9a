"""The nightly backups `petition run` makes: when one is due, the newest kept, the older
pruned, and what the overview says about the last one.

One backup a night, after NIGHTLY_HOUR (the machine's local time), and at once when the
newest is from before the last such hour (a new install, a machine that was off at night).
A failed attempt is tried again after RETRY_SECONDS.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from petition.backups.archive import BackupError, Made, make_backup
from petition.config import Settings
from petition.models import utcnow
from petition.privacy import journal

NIGHTLY_HOUR = 3
RETRY_SECONDS = 3600
# The overview warns when no backup is younger than this.
STALE_AFTER = timedelta(hours=36)
NAME = re.compile(r"^petition-(\d{8}-\d{6})\.tar\.gz$")
STATUS_FILE = "backup-status.json"


@dataclass(frozen=True)
class Kept:
    path: Path
    made_at: datetime  # naive UTC, from the name
    size: int


def backup_name(now: datetime) -> str:
    return f"petition-{now:%Y%m%d-%H%M%S}.tar.gz"


def kept_backups(folder: Path) -> list[Kept]:
    """The complete backups in `folder`, newest first (a partial one has a hidden name)."""
    found = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for path in entries:
        match = NAME.match(path.name)
        if not match:
            continue
        try:
            size = path.stat().st_size
        except OSError:
            continue
        found.append(Kept(path, datetime.strptime(match.group(1), "%Y%m%d-%H%M%S"), size))
    return sorted(found, key=lambda k: k.made_at, reverse=True)


def last_slot(now_local: datetime) -> datetime:
    """The most recent NIGHTLY_HOUR:00 at or before `now_local` (aware, local time)."""
    slot = now_local.replace(hour=NIGHTLY_HOUR, minute=0, second=0, microsecond=0)
    return slot if slot <= now_local else slot - timedelta(days=1)


def is_due(newest: datetime | None, now: datetime) -> bool:
    """Whether a backup is due at `now` (naive UTC) when the newest was made at `newest`."""
    if newest is None:
        return True
    aware = now.replace(tzinfo=UTC).astimezone()
    return newest.replace(tzinfo=UTC) < last_slot(aware)


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest backups. Returns those deleted."""
    old = [k.path for k in kept_backups(folder)[keep:]]
    for path in old:
        path.unlink(missing_ok=True)
    return old


@contextmanager
def _only_one(folder: Path) -> Iterator[bool]:
    """True when this process holds the folder's backup lock (one backup at a time)."""
    fd = os.open(folder / ".backup.lock", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def nightly(settings: Settings, now: datetime | None = None) -> Made | None:
    """Make tonight's backup when one is due: into BACKUP_DIR, then keep the BACKUP_KEEP
    newest and bring the backup folder's erasure list up to date. None when none was due.
    The outcome is recorded in DATA_DIR/backup-status.json for the overview."""
    now = now or utcnow()
    folder = settings.backup_dir
    if settings.backup_keep <= 0:
        return None
    newest = kept_backups(folder)
    if not is_due(newest[0].made_at if newest else None, now):
        return None
    try:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackupError(f"cannot make the backup folder {folder}: {exc}") from exc
        with _only_one(folder) as mine:
            if not mine:
                return None
            made = make_backup(settings, folder / backup_name(now), now=now)
            prune(folder, settings.backup_keep)
            journal.merge_into(
                folder / journal.JOURNAL_NAME, [settings.data_dir / journal.JOURNAL_NAME]
            )
    except (BackupError, OSError) as exc:
        write_status(settings, now, error=str(exc))
        raise BackupError(str(exc)) from exc
    write_status(settings, now, error=None)
    return made


def write_status(settings: Settings, now: datetime, *, error: str | None) -> None:
    """Record the last attempt (its time, and its error if it failed) in DATA_DIR."""
    path = settings.data_dir / STATUS_FILE
    body = {"attempted_at": now.isoformat(timespec="seconds") + "Z", "error": error}
    tmp = path.with_name(f".{STATUS_FILE}.{os.getpid()}")
    try:
        tmp.write_text(json.dumps(body))
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class Standing:
    """What the overview says about backups."""

    folder: Path
    last: Kept | None
    stale: bool  # no backup younger than STALE_AFTER
    failed_at: datetime | None = None  # the last attempt failed (and when)
    error: str | None = None


def standing(settings: Settings, now: datetime | None = None) -> Standing:
    now = now or utcnow()
    kept = kept_backups(settings.backup_dir)
    last = kept[0] if kept else None
    stale = last is None or now - last.made_at > STALE_AFTER
    failed_at, error = None, None
    try:
        status = json.loads((settings.data_dir / STATUS_FILE).read_text())
        if status.get("error"):
            failed_at = datetime.fromisoformat(status["attempted_at"].removesuffix("Z"))
            error = str(status["error"])
            if last is not None and last.made_at >= failed_at:
                failed_at, error = None, None
    except (OSError, ValueError, KeyError, AttributeError):
        pass
    return Standing(settings.backup_dir, last, stale, failed_at, error)
