"""The `petition` command line, run through click's test runner against a real database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from ivr.cli import main
from petition.db import Database
from petition.models import ApiToken, Campaign
from petition.users import hash_token

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
        db.engine.dispose()


@pytest.fixture
def run(tmp_path: Path, database_url: str) -> Invoke:
    env = {"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": database_url, "RETENTION_DAYS": "30"}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env)

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


def test_campaign_create_refuses_bad_input_with_a_clear_message(run: Invoke) -> None:
    assert run("campaign", "create", "--slug", "a", "--number", "+3220000001").exit_code == 0
    again = run("campaign", "create", "--slug", "a", "--number", "+3220000002")
    assert again.exit_code != 0 and "exists already" in again.output
    taken = run("campaign", "create", "--slug", "b", "--number", "+3220000001")
    assert taken.exit_code != 0 and "already in use" in taken.output
    bad = run("campaign", "create", "--slug", "c", "--number", "hello")
    assert bad.exit_code != 0 and "not a phone number" in bad.output
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
