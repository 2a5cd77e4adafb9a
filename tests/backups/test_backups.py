"""Backups of the one-machine default: a running service backed up while calls arrive, restored
into a new folder after losing its data; and the ways a backup or a restore must fail."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner
from twilio.request_validator import RequestValidator

from ivr.cli import main
from petition.backups.archive import (
    BackupError,
    DamagedArchive,
    NewerSchema,
    head_revision,
    make_backup,
    read_manifest,
    unpack,
)
from petition.backups.restore import restore, verify_backup
from petition.config import Settings, load_settings
from petition.counting.rules import Heard, decide
from petition.db import Database, alembic_config
from petition.line import calls
from petition.models import AuditEvent, Call, Campaign, Recording, Signature
from petition.privacy import journal, phones
from petition.privacy.erasure import erase_signer
from tests.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CAMPAIGN_NUMBER,
    PUBLIC_BASE_URL,
    add_campaign,
    empty_postgres,
    make_settings,
)

_sids = itertools.count(1)
FIRST = ("Jan", "Piet", "Anna", "Sophie", "Marie", "Luc", "Els", "Tom")
LAST = ("Peeters", "Janssens", "Maes", "Jacobs", "Mertens")
# Forty different people (the same name from two numbers would wait for a person).
NAMES = [f"{first} {last}" for first in FIRST for last in LAST]


def mobile(i: int, block: int) -> str:
    """A Belgian mobile number, each `i` (below 100) in a range of its own (forty calls from one
    range would be held as a burst)."""
    return f"+32{470 + i % 20}{i:02d}{block:02d}{i:02d}"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The one-machine default: a SQLite file in DATA_DIR."""
    return f"sqlite:///{tmp_path / 'data' / 'petition.sqlite3'}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_url: str) -> Settings:
    # The backups go to another disk than the data (here: another folder).
    return make_settings(tmp_path, database_url, redis_url, BACKUP_DIR=str(tmp_path / "disk2"))


def sign_up(
    db: Database, settings: Settings, caller: str, text: str, audio_bytes: int = 20_000
) -> int:
    """A call whose recording was stored and heard: returns the signature id."""
    n = next(_sids)
    with db.session() as s:
        arrival = calls.register_recording(
            s,
            call_sid=f"CAseed{n}",
            recording_sid=f"REseed{n}",
            url=f"https://api.twilio.com/x/REseed{n}",
            duration=3,
            dialled=CAMPAIGN_NUMBER,
            caller=caller,
            hash_key=settings.phone_hash_key,
        )
        rec = arrival.recording
        if audio_bytes:
            path = settings.recordings_dir / str(rec.campaign_id) / f"{rec.recording_sid}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            body = b"RIFF" + os.urandom(audio_bytes)
            path.write_bytes(body)
            rec.storage_path, rec.sha256 = str(path), hashlib.sha256(body).hexdigest()
            rec.size_bytes, rec.status = len(body), "done"
        decide(s, arrival.signature, Heard(text, 1.5, 0.9), actor="test")
        return arrival.signature.id


def signed_post(base: str, path: str, params: dict[str, str]) -> requests.Response:
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + path, params)
    return requests.post(
        base + path, data=params, headers={"X-Twilio-Signature": signature}, timeout=30
    )


