"""One backup archive: a compressed tar of the database, `secrets.json`, the erasure list, the
recordings still within retention, and `manifest.json` (SHA-256 and size of every file, the
schema revision, the deployment id, the counts, the time).

The SQLite copy is made with SQLite's online backup API in one step: in WAL mode a reader does
not block writers, so the service goes on taking calls and the copy is the database as of one
moment. The archive is written under a hidden temporary name beside its target, owner-only
(it holds the phone-hash key), fsync'd, and only then renamed to its name: a full disk or a
kill leaves no file under the final name.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import IO, Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from alembic.script import ScriptDirectory

from petition.config import Settings
from petition.db import Database, alembic_config, is_sqlite, sqlite_path
from petition.line.work import process_alive
from petition.models import (
    AuditEvent,
    Call,
    Campaign,
    Deployment,
    Recording,
    Signature,
    SignatureState,
    utcnow,
)
from petition.privacy.journal import JOURNAL_NAME, fsync_dir

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "petition.sqlite3"
SECRETS = "secrets.json"
RECORDINGS = "recordings"
CHUNK = 1 << 20
PARTIAL = ".partial"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


class DamagedArchive(BackupError):
    """The archive is truncated, edited or not a backup."""


class NewerSchema(BackupError):
    """The archive comes from a newer version of the program."""


@dataclass(frozen=True)
class Made:
    path: Path
    size: int
    manifest: dict[str, Any]


def counts(session: so.Session) -> dict[str, int]:
    """The figures a manifest records and a restore checks."""

    def n(query: Any) -> int:
        return int(session.scalar(query) or 0)

    return {
        "campaigns": n(sa.select(sa.func.count()).select_from(Campaign)),
        "calls": n(sa.select(sa.func.count()).select_from(Call)),
        "recordings": n(sa.select(sa.func.count()).select_from(Recording)),
        "signatures": n(sa.select(sa.func.count()).select_from(Signature)),
        "counted": n(
            sa.select(sa.func.count())
            .select_from(Signature)
            .where(Signature.state == SignatureState.COUNTED)
        ),
        "audit_events": n(sa.select(sa.func.count()).select_from(AuditEvent)),
    }


def head_revision() -> str:
    """The newest schema revision this program knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def knows_revision(revision: str) -> bool:
    """Whether `revision` is one of this program's migrations (an older or the current one)."""
    script = ScriptDirectory.from_config(alembic_config())
    try:
        return script.get_revision(revision) is not None
    except Exception:  # alembic raises its own errors for an unknown or malformed id
        return False


def make_backup(
    settings: Settings, out: Path, *, recordings: bool = True, now: datetime | None = None
) -> Made:
    """Write the backup archive `out` of the running service's data (see the module's doc).

    With PostgreSQL the database is not in the archive (pg_dump backs it up); the secrets, the
    erasure list and the recordings are. BackupError when `out` exists or cannot be written.
    """
    out = out.absolute()
    folder = out.parent
    if is_sqlite(settings.database_url) and not sqlite_path(settings.database_url).is_file():
        # sqlite3 would make an empty database there, and back that up.
        raise BackupError(f"no database at {sqlite_path(settings.database_url)}")
    if out.exists():
        raise BackupError(f"{out} exists already: choose another name")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot make the backup folder {folder}: {exc}") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BackupError(f"cannot write in the backup folder {folder}: permission denied")
    clear_leftovers(folder)
    now = now or utcnow()
    work = folder / f".{out.name}.{os.getpid()}.work"
    partial = folder / f".{out.name}.{os.getpid()}{PARTIAL}"
    try:
        work.mkdir(mode=0o700)
        manifest = _manifest_base(settings, now, recordings)
        files: list[tuple[str, Path]] = []
        if is_sqlite(settings.database_url):
            snapshot = work / DATABASE
            _sqlite_snapshot(sqlite_path(settings.database_url), snapshot)
            files.append((DATABASE, snapshot))
            reader = sa.create_engine(f"sqlite:///{snapshot}")
            try:
                with so.Session(reader) as s:
                    _describe_database(s, manifest, settings, now, recordings, files)
            finally:
                reader.dispose()
        else:
            db = Database(settings.database_url)
            try:
                with db.session() as s:
                    _describe_database(s, manifest, settings, now, recordings, files)
            finally:
                db.dispose()
        for name in (SECRETS, JOURNAL_NAME):
            if (settings.data_dir / name).is_file():
                files.append((name, settings.data_dir / name))
        _write_archive(partial, files, manifest)
        os.replace(partial, out)
        fsync_dir(folder)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"the backup could not be written to {folder}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    return Made(out, out.stat().st_size, manifest)


def _manifest_base(settings: Settings, now: datetime, recordings: bool) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "made_at": now.isoformat(timespec="seconds") + "Z",
        "database": "sqlite" if is_sqlite(settings.database_url) else "postgresql",
        "data_dir": str(settings.data_dir),
        "recordings_included": recordings,
        "files": {},
    }


