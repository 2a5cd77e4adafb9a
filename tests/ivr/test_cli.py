"""The `petition` command line, run through click's test runner against a real database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from ivr.cli import main, whisper_threads
from petition.db import Database
from petition.models import ApiToken, AuditEvent, Campaign
from petition.operations.users import hash_token

Invoke = Callable[..., Result]
Opener = Callable[[str], Database]


@pytest.fixture
def opened() -> Iterator[Opener]:
    """Open databases to look into; closed after the test."""
    dbs: list[Database] = []

    def open_db(url: str) -> Database:
        dbs.append(Database(url))
        return dbs[-1]

    yield open_db
    for db in dbs:
        db.dispose()


@pytest.fixture
def run(tmp_path: Path, database_url: str) -> Invoke:
    """The command line on data that exists, as after a first `petition run`."""
    env = {"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": database_url, "RETENTION_DAYS": "30"}

    def invoke(*args: str, input: str | None = None) -> Result:  # noqa: A002 (click's name)
        return CliRunner().invoke(main, list(args), env=env, input=input)

    assert invoke("migrate").exit_code == 0
    return invoke


def test_campaign_create_normalises_the_number_and_takes_retention_from_the_environment(
    run: Invoke, database_url: str, opened: Opener
) -> None:
    result = run("campaign", "create", "--slug", "glenn", "--number", "02 000 00 01",
                 "--languages", "nl,fr", "--rule", "flemish-parliament")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "+3220000001" in result.output
    with opened(database_url).session() as s:
        c = s.scalar(sa.select(Campaign).where(Campaign.slug == "glenn"))
        assert c is not None
        assert (c.languages, c.rule_key, c.retention_days) == ("nl,fr", "flemish-parliament", 30)
        assert [n.number for n in c.numbers] == ["+3220000001"]
        assert not c.ask_postcode  # the Flemish Parliament counts no regions
        created = s.scalar(sa.select(AuditEvent).where(AuditEvent.campaign_id == c.id))
        assert created is not None and created.action == "campaign_created"


def test_a_rule_with_regional_minimums_asks_for_the_postcode_unless_told_not_to(
    run: Invoke, database_url: str, opened: Opener
) -> None:
    assert (
        "asks for a postcode"
        in run(
            "campaign", "create", "--slug", "a", "--number", "+3220000001", "--rule", "be-chamber"
        ).output
    )
    run("campaign", "create", "--slug", "b", "--number", "+3220000002", "--no-ask-postcode")
    with opened(database_url).session() as s:
        asks = dict(s.execute(sa.select(Campaign.slug, Campaign.ask_postcode)).all())
    assert asks == {"a": True, "b": False}


def test_campaign_create_refuses_bad_input_with_a_clear_message(run: Invoke) -> None:
    assert run("campaign", "create", "--slug", "a", "--number", "+3220000001").exit_code == 0
    again = run("campaign", "create", "--slug", "a", "--number", "+3220000002")
    assert again.exit_code != 0 and "Another campaign has this short name" in again.output
    taken = run("campaign", "create", "--slug", "b", "--number", "+3220000001")
    assert taken.exit_code != 0 and "Another campaign answers on +3220000001" in taken.output
    bad = run("campaign", "create", "--slug", "c", "--number", "hello")
    assert bad.exit_code != 0 and "Not a phone number: hello" in bad.output
    lang = run("campaign", "create", "--slug", "d", "--number", "+3220000003", "--languages", "xx")
    assert lang.exit_code != 0 and "languages" in lang.output
    custom = run("campaign", "create", "--slug", "e", "--number", "+3220000004", "--rule", "custom")
    assert custom.exit_code != 0


def test_token_create_prints_a_token_whose_hash_alone_is_stored(
    run: Invoke, database_url: str, opened: Opener
) -> None:
    result = run("token", "create", "--role", "viewer")
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    with opened(database_url).session() as s:
        row = s.scalar(sa.select(ApiToken))
        assert row is not None and row.role == "viewer"
        assert row.token_hash == hash_token(token) and token not in row.token_hash


def test_closing_a_campaign(run: Invoke, database_url: str, opened: Opener) -> None:
    run("campaign", "create", "--slug", "glenn", "--number", "+3220000001")
    assert run("campaign", "close", "glenn").exit_code == 0
    with opened(database_url).session() as s:
        c = s.scalar(sa.select(Campaign))
        assert c is not None and not c.is_open and c.closed_at is not None
    assert "closed" in run("campaign", "list").output


# --- one place for the data ---------------------------------------------------------------------


@pytest.fixture
def nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No DATA_DIR or DATABASE_URL in the environment, and a configuration folder of our own."""
    for name in ("DATA_DIR", "DATABASE_URL", "PETITION_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path


def in_folder(monkeypatch: pytest.MonkeyPatch, folder: Path, *args: str, **kwargs: str) -> Result:
    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(folder)
    return CliRunner().invoke(main, list(args), **kwargs)  # type: ignore[arg-type]


def test_export_from_another_folder_finds_the_data_the_first_run_recorded(
    nowhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, elsewhere = nowhere / "project", nowhere / "elsewhere"
    set_up = in_folder(monkeypatch, project, "migrate")
    assert set_up.exit_code == 0, set_up.output
    config = nowhere / "config" / "petition" / "config.toml"
    assert f"recorded in {config}" in set_up.output
    assert str(project / "data") in config.read_text()
    created = in_folder(monkeypatch, project, "campaign", "create", "--slug", "glenn",
                        "--number", "+3220000001")  # fmt: skip
    assert created.exit_code == 0, created.output

    out = elsewhere / "glenn.csv"
    exported = in_folder(monkeypatch, elsewhere, "export", "--campaign", "glenn",
                         "--format", "csv", "--out", str(out), "--language", "nl")  # fmt: skip
    assert exported.exit_code == 0, exported.output
    assert out.read_text(encoding="utf-8").startswith("Nr.,Naam,Postcode,Gewest,")
    assert not (elsewhere / "data").exists()


def test_commands_that_expect_data_create_none_and_say_where_they_looked(
    nowhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = nowhere / "empty"
    commands = [
        ("export", "--campaign", "glenn", "--format", "csv", "--out", "x.csv"),
        ("user", "add", "eva@example.org", "--role", "admin", "--password-stdin"),
        ("token", "create"),
        ("erase", "--campaign", "glenn", "--number", "+32470000001"),
        ("campaign", "create", "--slug", "glenn", "--number", "+3220000001"),
    ]
    for command in commands:
        result = in_folder(monkeypatch, empty, *command, input="a long password\n")
        assert result.exit_code == 1, (command, result.output)
        assert "No petition data" in result.output, command
        assert f"data folder {empty / 'data'}" in result.output, command
        assert "`petition run`" in result.output, command
        assert list(empty.iterdir()) == [], command  # no data folder, no database, no key
    assert not (nowhere / "config").exists()


def test_a_database_without_the_petition_schema_is_not_filled_by_an_export(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    env = {"DATA_DIR": str(data), "DATABASE_URL": f"sqlite:///{data / 'other.sqlite3'}"}
    CliRunner().invoke(main, ["migrate"], env={**env, "DATABASE_URL": ""})  # data, secrets
    (data / "other.sqlite3").touch()  # some other, empty database
    result = CliRunner().invoke(
        main, ["export", "--campaign", "glenn", "--format", "csv", "--out", "x.csv"], env=env
    )
    assert result.exit_code == 1
    assert "The database holds no petition data" in result.output
    with sqlite3.connect(data / "other.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


def test_commands_print_no_alembic_lines(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "ivr.cli", "migrate"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    said = done.stdout + done.stderr
    assert "alembic.runtime" not in said and "Context impl" not in said and "INFO" not in said
    assert "database is up to date" in done.stdout


def test_user_add_explains_its_password_and_refuses_a_short_one_before_the_second_prompt(
    run: Invoke,
) -> None:
    help_text = run("user", "add", "--help").output
    assert "--password-stdin" in help_text and "at least 10 characters" in help_text
    result = run("user", "add", "ann@example.org", "--role", "admin")  # no input at all
    assert result.exit_code != 0
    typed = run(
        "user", "add", "ann@example.org", "--role", "admin",
        input="short\nlong enough now\nlong enough now\n",
    )  # fmt: skip
    assert typed.exit_code == 0, typed.output
    prompts = typed.output.splitlines()
    assert prompts[0].startswith("Password (at least 10 characters):")
    assert "the password needs at least 10 characters" in prompts[1]
    assert "Repeat for confirmation" in typed.output
    assert typed.output.index("needs at least") < typed.output.index("Repeat for confirmation")


def test_workers_started_together_share_the_cores_between_their_whisper() -> None:
    assert whisper_threads(1, 2) == 0  # a lone worker: CTranslate2 takes every core
    assert whisper_threads(2, 2) == 1
    assert whisper_threads(2, 8) == 4
    assert whisper_threads(4, 2) == 1  # never none


def test_campaign_create_and_edit_set_and_remove_the_helpline(
    run: Invoke, database_url: str, opened: Opener
) -> None:
    made = run(
        "campaign", "create", "--slug", "help", "--number", "+3225550199", "--helpline", "116 000"
    )
    assert made.exit_code == 0, made.output
    bad = run("campaign", "edit", "help", "--helpline", "12")
    assert bad.exit_code != 0 and "helpline" in bad.output
    off = run("campaign", "edit", "help", "--no-offer-helpline")
    assert "offer-helpline off" in off.output
    db = opened(database_url)
    with db.session() as s:
        c = s.scalar(sa.select(Campaign).where(Campaign.slug == "help"))
        assert c is not None and (c.helpline, c.offer_helpline) == ("+32116000", False)
    gone = run("campaign", "edit", "help", "--helpline", "")
    assert gone.exit_code == 0 and "helpline none" in gone.output, gone.output
    with db.session() as s:
        c = s.scalar(sa.select(Campaign).where(Campaign.slug == "help"))
        assert c is not None and (c.helpline, c.offer_helpline) == (None, False)