class Callers(threading.Thread):
    """Calls arriving over HTTP, one after another, until stopped: each a new call and its
    recording, as the carrier posts them."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.stop = threading.Event()
        self.answers: list[int] = []

    def run(self) -> None:
        for n in itertools.count(1):
            if self.stop.is_set():
                return
            call = {
                "AccountSid": ACCOUNT_SID,
                "CallSid": f"CAlive{n}",
                "From": f"+3247155{n:04d}",
                "To": CAMPAIGN_NUMBER,
                "CallStatus": "in-progress",
                "Direction": "inbound",
            }
            self.answers.append(signed_post(self.base, "/ivr/voice", call).status_code)
            recorded = {
                **call,
                "RecordingSid": f"RElive{n}",
                "RecordingUrl": f"https://api.twilio.com/x/RElive{n}",
                "RecordingDuration": "3",
            }
            self.answers.append(signed_post(self.base, "/ivr/recorded", recorded).status_code)


def count_calls(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(Call)) or 0)


def audit_log(db: Database) -> list[tuple[Any, ...]]:
    with db.session() as s:
        return [
            tuple(row)
            for row in s.execute(
                sa.select(
                    AuditEvent.id,
                    AuditEvent.actor,
                    AuditEvent.action,
                    AuditEvent.signature_id,
                    AuditEvent.after,
                ).order_by(AuditEvent.id)
            )
        ]


def signatures(db: Database) -> dict[str, tuple[Any, ...]]:
    with db.session() as s:
        rows = s.execute(
            sa.select(
                Signature.public_id,
                Signature.state,
                Signature.reason,
                Signature.name,
                Signature.caller_hash,
            )
        )
        return {row[0]: tuple(row[1:]) for row in rows}


def test_a_running_service_backed_up_while_calls_arrive_restores_after_losing_its_disk(
    settings: Settings, db: Database, live_url: str, tmp_path: Path
) -> None:
    campaign = add_campaign(db)
    signers = [mobile(i, 1) for i in range(40)]
    ids = [sign_up(db, settings, n, f"Mijn naam is {NAMES[i]}") for i, n in enumerate(signers)]
    with db.session() as s:
        assert s.get_one(Signature, ids[0]).state == "counted"
    callers = Callers(live_url)
    callers.start()
    try:
        while count_calls(db) < 45:  # calls are arriving
            time.sleep(0.01)
        before = count_calls(db)
        made = make_backup(settings, settings.backup_dir / "petition-test.tar.gz")
        after = count_calls(db)
    finally:
        callers.stop.set()
        callers.join(30)
    manifest = made.manifest
    # The copy is the database of one moment during the backup, calls and all.
    assert before <= manifest["counts"]["calls"] <= after
    assert set(callers.answers) == {200}, "a call got an error during the backup"
    assert manifest["counts"]["counted"] == 40
    assert manifest["schema_revision"] and manifest["deployment_id"]
    assert {"petition.sqlite3", "secrets.json"} <= set(manifest["files"])
    assert sum(name.startswith("recordings/") for name in manifest["files"]) == 40
    assert made.path.stat().st_mode & 0o777 == 0o600

    # After the backup: one signer asks to be erased, and more calls come in.
    with db.session() as s:
        erased = erase_signer(
            s,
            s.get_one(Campaign, campaign),
            signers[3],
            hash_key=settings.phone_hash_key,
            actor="dpo@example.org",
            journal_paths=journal.journal_paths(settings),
        )
    assert erased.signatures == 1
    live_log, live_signatures = audit_log(db), signatures(db)
    db.dispose()

    # The data disk is lost; the backup disk is left.
    shutil.rmtree(settings.data_dir)
    target = tmp_path / "new-machine" / "data"
    done = restore(made.path, target, erasure_lists=[settings.backup_dir / journal.JOURNAL_NAME])
    assert done.counts_restored == manifest["counts"]
    assert done.erased_again == 1
    assert done.counts_now["counted"] == 39

    restored_settings = load_settings(
        {"DATA_DIR": str(target), "PETITION_CONFIG": str(tmp_path / "none.toml")}, create=False
    )
    assert restored_settings.phone_hash_key == settings.phone_hash_key
    restored = Database(restored_settings.database_url)
    try:
        # The audit log and the signatures are those of the moment of the backup, and the
        # signer erased since is erased again (with its own audit event).
        restored_log = audit_log(restored)
        kept = [e for e in restored_log if e[1] != "restore"]
        assert kept == [e for e in live_log if e[0] <= kept[-1][0]]
        assert [e[2] for e in restored_log if e[1] == "restore"] == ["erased"]
        restored_signatures = signatures(restored)
        for public_id, row in restored_signatures.items():
            assert row == live_signatures[public_id]
        with restored.session() as s:
            gone = s.get_one(Signature, ids[3])
            assert (gone.state, gone.reason, gone.name, gone.caller_hash) == (
                "rejected",
                "erased",
                None,
                None,
            )
            assert gone.recording.storage_path is None
            assert not (target / "recordings" / str(campaign) / "REseed4.wav").exists()
            # Recordings point at their new folder, and are there.
            kept_audio = s.get_one(Signature, ids[0]).recording.storage_path
            assert kept_audio is not None and Path(kept_audio).is_relative_to(target)
            assert Path(kept_audio).is_file()
        # A caller counted before the backup is still recognised: a second call does not count.
        again = sign_up(restored, restored_settings, signers[0], f"Mijn naam is {NAMES[0]}")
        with restored.session() as s:
            assert s.get_one(Signature, again).state == "rejected"
            assert s.get_one(Signature, again).reason == "duplicate"
        # The erased signer is a stranger now: calling again, they count anew.
        anew = sign_up(restored, restored_settings, signers[3], f"Mijn naam is {NAMES[3]}")
        with restored.session() as s:
            assert s.get_one(Signature, anew).state == "counted"
    finally:
        restored.dispose()
    # The erasure list lives on in the restored data, for the next restore.
    assert len(journal.read([target / journal.JOURNAL_NAME])) == 1


def test_the_erasure_list_holds_no_phone_number(
    settings: Settings, db: Database, campaign: int
) -> None:
    sign_up(db, settings, "+32470998877", "Je m'appelle Sophie Dubois")
    with db.session() as s:
        erase_signer(
            s,
            s.get_one(Campaign, campaign),
            "0470 99 88 77",
            hash_key=settings.phone_hash_key,
            actor="dpo",
            journal_paths=journal.journal_paths(settings),
        )
    for path in journal.journal_paths(settings):
        text = path.read_text()
        assert "32470998877" not in text and "0470998877" not in text
        assert set(json.loads(text.splitlines()[0])) == {"campaign", "caller_hash", "erased_at"}
        assert path.stat().st_mode & 0o777 == 0o600
        (entry,) = journal.read([path])
        assert entry.campaign == "glenn" and len(entry.caller_hash) == 64


def test_verify_backup_restores_into_a_temporary_folder_and_matches_the_manifest(
    settings: Settings, db: Database, campaign: int, tmp_path: Path
) -> None:
    for i in range(3):
        sign_up(db, settings, mobile(i, 2), f"Mijn naam is {NAMES[i]}")
    made = make_backup(settings, tmp_path / "b.tar.gz", recordings=False)
    assert not any(name.startswith("recordings/") for name in made.manifest["files"])
    done, problems = verify_backup(made.path)
    assert problems == []
    assert done.counts_restored["counted"] == 3
    # A manifest whose counts disagree with its database is found out.
    with_wrong_count = rewrite(made.path, tmp_path / "w.tar.gz", counts={"counted": 4})
    _, problems = verify_backup(with_wrong_count)
    assert problems == ["counted: 3 restored, the manifest says 4"]


def rewrite(
    archive: Path,
    out: Path,
    *,
    change: dict[str, bytes] | None = None,
    counts: dict[str, int] | None = None,
    revision: str | None = None,
    keep_manifest: bool = False,
) -> Path:
    """Another archive made from `archive`: some files' bytes changed, and the manifest either
    kept as it was (an edited archive) or made again to match (what another program wrote)."""
    files: dict[str, bytes] = {}
    with tarfile.open(archive) as tar:
        for member in tar:
            source = tar.extractfile(member)
            assert source is not None
            files[member.name] = source.read()
    manifest = json.loads(files.pop("manifest.json"))
    files.update(change or {})
    if revision is not None:
        db_file = out.with_suffix(".sqlite3")
        db_file.write_bytes(files["petition.sqlite3"])
        engine = sa.create_engine(f"sqlite:///{db_file}")
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
        engine.dispose()
        files["petition.sqlite3"] = db_file.read_bytes()
        manifest["schema_revision"] = revision
    if not keep_manifest:
        manifest["files"] = {
            name: {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
            for name, body in files.items()
        }
    manifest["counts"].update(counts or {})
    with tarfile.open(out, "w:gz") as tar:
        for name, body in [*files.items(), ("manifest.json", json.dumps(manifest).encode())]:
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return out


@pytest.fixture
def archive(settings: Settings, db: Database, campaign: int, tmp_path: Path) -> Path:
    for i in range(3):
        sign_up(db, settings, mobile(i, 3), f"Mijn naam is {NAMES[i]}")
    return make_backup(settings, tmp_path / "good.tar.gz").path


def test_a_truncated_archive_is_refused(archive: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(DamagedArchive, match="truncated"):
        restore(cut, tmp_path / "r")
    assert not (tmp_path / "r").exists()
    assert not list(tmp_path.glob(".r.restoring*"))


def test_an_edited_recording_is_refused_naming_the_file_that_differs(
    archive: Path, tmp_path: Path
) -> None:
    with tarfile.open(archive) as tar:
        name = next(m.name for m in tar if m.name.startswith("recordings/"))
    edited = rewrite(
        archive, tmp_path / "e.tar.gz", change={name: b"RIFF-other"}, keep_manifest=True
    )
    with pytest.raises(DamagedArchive, match=f"{name} differs from the manifest"):
        verify_backup(edited)
    with pytest.raises(DamagedArchive, match="secrets.json differs"):
        unpack(
            rewrite(
                archive, tmp_path / "s.tar.gz", change={"secrets.json": b"{}"}, keep_manifest=True
            ),
            tmp_path / "x",
        )


def test_an_archive_from_a_newer_schema_is_refused_with_a_clear_message(
    archive: Path, tmp_path: Path
) -> None:
    newer = rewrite(archive, tmp_path / "n.tar.gz", revision="9999_from_the_future")
    with pytest.raises(NewerSchema, match="newer version of petition .*9999_from_the_future"):
        restore(newer, tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_a_restore_never_overwrites_data_and_with_force_moves_it_aside(
    archive: Path, settings: Settings, tmp_path: Path
) -> None:
    with pytest.raises(BackupError, match="holds data already"):
        restore(archive, settings.data_dir)
    (settings.data_dir / "note.txt").write_text("kept")
    done = restore(archive, settings.data_dir, force=True)
    assert done.moved_aside is not None and (done.moved_aside / "note.txt").read_text() == "kept"
    assert (done.moved_aside / "petition.sqlite3").exists()
    assert done.counts_restored["counted"] == 3


def test_an_unwritable_backup_folder_leaves_nothing_and_says_why(
    settings: Settings, db: Database, campaign: int, tmp_path: Path
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    with (
        read_only(folder),
        pytest.raises(BackupError, match="cannot write in the backup folder"),
    ):
        make_backup(settings, folder / "b.tar.gz")
    assert list(folder.iterdir()) == []
    # A backup folder under a file cannot even be made.
    (tmp_path / "file").write_text("")
    with pytest.raises(BackupError, match="cannot make the backup folder"):
        make_backup(settings, tmp_path / "file" / "sub" / "b.tar.gz")


def test_a_full_disk_leaves_no_partial_archive_and_the_next_run_succeeds(
    settings: Settings, db: Database, campaign: int, tmp_path: Path
) -> None:
    for i in range(40):
        sign_up(db, settings, f"+3247500{i:04d}", "Mijn naam is Piet Maes")
    database = Path(settings.database_url.split("///")[1]).stat().st_size
    folder = tmp_path / "small"
    folder.mkdir()
    # Room for the database's copy and its archive, not for 800 KB of recordings.
    with small_disk(folder, kilobytes=database // 1024 + 400):
        with pytest.raises(BackupError, match="No space left|disk is full"):
            make_backup(settings, folder / "b.tar.gz")
        assert list(folder.iterdir()) == []
        # Without the recordings it fits: the next try succeeds.
        made = make_backup(settings, folder / "b.tar.gz", recordings=False)
        assert [p.name for p in folder.iterdir()] == ["b.tar.gz"]
        assert verify_backup(made.path)[1] == []


def test_a_backup_killed_in_the_middle_leaves_nothing_under_its_name_and_the_next_succeeds(
    settings: Settings, db: Database, campaign: int, tmp_path: Path
) -> None:
    # 40 MB of recordings: the archive takes a while to write, long enough to be killed in.
    for i in range(200):
        sign_up(db, settings, f"+3247600{i:04d}", "Mijn naam is Jan Peeters", 200_000)
    out = tmp_path / "out" / "b.tar.gz"
    env = {
        **os.environ,
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "PETITION_CONFIG": str(tmp_path / "none.toml"),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ivr.cli", "backup", "--out", str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Killed once it has started writing the archive.
        while proc.poll() is None and not list(out.parent.glob(".b.tar.gz.*.partial")):
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL, "the backup ended before it could be killed"
    assert not out.exists()
    assert [p for p in out.parent.iterdir() if p.name.endswith(".partial")]
    done = subprocess.run(
        [sys.executable, "-m", "ivr.cli", "backup", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "200 recording(s)" in done.stdout
    # The next run cleared what the killed one left.
    assert [p.name for p in out.parent.iterdir()] == ["b.tar.gz"]


class read_only:
    """`folder` made unwritable, even for root: a read-only file system mounted on it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> None:
        if os.geteuid() != 0:
            self.folder.chmod(0o500)
            return
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(self.folder)],
            capture_output=True,
        )
        if mounted.returncode != 0:
            pytest.skip(f"cannot mount a read-only file system: {mounted.stderr!r}")

    def __exit__(self, *exc: object) -> None:
        if os.geteuid() != 0:
            self.folder.chmod(0o700)
        else:
            subprocess.run(["umount", str(self.folder)], check=True)