def _sqlite_snapshot(source: Path, dest: Path) -> None:
    """A consistent copy of a live SQLite database (the online backup API, in one step: a
    copy in several steps starts over whenever another connection writes, and could never end
    during a surge)."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)
        # One self-contained file, without a -wal beside it.
        dst.execute("PRAGMA journal_mode=DELETE")
        problem = dst.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise BackupError(f"the database copy fails SQLite's check: {problem}")
    finally:
        dst.close()
        src.close()
    os.chmod(dest, 0o600)


def _describe_database(
    session: so.Session,
    manifest: dict[str, Any],
    settings: Settings,
    now: datetime,
    recordings: bool,
    files: list[tuple[str, Path]],
) -> None:
    """Schema revision, deployment id and counts of the copy, and the recordings it still keeps."""
    manifest["schema_revision"] = session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    manifest["deployment_id"] = session.scalar(sa.select(Deployment.uid).where(Deployment.id == 1))
    manifest["counts"] = counts(session)
    if recordings:
        files.extend(_kept_recordings(session, settings.recordings_dir, now))


def _kept_recordings(session: so.Session, root: Path, now: datetime) -> Iterator[tuple[str, Path]]:
    """The stored recordings not deleted and within their campaign's retention: a restore must
    not bring back what retention or an erasure deleted."""
    root = root.resolve()
    rows = session.execute(
        sa.select(Recording.storage_path, Recording.created_at, Campaign.retention_days)
        .join(Campaign, Campaign.id == Recording.campaign_id)
        .where(Recording.storage_path.is_not(None), Recording.deleted_at.is_(None))
        .order_by(Recording.id)
    )
    for storage_path, created_at, retention_days in rows:
        if not storage_path or created_at < now - timedelta(days=retention_days):
            continue
        path = Path(storage_path).resolve()
        # Deleted since the copy of the database was made: retention or erasure got there first.
        if path.is_relative_to(root) and path.is_file():
            yield (f"{RECORDINGS}/{path.relative_to(root).as_posix()}", path)


class _Hashing(io.RawIOBase):
    """Reads a file for tarfile while hashing what goes into the archive."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.digest.update(data)
        return data


def _write_archive(partial: Path, files: list[tuple[str, Path]], manifest: dict[str, Any]) -> None:
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw:
        # Recordings hardly compress: gzip's usual level, not its slowest.
        with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
            for name, path in files:
                try:
                    _add(tar, name, path, manifest)
                except FileNotFoundError:
                    continue  # a recording deleted meanwhile (retention, erasure)
            body = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(body), 0o600, int(utcnow().timestamp())
            tar.addfile(info, io.BytesIO(body))
        raw.flush()
        os.fsync(raw.fileno())


def _add(tar: tarfile.TarFile, name: str, path: Path, manifest: dict[str, Any]) -> None:
    with open(path, "rb") as fh:
        info = tar.gettarinfo(fileobj=fh, arcname=name)
        info.uname = info.gname = ""
        info.uid = info.gid = 0
        hashing = _Hashing(fh)
        tar.addfile(info, hashing)
        manifest["files"][name] = {"sha256": hashing.digest.hexdigest(), "size": info.size}


def clear_leftovers(folder: Path) -> int:
    """Remove what a backup killed in the middle left in `folder` (hidden `.partial` files and
    `.work` folders of processes that no longer run). Returns how many."""
    removed = 0
    for path in folder.glob(".*"):
        if not (path.name.endswith(PARTIAL) or path.name.endswith(".work")):
            continue
        pid = path.name.removesuffix(PARTIAL).removesuffix(".work").rsplit(".", 1)[-1]
        if pid.isdigit() and process_alive(int(pid)):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed += 1
    return removed


def unpack(archive: Path, into: Path) -> dict[str, Any]:
    """Check `archive` against its manifest while extracting it into the folder `into` (made
    owner-only). Returns the manifest; DamagedArchive naming the first file that differs."""
    into.mkdir(mode=0o700, parents=True)
    seen: dict[str, dict[str, Any]] = {}
    manifest: dict[str, Any] | None = None
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                name = _safe_name(archive, member)
                source = tar.extractfile(member)
                assert source is not None
                if name == MANIFEST:
                    manifest = _parse_manifest(archive, source.read())
                    continue
                dest = into / name
                dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                digest, size = hashlib.sha256(), 0
                fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                seen[name] = {"sha256": digest.hexdigest(), "size": size}
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DamagedArchive(
            f"{archive} is damaged (truncated, or not a backup archive): {exc}"
        ) from exc
    if manifest is None:
        raise DamagedArchive(f"{archive} has no {MANIFEST}: it is not a whole backup archive")
    listed: dict[str, Any] = manifest.get("files") or {}
    for name, expected in sorted(listed.items()):
        got = seen.get(name)
        if got is None:
            raise DamagedArchive(f"{archive}: {name} is listed in the manifest but missing")
        if got != {"sha256": expected.get("sha256"), "size": expected.get("size")}:
            raise DamagedArchive(
                f"{archive}: {name} differs from the manifest (SHA-256 {got['sha256']}, "
                f"{got['size']} bytes; the manifest says {expected.get('sha256')}, "
                f"{expected.get('size')} bytes)"
            )
    for name in sorted(set(seen) - set(listed)):
        raise DamagedArchive(f"{archive}: {name} is not in the manifest (added to the archive?)")
    return manifest


def _safe_name(archive: Path, member: tarfile.TarInfo) -> str:
    """The member's name, when it is a plain file inside the archive's own folders."""
    path = PurePosixPath(member.name)
    if (
        not member.isfile()
        or path.is_absolute()
        or ".." in path.parts
        or not path.parts
        or (path.parts[0] not in (RECORDINGS,) and len(path.parts) != 1)
    ):
        raise DamagedArchive(f"{archive}: unexpected entry {member.name!r}; not a backup archive")
    return path.as_posix()


def _parse_manifest(archive: Path, raw: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise DamagedArchive(f"{archive}: {MANIFEST} is not readable JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DamagedArchive(f"{archive}: {MANIFEST} is not a backup manifest of format {FORMAT}")
    return manifest


def read_manifest(archive: Path) -> dict[str, Any]:
    """The manifest of an archive, without checking the files (for listing)."""
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                if member.name == MANIFEST:
                    source = tar.extractfile(member)
                    assert source is not None
                    return _parse_manifest(archive, source.read())
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DamagedArchive(f"{archive} is damaged: {exc}") from exc
    raise DamagedArchive(f"{archive} has no {MANIFEST}")
