"""Fixtures of the carrier tests: the REST API's stand-in, and settings that point at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from petition.config import Settings
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, make_settings
from tests.ivr import twilio_standin
from tests.ivr.twilio_standin import StandIn


@pytest.fixture
def standin() -> Iterator[StandIn]:
    state, server = twilio_standin.start(ACCOUNT_SID, AUTH_TOKEN)
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def carrier_settings(
    tmp_path: Path, database_url: str, redis_url: str, standin: StandIn
) -> Settings:
    """The test settings, with the carrier's API at the stand-in (and a short timeout)."""
    return make_settings(
        tmp_path, database_url, redis_url, TWILIO_API_BASE=standin.url, TWILIO_API_TIMEOUT="0.5"
    )