class small_disk:
    """A file system of `kilobytes` mounted on `folder`: a disk that fills up."""

    def __init__(self, folder: Path, kilobytes: int) -> None:
        self.folder, self.kilobytes = folder, kilobytes

    def __enter__(self) -> None:
        if os.geteuid() != 0:
            pytest.skip("needs root to mount a small file system")
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={self.kilobytes}k", "tmpfs", str(self.folder)],
            capture_output=True,
        )
        if mounted.returncode != 0:
            pytest.skip(f"cannot mount a small file system: {mounted.stderr!r}")

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["umount", str(self.folder)], check=True)


def test_recordings_past_retention_are_left_out(
    settings: Settings, db: Database, campaign: int, tmp_path: Path
) -> None:
    old = sign_up(db, settings, "+32470111001", "Mijn naam is Jan Peeters")
    sign_up(db, settings, "+32470111002", "Mijn naam is Piet Maes")
    with db.session() as s:
        rec = s.get_one(Signature, old).recording
        rec.created_at = rec.created_at.replace(year=rec.created_at.year - 1)
        old_sid = rec.recording_sid
    made = make_backup(settings, tmp_path / "b.tar.gz")
    names = [n for n in made.manifest["files"] if n.startswith("recordings/")]
    assert len(names) == 1 and old_sid not in names[0]
    done = restore(made.path, tmp_path / "r")
    assert done.recordings_past_retention == 1
    with Database(f"sqlite:///{tmp_path / 'r' / 'petition.sqlite3'}").session() as s:
        rec2 = s.scalar(sa.select(Recording).where(Recording.recording_sid == old_sid))
        assert rec2 is not None and rec2.deleted_at is not None


