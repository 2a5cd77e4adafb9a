"""The export folder for parliament: PDF, CSV, JSON, the recordings, and a manifest of hashes.

`manifest.json` gives the SHA-256 and size of every exported file and of each counted
signature's recording, so a receiver can check that nothing was altered (`verify_export`, or
any sha256sum). Same data in, same bytes out: no timestamps, sorted keys, rows in signing order.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from petition.errors import PetitionError
from petition.integrity import guards
from petition.models import Campaign, Recording, Signature, SignatureState
from petition.reporting.export import Edition, ExportRow, counted_rows, write_csv, write_json
from petition.reporting.report import ExportChanged, ProgressCallback, write_pdf

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "voice-petition-export/1"
RECORDINGS = "recordings"
FORMATS = ("pdf", "csv", "json")
CHUNK = 1 << 16
PROGRESS_EVERY = 1000

# Why a recording is or is not in the folder, as the manifest says it.
BUNDLED = "bundled"
NOT_BUNDLED = "not_bundled"  # left out on request; the hash is the one taken at download
DELETED = "deleted"  # removed after the campaign's retention period
MISSING = "missing"  # should be there and is not: an operator should look


class ExportError(PetitionError):
    """The export folder cannot be written as asked."""


class RecordingAltered(ExportError):
    """A stored recording no longer has the SHA-256 taken when it was downloaded."""


def write_export(
    session: so.Session,
    campaign: Campaign,
    out_dir: Path,
    formats: tuple[str, ...] = FORMATS,
    recordings_root: Path | None = None,
    progress_cb: ProgressCallback | None = None,
    *,
    include_recordings: bool = True,
    now: datetime | None = None,
    edition: Edition | None = None,
) -> Path:
    """Write `<slug>.pdf|csv|json`, the recordings and `manifest.json` into `out_dir`.

    Recordings are copied to `recordings/<signature id>.wav` unless `include_recordings` is
    False; the manifest lists each counted signature's recording either way. Relative storage
    paths are read under `recordings_root`, and when it is given no recording is read from
    outside it. An earlier export in `out_dir` is replaced once the new one is complete; a
    folder holding anything else is refused. `progress_cb(done, total)` counts rows written
    and recordings copied. `edition` says the language of the PDF and the CSV (the JSON and
    the manifest keep codes) and who exported it when. Returns the manifest's path. Raises
    ExportChanged if signatures were counted meanwhile, and RecordingAltered if a stored
    recording's hash no longer matches the one taken when it was downloaded.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ExportError(f"formats must be among {', '.join(FORMATS)}, not {formats}")
    formats = tuple(f for f in FORMATS if f in formats)  # a fixed order, without repeats
    out_dir.mkdir(parents=True, exist_ok=True)
    replaced = _previous_export(out_dir)
    # Built beside the folder and moved in at the end: a failed export leaves the previous
    # one as it was.
    staging = out_dir.parent / f".{out_dir.name}.part"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        _write_all(
            session,
            campaign,
            staging,
            formats,
            recordings_root,
            progress_cb,
            include_recordings,
            now,
            edition or Edition(),
        )
        for path in replaced:
            path.unlink(missing_ok=True)
        old_recordings = out_dir / RECORDINGS
        if old_recordings.is_dir() and not any(old_recordings.iterdir()):
            old_recordings.rmdir()
        # The manifest last: a folder with a manifest is a complete export.
        for child in sorted(staging.iterdir(), key=lambda p: p.name == MANIFEST):
            child.replace(out_dir / child.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir / MANIFEST


def _write_all(
    session: so.Session,
    campaign: Campaign,
    out_dir: Path,
    formats: tuple[str, ...],
    recordings_root: Path | None,
    progress_cb: ProgressCallback | None,
    include_recordings: bool,
    now: datetime | None,
    edition: Edition,
) -> None:
    stem = safe_stem(campaign.slug)
    expected = counted_signatures(session, campaign)
    steps = _Steps(expected, len(formats) + (1 if include_recordings else 0), progress_cb)

    files: dict[str, dict[str, Any]] = {}
    for fmt in formats:
        name = f"{stem}.{fmt}"
        path = out_dir / name
        if fmt == "pdf":
            with open(path, "wb") as fh:
                n = write_pdf(
                    session, campaign, fh, now=now, progress_cb=steps.stage(), edition=edition
                )
        else:
            rows = steps.rows(counted_rows(session, campaign))
            with open(path, "w", encoding="utf-8", newline="") as fh:
                if fmt == "csv":
                    n = write_csv(rows, fh, edition.localizer(campaign))
                else:
                    guarded = guards.guard_counts(session, campaign.id)
                    n = write_json(campaign, rows, fh, guarded=guarded)
        if n != expected:
            raise ExportChanged(f"{name} has {n} signatures, {expected} were counted")
        files[name] = _file_entry(path)

    with open(out_dir / MANIFEST, "w", encoding="utf-8", newline="\n") as fh:
        listed = _write_manifest(
            fh,
            session,
            campaign,
            out_dir,
            files,
            expected,
            recordings_root,
            include_recordings,
            steps.stage() if include_recordings else None,
        )
    if listed != expected:
        raise ExportChanged(f"{listed} recordings listed, {expected} were counted")


def verify_export(out_dir: Path) -> list[str]:
    """Check an export folder against its manifest; return the problems (none: verified).

    Reports missing files, files whose size or SHA-256 changed, and files the manifest does
    not list.
    """
    manifest_path = out_dir / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files = manifest["files"]
        recordings = manifest["recordings"]
    except FileNotFoundError:
        return [f"{MANIFEST} is missing"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{MANIFEST} cannot be read: {exc}"]
    expected: dict[str, dict[str, Any]] = dict(files)
    for item in recordings:
        if item.get("file"):
            expected[item["file"]] = item
    problems = []
    for name in sorted(expected):
        entry = expected[name]
        path = _inside(out_dir, name)
        if path is None:
            problems.append(f"unsafe path in the manifest: {name}")
        elif not path.is_file():
            problems.append(f"missing: {name}")
        else:
            found = _file_entry(path)
            if found["size"] != entry.get("size") or found["sha256"] != entry.get("sha256"):
                problems.append(
                    f"changed: {name} (SHA-256 {found['sha256']}, size {found['size']}; the "
                    f"manifest says {entry.get('sha256')}, size {entry.get('size')})"
                )
    listed = set(expected) | {MANIFEST}
    for path in sorted(out_dir.rglob("*")):
        name = path.relative_to(out_dir).as_posix()
        if not path.is_dir() and name not in listed:
            problems.append(f"extra file: {name}")
    return problems


def safe_stem(slug: str) -> str:
    """A file name from a campaign slug: no path separators, no leading dot."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", slug).lstrip(".") or "petition"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# Writing


def _previous_export(out_dir: Path) -> list[Path]:
    """The files of an earlier export in `out_dir`, to replace; refuses any other content."""
    names: list[str] = []
    manifest = out_dir / MANIFEST
    if manifest.is_file():
        try:
            old = json.loads(manifest.read_text(encoding="utf-8"))
            names = list(old["files"]) + [r["file"] for r in old["recordings"] if r.get("file")]
        except (ValueError, KeyError, TypeError) as exc:
            raise ExportError(f"{out_dir} holds an unreadable {MANIFEST}: {exc}") from exc
        names.append(MANIFEST)
    ours = {path for path in (_inside(out_dir, name) for name in names) if path is not None}
    others = [
        path.relative_to(out_dir).as_posix()
        for path in sorted(out_dir.rglob("*"))
        if not path.is_dir() and path not in ours
    ]
    if others:
        raise ExportError(
            f"{out_dir} holds files that are not an earlier export ({', '.join(others[:3])}): "
            "choose a new folder"
        )
    return sorted(ours)


def counted_signatures(session: so.Session, campaign: Campaign) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count()).where(
                Signature.campaign_id == campaign.id, Signature.state == SignatureState.COUNTED
            )
        )
        or 0
    )


def _write_manifest(
    fh: Any,
    session: so.Session,
    campaign: Campaign,
    out_dir: Path,
    files: dict[str, dict[str, Any]],
    signatures: int,
    recordings_root: Path | None,
    include_recordings: bool,
    progress: ProgressCallback | None,
) -> int:
    """Stream the manifest (keys in sorted order, one recording a line); return how many
    recordings it lists."""

    def field(key: str, value: Any, last: bool = False) -> None:
        fh.write(f"  {json.dumps(key)}: {_dumps(value)}{'' if last else ','}\n")

    fh.write("{\n")
    field("campaign", {"slug": campaign.slug, "title": campaign.title})
    field("files", files)
    field("format", MANIFEST_FORMAT)
    field(
        "how_to_check",
        "Each file's SHA-256 can be checked with `sha256sum`; recordings are listed in the "
        "order of the signatures, by signature id. No phone numbers are in this export.",
    )
    fh.write('  "recordings": [')
    summary = {BUNDLED: 0, NOT_BUNDLED: 0, DELETED: 0, MISSING: 0}
    listed = 0
    copies = out_dir / RECORDINGS
    for n, item in enumerate(
        _recordings(session, campaign, out_dir, copies, recordings_root, include_recordings)
    ):
        fh.write(("," if n else "") + "\n    " + _dumps(item))
        summary[item["status"]] += 1
        listed += 1
        if progress and listed % PROGRESS_EVERY == 0:
            progress(listed, signatures)
    if progress:
        progress(listed, signatures)
    fh.write("\n  ],\n")
    field("recordings_summary", summary)
    field("signatures", signatures, last=True)
    fh.write("}\n")
    return listed


def _recordings(
    session: so.Session,
    campaign: Campaign,
    out_dir: Path,
    copies: Path,
    recordings_root: Path | None,
    include: bool,
) -> Iterator[dict[str, Any]]:
    """One manifest entry per counted signature, in signing order (as the list is numbered)."""
    query = (
        sa.select(
            Signature.public_id,
            Recording.storage_path,
            Recording.sha256,
            Recording.size_bytes,
            Recording.deleted_at,
        )
        .join(Recording, Signature.recording_id == Recording.id)
        .where(Signature.campaign_id == campaign.id, Signature.state == SignatureState.COUNTED)
        .order_by(Signature.signed_at, Signature.id)
        .execution_options(yield_per=2000)
    )
    root = recordings_root.resolve() if recordings_root else None
    # Closed explicitly: on PostgreSQL an abandoned server-side cursor outlives its transaction.
    with session.execute(query) as result:
        yield from _recording_entries(result, out_dir, copies, root, include)


def _recording_entries(
    result: Iterable[Any], out_dir: Path, copies: Path, root: Path | None, include: bool
) -> Iterator[dict[str, Any]]:
    for row in result:
        entry: dict[str, Any] = {
            "file": None,
            "sha256": row.sha256,
            "signature_id": row.public_id,
            "size": row.size_bytes,
        }
        source = _source(row.storage_path, root)
        if row.deleted_at is not None:
            entry["status"] = DELETED
        elif source is None or not source.is_file():
            entry["status"] = MISSING
        elif not include:
            entry["status"] = NOT_BUNDLED
        else:
            name = f"{RECORDINGS}/{safe_stem(row.public_id)}{source.suffix.lower() or '.wav'}"
            copies.mkdir(exist_ok=True)
            sha256, size = _copy(source, out_dir / name)
            if row.sha256 and sha256 != row.sha256:
                raise RecordingAltered(
                    f"the recording of signature {row.public_id} ({source}) has SHA-256 "
                    f"{sha256}, not {row.sha256} as when it was downloaded"
                )
            entry.update(file=name, sha256=sha256, size=size, status=BUNDLED)
        yield entry


def _source(storage_path: str | None, root: Path | None) -> Path | None:
    """Where a recording is stored; None if it has no path or lies outside `root`."""
    if not storage_path:
        return None
    path = Path(storage_path)
    if root is None:
        return path
    path = (root / path).resolve()
    return path if path.is_relative_to(root) else None


def _copy(source: Path, dest: Path) -> tuple[str, int]:
    """Copy `source` to `dest`, hashing the bytes as they are written."""
    digest = hashlib.sha256()
    size = 0
    with open(source, "rb") as src, open(dest, "wb") as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    shutil.copymode(source, dest)
    return digest.hexdigest(), size


def _file_entry(path: Path) -> dict[str, Any]:
    return {"sha256": sha256_file(path), "size": path.stat().st_size}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _inside(out_dir: Path, name: str) -> Path | None:
    """`out_dir / name` if `name` is a plain relative path that stays inside `out_dir`."""
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        return None
    return out_dir.joinpath(*pure.parts)


class _Steps:
    """Progress over the whole export: stage i covers rows i*per_stage to (i+1)*per_stage."""

    def __init__(self, per_stage: int, stages: int, callback: ProgressCallback | None) -> None:
        self.per_stage = per_stage
        self.total = per_stage * stages
        self.callback = callback
        self.started = 0

    def stage(self) -> ProgressCallback | None:
        """The callback for the next stage, reporting (rows done in it, rows in it)."""
        callback = self.callback
        if callback is None:
            return None
        base = self.started * self.per_stage
        self.started += 1
        total = self.total
        return lambda done, _of: callback(min(base + done, total), total)

    def rows(self, rows: Iterator[ExportRow]) -> Iterator[ExportRow]:
        report = self.stage()
        n = 0
        for row in rows:
            yield row
            n += 1
            if report and n % PROGRESS_EVERY == 0:
                report(n, n)
        if report:
            report(n, n)
