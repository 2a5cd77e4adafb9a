"""Connecting the campaign's number at the carrier, and putting it back: the real `twilio`
client against a stand-in of the REST API on loopback (tests/ivr/twilio_standin.py)."""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from ivr.carrier import connection
from ivr.carrier.rest import Carrier
from ivr.cli import main
from petition.config import Settings
from petition.db import Database
from petition.models import AuditEvent, CampaignNumber
from tests.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CAMPAIGN_NUMBER,
    PUBLIC_BASE_URL,
    add_campaign,
    make_settings,
)
from tests.ivr.twilio_standin import StandIn

Invoke = Callable[..., Result]
DEMO = "https://demo.twilio.com/welcome/voice/"
OTHER_SERVICE = "https://calls.other-ngo.example.net/voice"
OURS = {
    "VoiceUrl": PUBLIC_BASE_URL + "/ivr/voice",
    "VoiceMethod": "POST",
    "StatusCallback": PUBLIC_BASE_URL + "/ivr/status",
    "StatusCallbackMethod": "POST",
}


@pytest.fixture
def cli(carrier_settings: Settings, db: Database, campaign: int) -> Invoke:
    env = {
        "DATA_DIR": str(carrier_settings.data_dir),
        "DATABASE_URL": carrier_settings.database_url,
        "REDIS_URL": carrier_settings.redis_url or "",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TWILIO_API_BASE": carrier_settings.twilio_api_base,
        "TWILIO_API_TIMEOUT": "0.5",
    }

    def invoke(*args: str, **more: str) -> Result:
        return CliRunner().invoke(main, list(args), env={**env, **more})

    return invoke


def audit_actions(db: Database) -> list[tuple[str, str | None]]:
    with db.session() as s:
        return [
            (e.action, e.note)
            for e in s.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))
            if e.action.startswith("number_")
        ]


def connected_row(db: Database, number: str = CAMPAIGN_NUMBER) -> CampaignNumber:
    with db.session() as s:
        row = s.scalar(sa.select(CampaignNumber).where(CampaignNumber.number == number))
        assert row is not None
        s.expunge(row)
        return row


def test_connect_points_the_number_here_and_disconnect_puts_back_what_was_there(
    cli: Invoke, standin: StandIn, db: Database
) -> None:
    sid = standin.add_number(CAMPAIGN_NUMBER, DEMO, status_callback="https://old.example/cb")
    standin.add_number("+3220000002", "")

    result = cli("number", "connect", "--campaign", "glenn")

    assert result.exit_code == 0, result.output
    (update,) = standin.writes()
    assert update.path.endswith(f"/IncomingPhoneNumbers/{sid}.json")
    assert update.form == OURS
    expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert update.authorization == f"Basic {expected}"
    assert standin.numbers[sid]["voice_url"] == OURS["VoiceUrl"]
    assert f"Before: voice URL {DEMO} (POST)" in result.output
    row = connected_row(db)
    assert row.carrier_sid == sid
    assert row.previous == {
        "voice_url": DEMO,
        "voice_method": "POST",
        "status_callback": "https://old.example/cb",
        "status_callback_method": "POST",
    }

    result = cli("number", "disconnect", "--campaign", "glenn")

    assert result.exit_code == 0, result.output
    assert standin.writes()[-1].form == {
        "VoiceUrl": DEMO,
        "VoiceMethod": "POST",
        "StatusCallback": "https://old.example/cb",
        "StatusCallbackMethod": "POST",
    }
    assert standin.numbers[sid]["voice_url"] == DEMO
    assert connected_row(db).carrier_sid is None
    assert audit_actions(db) == [
        ("number_connected", CAMPAIGN_NUMBER),
        ("number_disconnected", CAMPAIGN_NUMBER),
    ]