def cli_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "PETITION_CONFIG": str(tmp_path / "none.toml"),
        "BACKUP_DIR": str(settings.backup_dir),
    }


def test_the_commands_back_up_verify_and_refuse_an_edited_archive_by_name(
    settings: Settings, db: Database, campaign: int, tmp_path: Path
) -> None:
    for i in range(2):
        sign_up(db, settings, mobile(i, 4), f"Mijn naam is {NAMES[i]}")
    env = cli_env(settings, tmp_path)
    runner = CliRunner()
    made = runner.invoke(main, ["backup"], env=env)
    assert made.exit_code == 0, made.output
    (archive,) = settings.backup_dir.glob("petition-*.tar.gz")
    assert f"wrote {archive}" in made.stdout
    assert "2 signature(s) counted, 2 recording(s)" in made.stdout
    checked = runner.invoke(main, ["verify-backup", str(archive)], env=env)
    assert checked.exit_code == 0, checked.output
    assert "restored: campaigns 1, calls 2, recordings 2, signatures 2, counted 2" in checked.stdout
    assert checked.stdout.rstrip().endswith("matches its manifest")
    edited = rewrite(
        archive, tmp_path / "e.tar.gz", change={"secrets.json": b"{}"}, keep_manifest=True
    )
    refused = runner.invoke(main, ["verify-backup", str(edited)], env=env)
    assert refused.exit_code == 1
    assert "secrets.json differs from the manifest" in refused.stderr
    # Erased after the backup: the list is in DATA_DIR and in BACKUP_DIR.
    erased = runner.invoke(
        main, ["erase", "--campaign", "glenn", "--number", mobile(1, 4)], env=env
    )
    assert erased.exit_code == 0, erased.output
    for folder in (settings.data_dir, settings.backup_dir):
        assert len(journal.read([folder / journal.JOURNAL_NAME])) == 1
    shutil.rmtree(settings.data_dir)
    target = tmp_path / "elsewhere"
    restored = runner.invoke(main, ["restore", str(archive), "--data-dir", str(target)], env=env)
    assert restored.exit_code == 0, restored.output
    assert "erased again: 1 signature(s) erased since the backup" in restored.stdout
    assert "now: campaigns 1, calls 2, recordings 2, signatures 2, counted 1" in restored.stdout
    assert f"DATA_DIR={target} petition run" in restored.stdout
    again = runner.invoke(main, ["restore", str(archive), "--data-dir", str(target)], env=env)
    assert again.exit_code == 1 and "--force" in again.stderr


