"""The export for parliament: PDF, CSV, JSON, recordings and a manifest that verifies them."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import struct
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ivr.cli import main
from petition.config import load_settings
from petition.counting.regions import region_for_postcode
from petition.db import Database
from petition.models import Base, Call, Campaign, CampaignNumber, Recording, Signature
from petition.privacy import phones
from petition.reporting.export import Edition
from petition.reporting.manifest import (
    ExportError,
    RecordingAltered,
    verify_export,
    write_export,
)
from petition.reporting.report import ROWS_PER_PAGE, write_pdf

HASH_KEY = "test-phone-hash-key"
START = datetime(2025, 3, 3, 9, 30, 0)
NOW = datetime(2025, 4, 1, 12, 0, 0)

# Callers with known numbers, so every export can be searched for them.
CALLERS = [
    ("+32470123456", "Françoise Müller-Lüdenscheidt", "1000"),
    ("+32478987654", "Łukasz Wiśniewski", "9000"),
    ("+32495112233", "Jan Peeters", "4700"),
    ("+32486445566", "Jan Peeters", None),
    ("+32472001122", '=HYPERLINK("http://x")', "1300"),
    ("+491701234567", "Anna Schmidt", None),
]


def phone_variants(e164: str) -> list[str]:
    national = e164.removeprefix("+32").removeprefix("+49")
    return [e164, e164[1:], "0" + national, national, phones.mask(e164)]


def wav_bytes(seed: int) -> bytes:
    """A tiny valid WAV file whose samples depend on `seed`."""
    samples = bytes((seed * 7 + i) % 256 for i in range(800))
    header = b"RIFF" + struct.pack("<I", 36 + len(samples)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8)
    return header + fmt + b"data" + struct.pack("<I", len(samples)) + samples


class Petition:
    """A campaign with counted signatures, each with a stored recording."""

    def __init__(self, db: Database, recordings: Path, slug: str = "glenn") -> None:
        self.db = db
        self.recordings = recordings
        self.slug = slug
        self.n = 0
        with db.session() as s:
            c = Campaign(
                slug=slug,
                title="Better online protection of minors",
                numbers=[CampaignNumber(number="+3220000001")],
                opened_at=START - timedelta(days=1),
                created_at=START - timedelta(days=1),
            )
            s.add(c)
            s.flush()
            self.campaign_id = c.id

    def sign(
        self,
        caller: str,
        name: str,
        postcode: str | None = None,
        at: datetime | None = None,
        state: str = "counted",
        name_status: str = "machine",
    ) -> str:
        self.n += 1
        n = self.n
        at = at or START + timedelta(hours=5 * n)
        who = phones.identify(caller, HASH_KEY)
        audio = wav_bytes(n)
        path = self.recordings / str(self.campaign_id) / f"RE{n:032d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(audio)
        public_id = f"S-TEST{n:06d}"
        with self.db.session() as s:
            call = Call(
                call_sid=f"CA{n:032d}",
                campaign_id=self.campaign_id,
                caller_hash=who.hash,
                caller_masked=who.masked,
                caller_withheld=who.withheld,
                caller_country=who.country,
                postcode=postcode,
                started_at=at,
            )
            s.add(call)
            s.flush()
            rec = Recording(
                recording_sid=f"RE{n:032d}",
                call_id=call.id,
                campaign_id=self.campaign_id,
                url=f"https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE{n:032d}",
                status="done",
                storage_path=str(path),
                sha256=hashlib.sha256(audio).hexdigest(),
                size_bytes=len(audio),
                created_at=at,
            )
            s.add(rec)
            s.flush()
            s.add(
                Signature(
                    public_id=public_id,
                    campaign_id=self.campaign_id,
                    call_id=call.id,
                    recording_id=rec.id,
                    state=state,
                    reason="withheld" if state == "needs_review" else None,
                    name=name,
                    name_status=name_status,
                    language="nl",
                    caller_hash=who.hash,
                    caller_masked=who.masked,
                    caller_withheld=who.withheld,
                    caller_country=who.country,
                    postcode=postcode,
                    region=region_for_postcode(postcode).value,
                    counted_key=f"{who.hash}" if state == "counted" else None,
                    signed_at=at,
                    counted_at=at if state == "counted" else None,
                    updated_at=at,
                )
            )
        return public_id

    def sign_callers(self) -> None:
        for caller, name, postcode in CALLERS:
            status = "to_check" if name.startswith("Jan") else "confirmed"
            self.sign(caller, name, postcode, name_status=status)

    def sign_many(self, count: int) -> None:
        for i in range(count):
            self.sign(f"+3247{i:07d}", f"Signer {i + 1:04d}", ("1000", "2000", "5000")[i % 3])

    def campaign(self, s: sa.orm.Session) -> Campaign:
        return s.get_one(Campaign, self.campaign_id)

    def bundle(self, out: Path, **options: object) -> Path:
        with self.db.session() as s:
            return write_export(
                s, self.campaign(s), out, recordings_root=self.recordings, now=NOW, **options
            )

    def pdf(self, edition: Edition | None = None) -> bytes:
        buffer = io.BytesIO()
        with self.db.session() as s:
            write_pdf(s, self.campaign(s), buffer, now=NOW, edition=edition)
        return buffer.getvalue()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'petition.sqlite3'}")
        db.migrate()
    else:
        db = Database(request.getfixturevalue("postgres_url"))
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield db
    db.dispose()


@pytest.fixture
def petition(database: Database, tmp_path: Path) -> Petition:
    return Petition(database, tmp_path / "data" / "recordings")


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "read.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def pdf_pages(text: str) -> list[str]:
    return text.split("\f")[:-1]  # pdftotext ends every page with a form feed


# No phone numbers


def test_no_export_format_contains_a_callers_phone_number(petition: Petition, tmp_path: Path):
    petition.sign_callers()
    out = tmp_path / "export"
    petition.bundle(out)
    texts = {
        "csv": (out / "glenn.csv").read_text(encoding="utf-8"),
        "json": (out / "glenn.json").read_text(encoding="utf-8"),
        "manifest": (out / "manifest.json").read_text(encoding="utf-8"),
        "pdf": pdf_text((out / "glenn.pdf").read_bytes(), tmp_path),
    }
    assert "Łukasz Wiśniewski" in texts["pdf"]
    for caller, _, _ in CALLERS:
        for variant in phone_variants(caller):
            for fmt, text in texts.items():
                assert variant not in text, (fmt, variant)
            assert variant.encode() not in (out / "glenn.pdf").read_bytes()


# CSV and JSON


def test_csv_reads_back_with_the_csv_module(petition: Petition, tmp_path: Path):
    petition.sign_callers()
    petition.bundle(tmp_path / "export")
    with open(tmp_path / "export" / "glenn.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [row["No."] for row in rows] == [str(n) for n in range(1, len(CALLERS) + 1)]
    assert rows[0]["Name"] == "Françoise Müller-Lüdenscheidt"
    assert rows[0]["Region"] == "Brussels-Capital Region"
    # Times in the campaign's time zone, with their offset: 14:30 UTC is 15:30 in Brussels.
    assert rows[0]["Date and time (Europe/Brussels)"] == "2025-03-03T15:30:00+01:00"
    assert rows[2]["Name status"] == "to check"  # waiting for a person
    assert rows[0]["Name status"] == "confirmed by a person"


def test_the_csv_for_parliament_speaks_the_exports_language(petition: Petition, tmp_path: Path):
    petition.sign_callers()
    petition.bundle(tmp_path / "export", edition=Edition(language="fr"))
    with open(tmp_path / "export" / "glenn.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == [
        "N°", "Nom", "Code postal", "Région", "Date et heure (Europe/Brussels)",
        "Identifiant de signature", "Langue de l'appel", "Statut du nom",
    ]  # fmt: skip
    assert rows[0]["Région"] == "Région de Bruxelles-Capitale"
    assert rows[0]["Statut du nom"] == "confirmé par une personne"
    # The JSON stays for machines: codes and UTC, whatever the language.
    document = json.loads((tmp_path / "export" / "glenn.json").read_text(encoding="utf-8"))
    first = document["signatures"][0]
    assert (first["region"], first["signed_at"]) == ("brussels", "2025-03-03T14:30:00Z")


def test_a_name_that_looks_like_a_formula_is_escaped_in_the_csv(petition: Petition, tmp_path):
    petition.sign("+32472001122", '=HYPERLINK("http://x")', "1300")
    petition.bundle(tmp_path / "export")
    with open(tmp_path / "export" / "glenn.csv", encoding="utf-8", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["Name"] == '\'=HYPERLINK("http://x")'


def test_json_lists_the_same_signatures_as_the_csv(petition: Petition, tmp_path: Path):
    petition.sign_callers()
    petition.bundle(tmp_path / "export")
    document = json.loads((tmp_path / "export" / "glenn.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in document["signatures"]] == [name for _, name, _ in CALLERS]


# Same data, same bytes


def test_two_exports_of_the_same_data_are_byte_identical(petition: Petition, tmp_path: Path):
    petition.sign_callers()
    first, second = tmp_path / "one", tmp_path / "two"
    petition.bundle(first)
    petition.bundle(second)
    names = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    again = sorted(p.relative_to(second).as_posix() for p in second.rglob("*") if p.is_file())
    assert names == again
    assert {"glenn.pdf", "glenn.csv", "glenn.json", "manifest.json"} <= set(names)
    assert len([n for n in names if n.startswith("recordings/")]) == len(CALLERS)
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_the_pdf_is_dated_by_its_last_signature_not_by_the_clock(petition: Petition):
    petition.sign_callers()  # the last one at 2025-03-04 15:30 UTC
    pdf = petition.pdf()
    assert b"/CreationDate (D:20250304153000Z)" in pdf
    assert b"/ModDate" not in pdf


@pytest.mark.postgres
def test_sqlite_and_postgresql_give_the_same_pdf(postgres_url: str, tmp_path: Path):
    pdfs = []
    for url in (f"sqlite:///{tmp_path / 'same.sqlite3'}", postgres_url):
        db = Database(url)
        db.migrate()
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        petition = Petition(db, tmp_path / url.split(":")[0])
        petition.sign_callers()
        petition.sign_many(60)
        pdfs.append(petition.pdf())
        db.dispose()
    assert pdfs[0] == pdfs[1]


# The manifest


def test_the_manifest_lists_the_hash_and_size_of_every_file_and_recording(
    petition: Petition, tmp_path: Path
):
    ids = [petition.sign(c, n, p) for c, n, p in CALLERS]
    out = tmp_path / "export"
    manifest = json.loads(petition.bundle(out).read_text(encoding="utf-8"))
    assert set(manifest["files"]) == {"glenn.pdf", "glenn.csv", "glenn.json"}
    for name, entry in manifest["files"].items():
        data = (out / name).read_bytes()
        assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    assert [r["signature_id"] for r in manifest["recordings"]] == ids
    first = manifest["recordings"][0]
    assert first["file"] == f"recordings/{ids[0]}.wav"
    assert first["sha256"] == hashlib.sha256(wav_bytes(1)).hexdigest()
    assert (out / first["file"]).read_bytes() == wav_bytes(1)
    assert manifest["signatures"] == len(CALLERS)


def test_the_manifest_verifies_an_untouched_export(petition: Petition, tmp_path: Path):
    petition.sign_callers()
    petition.bundle(tmp_path / "export")
    assert verify_export(tmp_path / "export") == []


def test_verification_fails_after_one_byte_of_one_recording_changes(
    petition: Petition, tmp_path: Path
):
    ids = [petition.sign(c, n, p) for c, n, p in CALLERS]
    out = tmp_path / "export"
    petition.bundle(out)
    flip_one_byte(out / "recordings" / f"{ids[2]}.wav")
    problems = verify_export(out)
    assert len(problems) == 1
    assert problems[0].startswith(f"changed: recordings/{ids[2]}.wav")


def test_verification_fails_after_one_byte_of_the_csv_changes(petition: Petition, tmp_path):
    petition.sign_callers()
    out = tmp_path / "export"
    petition.bundle(out)
    flip_one_byte(out / "glenn.csv")
    assert [p.split(" (")[0] for p in verify_export(out)] == ["changed: glenn.csv"]


def test_verification_reports_missing_and_extra_files(petition: Petition, tmp_path: Path):
    petition.sign_callers()
    out = tmp_path / "export"
    petition.bundle(out)
    (out / "glenn.json").unlink()
    (out / "notes.txt").write_text("added later")
    assert verify_export(out) == ["missing: glenn.json", "extra file: notes.txt"]


def test_verification_of_a_folder_without_manifest_fails(tmp_path: Path):
    assert verify_export(tmp_path) == ["manifest.json is missing"]


def test_export_without_audio_still_lists_each_recordings_hash(petition: Petition, tmp_path):
    petition.sign_callers()
    out = tmp_path / "export"
    manifest = json.loads(petition.bundle(out, include_recordings=False).read_text())
    assert not (out / "recordings").exists()
    assert {r["status"] for r in manifest["recordings"]} == {"not_bundled"}
    assert manifest["recordings"][0]["sha256"] == hashlib.sha256(wav_bytes(1)).hexdigest()
    assert verify_export(out) == []


def test_a_recording_deleted_after_retention_is_listed_without_a_file(
    petition: Petition, tmp_path: Path
):
    petition.sign_callers()
    with petition.db.session() as s:
        rec = s.scalars(sa.select(Recording).order_by(Recording.id)).first()
        assert rec is not None and rec.storage_path
        Path(rec.storage_path).unlink()
        rec.deleted_at = NOW
    manifest = json.loads(petition.bundle(tmp_path / "export").read_text())
    assert manifest["recordings"][0]["status"] == "deleted"
    assert manifest["recordings"][0]["file"] is None
    assert manifest["recordings_summary"]["deleted"] == 1
    assert verify_export(tmp_path / "export") == []


def test_a_recording_altered_since_download_stops_the_export(petition: Petition, tmp_path):
    petition.sign_callers()
    with petition.db.session() as s:
        rec = s.scalars(sa.select(Recording).order_by(Recording.id)).first()
        assert rec is not None and rec.storage_path
        flip_one_byte(Path(rec.storage_path))
    with pytest.raises(RecordingAltered, match="S-TEST000001"):
        petition.bundle(tmp_path / "export")
    assert not any((tmp_path / "export").iterdir())  # no half export is left behind


def test_a_recording_outside_the_recordings_folder_is_not_read(petition: Petition, tmp_path):
    petition.sign_callers()
    secret = tmp_path / "elsewhere.wav"
    secret.write_bytes(wav_bytes(99))
    with petition.db.session() as s:
        rec = s.scalars(sa.select(Recording).order_by(Recording.id)).first()
        assert rec is not None
        rec.storage_path = str(secret)
    manifest = json.loads(petition.bundle(tmp_path / "export").read_text())
    assert manifest["recordings"][0]["status"] == "missing"
    assert manifest["recordings_summary"]["missing"] == 1


def test_exporting_again_into_the_same_folder_replaces_the_earlier_export(
    petition: Petition, tmp_path: Path
):
    petition.sign_callers()
    out = tmp_path / "export"
    petition.bundle(out)
    petition.sign("+32470555555", "Sophie Dubois", "1050")
    manifest = json.loads(petition.bundle(out).read_text())
    assert manifest["signatures"] == len(CALLERS) + 1
    assert verify_export(out) == []


def test_export_refuses_a_folder_that_holds_other_files(petition: Petition, tmp_path: Path):
    petition.sign_callers()
    out = tmp_path / "export"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    with pytest.raises(ExportError, match="thesis.docx"):
        petition.bundle(out)
    assert (out / "thesis.docx").read_text() == "precious"


def test_export_reports_progress_up_to_the_whole(petition: Petition, tmp_path: Path):
    petition.sign_callers()
    seen: list[tuple[int, int]] = []
    petition.bundle(tmp_path / "export", progress_cb=lambda done, total: seen.append((done, total)))
    total = len(CALLERS) * 4  # three files and the recordings
    assert seen[-1] == (total, total)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


# The PDF


def test_the_pdf_has_the_cover_the_chart_and_every_row(petition: Petition, tmp_path: Path):
    petition.sign_callers()
    petition.sign_many(120)
    petition.sign("+32470999999", "Withheld Person", state="needs_review")
    text = pdf_text(petition.pdf(), tmp_path)
    pages = pdf_pages(text)
    counted = len(CALLERS) + 120
    list_pages = -(-counted // ROWS_PER_PAGE)
    assert len(pages) == 2 + list_pages
    cover, chart = pages[0], pages[1]
    assert "Better online protection of minors" in cover
    assert f"{counted}" in cover
    assert "Period (Europe/Brussels)" in cover
    assert "3 March 2025" in cover  # the period starts with the first signature
    assert "Totals by region" in cover
    assert "Flemish Region" in cover and "14,500" in cover
    assert "How the signatures were collected and checked" in cover
    assert "evidence of support" in cover and "e-ID or itsme" in cover
    assert "1 call awaiting a person's decision" in cover
    assert "Signatures per day" in chart
    listed = "\n".join(pages[2:])
    for n in range(1, counted + 1):
        assert f"S-TEST{n:06d}" in listed
    assert "Withheld Person" not in text
    assert "Françoise Müller-Lüdenscheidt" in listed
    assert "Jan Peeters *" in listed  # flagged for a name check
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    for page in pages[2:]:
        assert "Date and time" in page  # the heading repeats on every page
        assert "Times in Europe/Brussels. ☎ confirmed by the caller" in page
        assert "unmarked: confirmed by staff." in page  # the headline fits the page


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", ["Getelde telefonische handtekeningen", "3 maart 2025", "Vlaams Gewest", "14.500",
                "Belgische Kamer van volksvertegenwoordigers", "16+ en gedomicilieerd in België",
                "Gemaakt door Child Focus (info@childfocus.be).",
                "Geëxporteerd door ann@example.org"]),
        ("fr", ["Signatures par téléphone comptées", "3 mars 2025", "Région flamande", "14 500",
                "Chambre des représentants de Belgique", "domicilié en Belgique",
                "Réalisé par Child Focus (info@childfocus.be).", "Exporté par ann@example.org"]),
        ("de", ["Gezählte telefonische Unterschriften", "3. März 2025", "Flämische Region",
                "14.500", "Belgische Abgeordnetenkammer", "mit Wohnsitz in Belgien",
                "Erstellt von Child Focus", "Exportiert von ann@example.org"]),
    ],
)  # fmt: skip
def test_the_pdf_speaks_the_language_asked_for_and_says_who_made_it(
    petition: Petition, tmp_path: Path, language: str, words: list[str]
) -> None:
    petition.sign_callers()
    with petition.db.session() as s:
        campaign = petition.campaign(s)
        campaign.organisation_name = "Child Focus"
        campaign.organisation_contact = "info@childfocus.be"
    edition = Edition(language=language, exported_by="ann@example.org", exported_on=NOW.date())
    buffer = io.BytesIO()
    with petition.db.session() as s:
        write_pdf(s, petition.campaign(s), buffer, now=NOW, edition=edition)
    pages = pdf_pages(pdf_text(buffer.getvalue(), tmp_path))
    cover = " ".join(pages[0].split())  # the layout breaks lines anywhere
    for word in words:
        assert word in cover, word
    assert "Counted voice signatures" not in cover and "Flemish Region" not in cover
    # The list: times in Brussels (the first signature, 14:30 UTC, was at 15:30 there).
    assert "2025-03-03 15:30:00" in pages[2]


def test_the_pdf_of_a_campaign_without_signatures_says_so(petition: Petition, tmp_path: Path):
    text = pdf_text(petition.pdf(), tmp_path)
    assert "no counted" in text and "No counted signatures yet." in text
    assert len(pdf_pages(text)) == 3


def test_a_very_long_name_is_shortened_to_fit_its_column(petition: Petition, tmp_path: Path):
    petition.sign("+32470123456", "Maximiliaan " * 12, "2000")
    text = pdf_text(petition.pdf(), tmp_path)
    (row,) = [line for line in text.splitlines() if "S-TEST000001" in line]
    assert "Maximiliaan Maximiliaan Maximilia" in row
    assert "… " in row and "Maximiliaan " * 4 not in row
    assert "2000" in row  # the postcode beside it is not overwritten


# The command line


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    data = tmp_path / "data"
    return {
        "DATA_DIR": str(data),
        "DATABASE_URL": f"sqlite:///{data / 'petition.sqlite3'}",
        "PHONE_HASH_KEY": HASH_KEY,
    }


@pytest.fixture
def cli_petition(cli_env: dict[str, str]) -> Iterator[Petition]:
    load_settings(cli_env)  # the data folder and its secrets, as `petition run` leaves them
    db = Database(cli_env["DATABASE_URL"])
    db.migrate()
    petition = Petition(db, Path(cli_env["DATA_DIR"]) / "recordings")
    petition.sign_callers()
    yield petition
    db.dispose()


@pytest.mark.parametrize("fmt", ["csv", "json", "pdf"])
def test_cli_exports_one_file_in_each_format(cli_petition, cli_env, tmp_path: Path, fmt: str):
    out = tmp_path / f"petition.{fmt}"
    options = ["--language", "en", "--exported-by", "ann@example.org"]
    result = CliRunner().invoke(
        main,
        ["export", "--campaign", "glenn", "--format", fmt, "--out", str(out), *options],
        env=cli_env,
    )
    assert result.exit_code == 0, result.output
    assert f"{len(CALLERS)} signatures written to {out}" in result.output
    assert out.stat().st_size > 0
    assert not out.with_name(out.name + ".part").exists()
    if fmt == "pdf":
        assert out.read_bytes().startswith(b"%PDF")
        today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Brussels")).date()
        edition = Edition(language="en", exported_by="ann@example.org", exported_on=today)
        # The same bytes as from the library, for the same data and the same edition.
        assert out.read_bytes() == cli_petition.pdf(edition)


def test_cli_bundle_then_verify_prints_ok(cli_petition, cli_env, tmp_path: Path):
    out = tmp_path / "for-parliament"
    runner = CliRunner()
    result = runner.invoke(
        main, ["export", "--campaign", "glenn", "--bundle", str(out)], env=cli_env
    )
    assert result.exit_code == 0, result.output
    manifest_hash = hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest()
    assert f"manifest.json SHA-256: {manifest_hash}" in result.output
    assert len(list((out / "recordings").iterdir())) == len(CALLERS)
    verified = runner.invoke(main, ["verify", str(out)])
    assert verified.exit_code == 0, verified.output
    assert verified.output.strip() == "OK"


def test_cli_verify_names_each_problem_and_exits_non_zero(cli_petition, cli_env, tmp_path):
    out = tmp_path / "for-parliament"
    runner = CliRunner()
    runner.invoke(main, ["export", "--campaign", "glenn", "--bundle", str(out)], env=cli_env)
    flip_one_byte(out / "glenn.pdf")
    shutil.copy(out / "glenn.csv", out / "copy.csv")
    result = runner.invoke(main, ["verify", str(out)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("changed: glenn.pdf")
    assert lines[1] == "extra file: copy.csv"


def test_cli_export_needs_a_format_and_a_file_or_a_bundle(cli_petition, cli_env):
    result = CliRunner().invoke(main, ["export", "--campaign", "glenn"], env=cli_env)
    assert result.exit_code == 2
    assert "--bundle" in result.output


def flip_one_byte(path: Path, offset: int = 60) -> None:
    data = bytearray(path.read_bytes())
    data[min(offset, len(data) - 1)] ^= 0x01
    path.write_bytes(bytes(data))