def test_connecting_again_changes_nothing_at_the_carrier(
    cli: Invoke, standin: StandIn, db: Database
) -> None:
    standin.add_number(CAMPAIGN_NUMBER, DEMO)
    assert cli("number", "connect", "--campaign", "glenn").exit_code == 0

    again = cli("number", "connect", "--campaign", "glenn")

    assert again.exit_code == 0
    assert "already sends its calls here" in again.output
    assert len(standin.writes()) == 1
    assert audit_actions(db) == [("number_connected", CAMPAIGN_NUMBER)]


def test_two_connects_at_once_configure_the_number_once(
    carrier_settings: Settings, db: Database, campaign: int, standin: StandIn
) -> None:
    standin.add_number(CAMPAIGN_NUMBER, DEMO)
    standin.update_seconds = 0.3  # the first update is still under way when the second asks
    lock = __import__("redis").Redis.from_url(carrier_settings.redis_url)
    results: list[object] = []

    def click() -> None:
        results.append(
            connection.connect(
                db, Carrier(carrier_settings), carrier_settings, "glenn", actor="a@x", lock=lock
            )
        )

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(standin.writes()) == 1
    assert sorted(r.changed for r in results) == [False, True]  # type: ignore[attr-defined]
    assert audit_actions(db) == [("number_connected", CAMPAIGN_NUMBER)]


def test_a_number_of_another_service_is_never_taken_over_silently(
    cli: Invoke, standin: StandIn, db: Database
) -> None:
    sid = standin.add_number(CAMPAIGN_NUMBER, OTHER_SERVICE, voice_method="GET")

    refused = cli("number", "connect", "--campaign", "glenn")

    assert refused.exit_code != 0
    assert OTHER_SERVICE in refused.output and "Nothing was changed" in refused.output
    assert standin.writes() == []
    assert connected_row(db).carrier_sid is None

    taken = cli("number", "connect", "--campaign", "glenn", "--replace")
    assert taken.exit_code == 0, taken.output
    assert standin.numbers[sid]["voice_url"] == OURS["VoiceUrl"]

    assert cli("number", "disconnect", "--campaign", "glenn").exit_code == 0
    assert standin.numbers[sid]["voice_url"] == OTHER_SERVICE
    assert standin.numbers[sid]["voice_method"] == "GET"


def test_a_number_another_campaign_has_is_refused(
    cli: Invoke, standin: StandIn, db: Database
) -> None:
    add_campaign(db, "other", "+3220000002")
    standin.add_number("+3220000002", DEMO)

    result = cli("number", "connect", "--campaign", "glenn", "--number", "+3220000002")

    assert result.exit_code != 0
    assert "belongs to the campaign other" in result.output
    assert standin.writes() == []


def test_a_number_not_in_the_account_is_named_with_the_accounts_numbers(
    cli: Invoke, standin: StandIn
) -> None:
    standin.add_number("+3220000002", DEMO)

    result = cli("number", "connect", "--campaign", "glenn", "--number", "+32 2 000 00 99")

    assert result.exit_code != 0
    assert "+3220000099 is not a number of this account" in result.output
    assert "+3220000002" in result.output
    assert standin.writes() == []


def test_wrong_credentials_say_so_and_change_nothing(cli: Invoke, standin: StandIn) -> None:
    standin.add_number(CAMPAIGN_NUMBER, DEMO)

    result = cli("number", "connect", "--campaign", "glenn", TWILIO_AUTH_TOKEN="wrong-token")

    assert result.exit_code != 0
    assert "refused the account's credentials" in result.output
    assert standin.writes() == []


@pytest.mark.parametrize(
    ("failure", "says"),
    [
        (429, "limiting requests (429)"),
        (500, "failing (500)"),
        (503, "failing (503)"),
        ("hang", "did not answer in time"),
    ],
)
def test_a_failed_update_leaves_the_number_as_it_was_and_says_so(
    cli: Invoke, standin: StandIn, db: Database, failure: int | str, says: str
) -> None:
    sid = standin.add_number(CAMPAIGN_NUMBER, DEMO)
    standin.hang_seconds = 1.5
    standin.fail(failure, path=r"^POST .*/IncomingPhoneNumbers/PN")

    result = cli("number", "connect", "--campaign", "glenn")

    assert result.exit_code != 0
    assert says in result.output
    assert f"{CAMPAIGN_NUMBER} was left as it was" in result.output
    assert standin.numbers[sid]["voice_url"] == DEMO
    assert connected_row(db).carrier_sid is None
    assert audit_actions(db) == []