@pytest.mark.postgres
def test_with_postgresql_the_backup_says_to_use_pg_dump_and_keeps_secrets_and_recordings(
    postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    empty_postgres(postgres_url)
    settings = make_settings(tmp_path, postgres_url, redis_url, BACKUP_DIR=str(tmp_path / "disk2"))
    db = Database(postgres_url)
    try:
        campaign = add_campaign(db)
        signers = [mobile(i, 5) for i in range(3)]
        for i, number in enumerate(signers):
            sign_up(db, settings, number, f"Mijn naam is {NAMES[i]}")
        out = tmp_path / "pg.tar.gz"
        result = CliRunner().invoke(
            main, ["backup", "--out", str(out)], env=cli_env(settings, tmp_path)
        )
        assert result.exit_code == 0, result.output
        assert "back it up with pg_dump" in result.stderr
        manifest = read_manifest(out)
        assert manifest["database"] == "postgresql"
        assert "petition.sqlite3" not in manifest["files"]
        assert "secrets.json" in manifest["files"]
        assert sum(n.startswith("recordings/") for n in manifest["files"]) == 3
        assert manifest["counts"]["counted"] == 3
        # Erased after the backup; then the database is lost and pg_restore brings it back
        # as it was at the backup (here: the erased row made as it was again).
        with db.session() as s:
            erase_signer(
                s,
                s.get_one(Campaign, campaign),
                signers[1],
                hash_key=settings.phone_hash_key,
                actor="dpo",
                journal_paths=journal.journal_paths(settings),
            )
        with db.session() as s:
            sig = s.scalars(sa.select(Signature).where(Signature.reason == "erased")).one()
            caller = phones.hash_number(signers[1], settings.phone_hash_key)
            sig.state, sig.reason, sig.name = "counted", None, NAMES[1]
            sig.caller_hash = sig.counted_key = caller
            erased_id = sig.id
    finally:
        db.dispose()
    shutil.rmtree(settings.data_dir)
    done = restore(
        out,
        settings.data_dir,
        erasure_lists=[settings.backup_dir / journal.JOURNAL_NAME],
        database_url=postgres_url,
    )
    assert not done.database_restored
    assert (settings.data_dir / "secrets.json").read_text()
    assert json.loads((settings.data_dir / "secrets.json").read_text())["PHONE_HASH_KEY"] == (
        settings.phone_hash_key
    )
    assert len(list((settings.data_dir / "recordings").rglob("*.wav"))) == 3
    assert len(journal.read([settings.data_dir / journal.JOURNAL_NAME])) == 1
    assert done.erased_again == 1 and done.counts_now["counted"] == 2
    db = Database(postgres_url)
    try:
        with db.session() as s:
            sig = s.get_one(Signature, erased_id)
            assert (sig.state, sig.reason, sig.caller_hash) == ("rejected", "erased", None)
    finally:
        db.dispose()


def test_a_data_folder_that_kept_only_its_backups_is_restored_in_place(
    settings: Settings, db: Database, campaign: int, tmp_path: Path
) -> None:
    """The default BACKUP_DIR lies inside DATA_DIR: when the database and secrets are lost but
    that folder is not, the restore fills DATA_DIR around it and reads its erasure list."""
    here = settings.with_changes(backup_folder=None)
    numbers = [mobile(i, 6) for i in range(3)]
    for i, number in enumerate(numbers):
        sign_up(db, here, number, f"Mijn naam is {NAMES[i]}")
    made = make_backup(here, here.backup_dir / "petition-x.tar.gz")
    with db.session() as s:
        erase_signer(
            s,
            s.get_one(Campaign, campaign),
            numbers[2],
            hash_key=here.phone_hash_key,
            actor="dpo",
            journal_paths=journal.journal_paths(here),
        )
    db.dispose()
    for name in ("petition.sqlite3", "secrets.json", "recordings", "erasures.jsonl"):
        path = here.data_dir / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    done = restore(made.path, here.data_dir, erasure_lists=[here.backup_dir / "erasures.jsonl"])
    assert done.moved_aside is None and made.path.exists()
    assert done.erased_again == 1 and done.counts_now["counted"] == 2
    assert (here.data_dir / "secrets.json").exists()


def test_an_archive_from_an_older_schema_is_brought_up_to_date(
    settings: Settings, tmp_path: Path
) -> None:
    old = Database(settings.database_url)
    with old.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0008")
    old.dispose()
    made = make_backup(settings, tmp_path / "old.tar.gz")
    assert made.manifest["schema_revision"] == "0008" != head_revision()
    done = restore(made.path, tmp_path / "r")
    restored = Database(f"sqlite:///{tmp_path / 'r' / 'petition.sqlite3'}")
    try:
        with restored.session() as s:
            version = s.scalar(sa.text("SELECT version_num FROM alembic_version"))
    finally:
        restored.dispose()
    assert version == head_revision()
    assert done.counts_restored == made.manifest["counts"]


def test_an_erasure_list_that_cannot_be_written_beside_the_backups_is_a_warning(
    tmp_path: Path,
) -> None:
    (tmp_path / "not-a-folder").write_text("")
    data_list = tmp_path / "data" / journal.JOURNAL_NAME
    problems = journal.append(
        [data_list, tmp_path / "not-a-folder" / journal.JOURNAL_NAME], "glenn", "cd" * 32
    )
    assert len(problems) == 1 and "could not be written" in problems[0]
    assert journal.read([data_list])[0].caller_hash == "cd" * 32
    # In DATA_DIR it must be written: no erasure without it.
    with pytest.raises(OSError):
        journal.append([tmp_path / "not-a-folder" / "x" / journal.JOURNAL_NAME], "glenn", "ef")
