"""Restoring a backup archive into a data folder, and checking that a backup restores.

The archive is checked and unpacked beside the target first; existing data is never deleted
(only moved aside, with `force`); the schema is brought up to date; recordings are pointed at
their new folder; the signers erased since the backup are erased again and retention applied,
so that a restore brings back nothing that was deleted on purpose.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from petition.backups.archive import (
    DATABASE,
    RECORDINGS,
    SECRETS,
    BackupError,
    NewerSchema,
    counts,
    head_revision,
    knows_revision,
    unpack,
)
from petition.db import Database, is_sqlite
from petition.models import Recording, utcnow
from petition.privacy import journal
from petition.privacy.erasure import apply_retention, reapply

RESTORE_ACTOR = "restore"


@dataclass
class Restored:
    data_dir: Path
    manifest: dict[str, Any]
    # As the archive's database holds them, once migrated; then after erasing again.
    counts_restored: dict[str, int] = field(default_factory=dict)
    counts_now: dict[str, int] = field(default_factory=dict)
    erased_again: int = 0
    recordings_past_retention: int = 0
    moved_aside: Path | None = None
    database_restored: bool = True


def restore(
    archive: Path,
    data_dir: Path,
    *,
    force: bool = False,
    erasure_lists: Sequence[Path] = (),
    database_url: str | None = None,
) -> Restored:
    """Restore `archive` into `data_dir` (see the module's doc).

    `erasure_lists`: other copies of the erasure list to apply (the backup folder's); the
    archive's own and the one of the data moved aside are always read. `database_url`: a
    PostgreSQL database to erase again in, for an archive made without the database (its
    data comes back with pg_restore first). BackupError when the data folder holds data and
    `force` is not given, DamagedArchive, NewerSchema.
    """
    archive, data_dir = archive.absolute(), data_dir.absolute()
    occupied = _holds_data(data_dir)
    if occupied and not force:
        raise BackupError(
            f"{data_dir} holds data already; restore into another folder (--data-dir), or "
            "give --force to move it aside (it is kept, not deleted)"
        )
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = data_dir.parent / f".{data_dir.name}.restoring.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        manifest = unpack(archive, staging)
        _check_schema(archive, manifest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    result = Restored(data_dir=data_dir, manifest=manifest)
    # Read before anything moves (the backup folder may lie inside the data folder).
    lists_now = journal.read(
        [staging / journal.JOURNAL_NAME, data_dir / journal.JOURNAL_NAME, *erasure_lists]
    )
    if occupied:
        aside = data_dir.with_name(f"{data_dir.name}.before-restore-{utcnow():%Y%m%d-%H%M%S}")
        os.rename(data_dir, aside)
        result.moved_aside = aside
    if data_dir.exists():
        # Empty, or holding only what is not data (its backups folder, say): filled in place.
        for entry in staging.iterdir():
            os.rename(entry, data_dir / entry.name)
        staging.rmdir()
    else:
        os.rename(staging, data_dir)
    if lists_now:
        journal.write_all(data_dir / journal.JOURNAL_NAME, lists_now)
    if (data_dir / DATABASE).exists():
        url = f"sqlite:///{data_dir / DATABASE}"
        old_root = Path(manifest.get("data_dir") or "/nonexistent") / RECORDINGS
        _finish_database(url, result, lists_now, old_root, data_dir / RECORDINGS)
    else:
        result.database_restored = False
        if database_url and not is_sqlite(database_url):
            # Its data came back with pg_restore: erase again there. Paths stay as they are
            # (the database may serve other machines).
            _finish_database(database_url, result, lists_now, None, None)
    return result


def _holds_data(folder: Path) -> bool:
    return any(
        (folder / name).exists() for name in (DATABASE, SECRETS, RECORDINGS, journal.JOURNAL_NAME)
    )


def _check_schema(archive: Path, manifest: dict[str, Any]) -> None:
    revision = manifest.get("schema_revision")
    if revision and not knows_revision(str(revision)):
        raise NewerSchema(
            f"{archive} was made by a newer version of petition (schema revision {revision}; "
            f"this version knows up to {head_revision()}): install that version or newer, "
            "then restore"
        )


def _finish_database(
    url: str,
    result: Restored,
    erasures: Iterable[journal.Entry],
    old_root: Path | None,
    new_root: Path | None,
) -> None:
    db = Database(url)
    try:
        if not db.has_schema():
            return
        db.migrate()
        if old_root is not None and new_root is not None:  # the archive's own database
            with db.session() as s:
                _move_recordings(s, old_root, new_root)
                result.counts_restored = counts(s)
        with db.session() as s:
            result.erased_again = reapply(s, erasures, actor=RESTORE_ACTOR)
            result.recordings_past_retention = apply_retention(s)
        with db.session() as s:
            result.counts_now = counts(s)
    finally:
        db.dispose()


def _move_recordings(session: Any, old_root: Path, new_root: Path) -> None:
    """Point the recordings' paths, stored absolute, at the restored folder."""
    prefix = str(old_root) + os.sep
    rows = session.execute(
        sa.select(Recording.id, Recording.storage_path).where(
            Recording.storage_path.startswith(prefix, autoescape=True)
        )
    ).all()
    for rec_id, path in rows:
        session.execute(
            sa.update(Recording)
            .where(Recording.id == rec_id)
            .values(storage_path=str(new_root / path[len(prefix) :]))
        )


def verify_backup(archive: Path) -> tuple[Restored, list[str]]:
    """Restore `archive` into a temporary folder and compare what came back with its manifest.
    Returns the restore and the problems found (none: the backup restores)."""
    with tempfile.TemporaryDirectory(prefix="petition-verify-") as tmp:
        restored = restore(archive, Path(tmp) / "data")
        problems = []
        expected = restored.manifest.get("counts") or {}
        if restored.database_restored:
            for key, value in sorted(expected.items()):
                got = restored.counts_restored.get(key)
                if got != value:
                    problems.append(f"{key}: {got} restored, the manifest says {value}")
        if restored.manifest.get("database") == "sqlite" and not restored.database_restored:
            problems.append("the archive's database did not restore")
        return restored, problems
