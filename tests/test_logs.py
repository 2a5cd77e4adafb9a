"""Log lines: JSON with their context, and nothing that names a caller."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa

from petition import logs
from petition.db import Database
from petition.models import Campaign


@pytest.mark.parametrize(
    "written",
    ["+32470123456", "32470123456", "0470123456", "0470 12 34 56", "+32 470 12 34 56"],
)
def test_anything_shaped_like_a_phone_number_is_scrubbed(written: str) -> None:
    assert logs.scrub(f"caller {written} rang") == "caller [number] rang"


@pytest.mark.parametrize(
    "kept",
    [
        "Listening at: http://10.239.55.2:8000 (3877)",
        "2026-11-30 20:57:31,697",
        "job recordings-3fa9c0d1e2b4-RE0123456789abcdef0123456789abcdef",
        "took 0:00:02.279883s",
    ],
)
def test_addresses_times_and_sids_are_left_alone(kept: str) -> None:
    assert logs.scrub(kept) == kept


def test_a_json_line_carries_its_context_and_extra_fields() -> None:
    record = logging.LogRecord("ivr.access", logging.INFO, __file__, 1, "POST %s", ("/x",), None)
    record.status = 200
    with logs.context(request_id="r-0123456789", recording_sid="RE42"):
        logs.ContextFilter().filter(record)
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["message"] == "POST /x" and line["level"] == "info" and line["status"] == 200
    assert line["request_id"] == "r-0123456789" and line["recording_sid"] == "RE42"
    after = logging.LogRecord("x", logging.INFO, __file__, 1, "later", (), None)
    logs.ContextFilter().filter(after)
    assert after.context == {}  # type: ignore[attr-defined]


def test_database_errors_do_not_carry_the_values_of_the_statement(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    db.migrate()
    with db.session() as s:
        s.add(Campaign(slug="glenn", title="Sophie Dubois"))
    with pytest.raises(sa.exc.IntegrityError) as raised, db.session() as s:
        s.add(Campaign(slug="glenn", title="Sophie Dubois"))
    assert "Sophie" not in str(raised.value)
    db.dispose()
