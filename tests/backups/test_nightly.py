"""The nightly backups under `petition run`: when one is due, how many are kept, a failure
tried again, and the line on the overview's processing health."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from petition.backups.archive import BackupError
from petition.backups.schedule import backup_name, is_due, kept_backups, nightly, prune, standing
from petition.config import Settings
from petition.db import Database
from petition.models import utcnow
from petition.privacy import journal
from tests.ivr.test_staff import signed_in
from tests.test_one_machine import OneMachine, petition


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'petition.sqlite3'}"


def local(hour: int, day: int = 10) -> datetime:
    """A moment of the machine's local clock, as the naive UTC the program keeps."""
    return datetime(2026, 12, day, hour, 30).astimezone().astimezone(UTC).replace(tzinfo=None)


def test_a_backup_is_due_once_a_night_and_at_once_when_there_is_none() -> None:
    assert is_due(None, local(14))
    # Made last night at 03:30: not again during the day, again after the next 03:00.
    assert not is_due(local(3, day=10), local(22, day=10))
    assert not is_due(local(3, day=10), local(2, day=11))
    assert is_due(local(3, day=10), local(3, day=11))
    # A machine that was off at night makes it when it comes back.
    assert is_due(local(3, day=8), local(9, day=10))


def make_files(folder: Path, moments: list[datetime]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for moment in moments:
        (folder / backup_name(moment)).write_bytes(b"x")


def test_only_the_newest_are_kept_and_partial_files_are_not_backups(tmp_path: Path) -> None:
    moments = [datetime(2026, 12, d, 3, 0) for d in range(1, 11)]
    make_files(tmp_path, moments)
    (tmp_path / ".petition-20261211-030000.tar.gz.123.partial").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("mine")
    deleted = prune(tmp_path, 7)
    assert len(deleted) == 3
    assert [k.made_at for k in kept_backups(tmp_path)] == moments[::-1][:7]
    assert (tmp_path / "notes.txt").exists()


@pytest.mark.usefixtures("campaign")
def test_the_nightly_backup_keeps_seven_and_copies_the_erasure_list(
    settings: Settings, db: Database
) -> None:
    make_files(settings.backup_dir, [utcnow() - timedelta(days=d + 2) for d in range(8)])
    journal.append([settings.data_dir / journal.JOURNAL_NAME], "glenn", "ab" * 32)
    made = nightly(settings)
    assert made is not None and made.path.parent == settings.backup_dir
    kept = kept_backups(settings.backup_dir)
    assert len(kept) == settings.backup_keep == 7 and kept[0].path == made.path
    assert journal.read([settings.backup_dir / journal.JOURNAL_NAME])[0].caller_hash == "ab" * 32
    assert nightly(settings) is None  # not due again today
    assert not standing(settings).stale


@pytest.mark.usefixtures("campaign")
def test_a_failed_night_is_shown_and_the_next_attempt_succeeds(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    blocked = settings.with_changes(backup_folder=tmp_path / "a-file" / "backups")
    (tmp_path / "a-file").write_text("")
    with pytest.raises(BackupError):
        nightly(blocked)
    shown = standing(blocked)
    assert shown.stale and shown.last is None
    assert shown.error and "cannot make the backup folder" in shown.error
    (tmp_path / "a-file").unlink()
    assert nightly(blocked) is not None
    shown = standing(blocked)
    assert not shown.stale and shown.error is None


@pytest.mark.usefixtures("campaign")
def test_the_overview_shows_the_last_backup_and_warns_when_none_is_recent(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    signed_in(client, db, "viewer")
    page = client.get("/staff/c/glenn/").data.decode()
    assert "Last backup" in page and "No backup younger than 36 hours" in page
    assert str(settings.backup_dir) in page
    made = nightly(settings)
    assert made is not None
    page = client.get("/staff/c/glenn/").data.decode()
    assert "No backup younger than 36 hours" not in page
    assert "Last backup: " in page and " kB, in " in page
    # Two days later without a backup: the warning is back.
    old = utcnow() - timedelta(hours=40)
    os.rename(made.path, made.path.with_name(backup_name(old)))
    page = client.get("/staff/c/glenn/").data.decode()
    assert "No backup younger than 36 hours" in page


@pytest.fixture
def one_machine(tmp_path: Path, whisper_model_dir: Path) -> Iterator[OneMachine]:
    """`petition run` on its defaults, its backups on another disk."""
    run = OneMachine(tmp_path, whisper_model_dir, BACKUP_DIR=str(tmp_path / "disk2"))
    try:
        run.wait_ready()
        yield run
    finally:
        run.stop()


@pytest.mark.whisper
def test_petition_run_makes_a_backup_on_its_first_start_that_restores(
    one_machine: OneMachine, tmp_path: Path
) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not kept_backups(tmp_path / "disk2"):
        time.sleep(0.2)
    (first,) = kept_backups(tmp_path / "disk2")
    assert "nightly backups: " in (tmp_path / "run.out").read_text()
    checked = petition(one_machine.env, "verify-backup", str(first.path))
    assert "matches its manifest" in checked
    assert one_machine.stop() == 0
    assert not [p for p in (tmp_path / "disk2").iterdir() if p.name.endswith(".partial")]