def test_an_update_whose_answer_was_lost_is_found_done(
    cli: Invoke, standin: StandIn, db: Database
) -> None:
    """The carrier applied the update but its answer never came: the check after says so."""
    sid = standin.add_number(CAMPAIGN_NUMBER, OURS["VoiceUrl"], status_callback="")
    standin.numbers[sid]["status_callback"] = OURS["StatusCallback"]
    standin.numbers[sid]["voice_method"] = "GET"  # differs: an update is needed
    standin.fail(502, path=r"^POST .*/IncomingPhoneNumbers/PN")

    result = cli("number", "connect", "--campaign", "glenn")

    assert result.exit_code != 0  # it did not change: the 502 was real
    assert "was left as it was" in result.output


def test_the_carrier_unreachable_is_a_clear_message(cli: Invoke) -> None:
    result = cli("number", "connect", "--campaign", "glenn", TWILIO_API_BASE="http://127.0.0.1:9")

    assert result.exit_code != 0
    assert "cannot be reached" in result.output and "TWILIO_API_BASE" in result.output


def test_credentials_are_never_shown_nor_logged(
    cli: Invoke, standin: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    standin.add_number(CAMPAIGN_NUMBER, DEMO)
    outputs = [
        cli("-v", "number", "connect", "--campaign", "glenn").output,
        cli(
            "-v", "number", "connect", "--campaign", "glenn", TWILIO_AUTH_TOKEN="wrong-one-9876"
        ).output,
        cli("-v", "preflight", "--campaign", "glenn").output,
        cli("-v", "number", "disconnect", "--campaign", "glenn").output,
    ]
    secret_b64 = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    for text in [*outputs, caplog.text]:
        assert AUTH_TOKEN not in text
        assert "wrong-one-9876" not in text
        assert secret_b64 not in text
    # The requests were logged (at debug, with -v), without credentials.
    assert "carrier API: GET" in outputs[0]


def test_the_api_base_may_have_a_path_as_compatible_carriers_do(
    tmp_path: Path, database_url: str, redis_url: str, standin: StandIn
) -> None:
    """Every request goes to TWILIO_API_BASE + the API's path: here through a prefix that the
    test's proxy strips (a compatible carrier's /api/laml)."""
    import http.server
    import urllib.request

    class Strip(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _pass(self) -> None:
            assert self.path.startswith("/api/laml/")
            length = int(self.headers.get("Content-Length") or 0)
            req = urllib.request.Request(  # noqa: S310
                standin.url + self.path.removeprefix("/api/laml"),
                data=self.rfile.read(length) if length else None,
                headers={"Authorization": self.headers["Authorization"]},
                method=self.command,
            )
            with urllib.request.urlopen(req) as resp:  # noqa: S310 (the stand-in's http URL)
                body = resp.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = _pass  # noqa: N815 (http.server's name)

    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Strip)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    standin.add_number(CAMPAIGN_NUMBER, DEMO)
    settings = make_settings(
        tmp_path,
        database_url,
        redis_url,
        TWILIO_API_BASE=f"http://127.0.0.1:{proxy.server_port}/api/laml/",
    )
    try:
        (found,) = Carrier(settings).numbers()
        assert Carrier(settings).account_status() == "active"
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert found.phone_number == CAMPAIGN_NUMBER
    assert [r.path for r in standin.requests] == [
        f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json",
        f"/2010-04-01/Accounts/{ACCOUNT_SID}.json",
    ]
