"""The line page and the preflight, against the app served over real TLS on loopback and the
carrier's REST API stand-in: the checklist all ok, PUBLIC_BASE_URL wrong in each usual way (and
the difference named), refused signatures on the overview, the test call."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests
import sqlalchemy as sa
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from rq import Worker
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

from ivr import public
from ivr.app import create_app
from ivr.carrier.rest import Bytes, Said
from ivr.cli import main
from ivr.staff import overview
from ivr.staff.line import said
from petition.config import Settings
from petition.counting.rules import Heard, count, decide
from petition.db import Database
from petition.line import calls
from petition.models import AuditEvent, Call
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, CAMPAIGN_NUMBER, add_campaign
from tests.ivr.test_staff import csrf, signed_in
from tests.ivr.twilio_standin import StandIn
from workers.queue import recordings_queue


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for localhost and 127.0.0.1."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


@dataclass
class Served:
    app: Flask
    port: int
    db: Database

    @property
    def settings(self) -> Settings:
        found: Settings = self.app.extensions["petition"].settings
        return found

    def public_base(self, base: str) -> None:
        """What the service checks signatures against (its PUBLIC_BASE_URL)."""
        svc = self.app.extensions["petition"]
        svc.settings = svc.settings.with_changes(public_base_url=base)

    def url(self, host: str = "localhost", scheme: str = "https") -> str:
        return f"{scheme}://{host}:{self.port}"


@pytest.fixture
def served(
    carrier_settings: Settings,
    db: Database,
    certificate: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Served]:
    """The app on a real https port; its own checks trust the test certificate."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
    public.clear_cache()
    overview.clear_caches()
    app = create_app(carrier_settings, {"TESTING": True})
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=certificate)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    found = Served(app, server.server_port, db)
    found.public_base(found.url())
    add_campaign(db, ask_postcode=True)  # the Chamber's rule counts by region
    yield found
    server.shutdown()
    app.extensions["petition"].db.dispose()


@pytest.fixture
def admin(served: Served) -> FlaskClient:
    client = served.app.test_client()
    signed_in(client, served.db, "admin")
    return client


def preflight_cli(served: Served) -> Result:
    s = served.settings
    env = {
        "DATA_DIR": str(s.data_dir),
        "DATABASE_URL": s.database_url,
        "REDIS_URL": s.redis_url or "",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": s.public_base_url or "",
        "TWILIO_API_BASE": s.twilio_api_base,
    }
    return CliRunner().invoke(main, ["preflight", "--campaign", "glenn"], env=env)


def checklist(client: FlaskClient) -> dict[str, tuple[bool, str]]:
    page = client.get("/staff/c/glenn/line?check=1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    lines = re.findall(r'<li class="check-(ok|fail)" data-check="(\w+)">(.*?)</li>', html, re.S)
    return {key: (ok == "ok", re.sub(r"<[^>]+>", "", body)) for ok, key, body in lines}


@pytest.fixture
def worker(served: Served, whisper_model_dir: Path) -> Iterator[None]:
    """A real `petition worker`, registered once its model is loaded."""
    s = served.settings
    env = {
        "DATA_DIR": str(s.data_dir),
        "DATABASE_URL": s.database_url,
        "REDIS_URL": s.redis_url or "",
        "WHISPER_MODEL": str(whisper_model_dir),
        "WHISPER_THREADS": "1",
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ivr.cli", "worker"], env=env, stdout=subprocess.DEVNULL
    )
    queue = recordings_queue(s, served.db, redis.Redis.from_url(s.redis_url or ""))
    try:
        for _ in range(240):
            if Worker.all(queue=queue):
                break
            assert proc.poll() is None, "the worker stopped"
            time.sleep(0.25)
        else:
            raise AssertionError("no worker registered")
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def connect(served: Served, standin: StandIn, admin: FlaskClient, voice: str | None = None) -> str:
    sid = standin.add_number(CAMPAIGN_NUMBER, "https://demo.twilio.com/welcome/voice/")
    resp = admin.post(
        "/staff/c/glenn/line/connect",
        data={"csrf_token": csrf(admin), "number": CAMPAIGN_NUMBER},
    )
    assert resp.status_code == 302
    assert standin.numbers[sid]["voice_url"] == served.url() + "/ivr/voice"
    return sid


def test_every_line_holds_when_the_line_is_ready(
    served: Served, standin: StandIn, admin: FlaskClient, worker: None
) -> None:
    connect(served, standin, admin)

    lines = checklist(admin)

    assert list(lines) == [
        "credentials",
        "number",
        "https",
        "reachable",
        "workers",
        "prompts",
        "rule",
        "disk",
    ]
    assert all(ok for ok, _ in lines.values()), lines
    assert f"{served.url()}/ivr/voice answers a signed call" in lines["reachable"][1]
    result = preflight_cli(served)
    assert result.exit_code == 0, result.output
    assert "All 8 checks hold" in result.output
    # The probe is answered "unknown number": it leaves no call behind.
    with served.db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Call)) == 0


@pytest.mark.parametrize(
    ("wrong", "part", "signed_mark", "checked_mark"),
    [
        (lambda u: u.replace("https://", "http://"), "scheme", "<mark>s</mark>", "<mark>∅</mark>"),
        (
            lambda u: u.replace("localhost", "127.0.0.1"),
            "host",
            "<mark>localhost</mark>",
            "<mark>127.0.0.1</mark>",
        ),
        (lambda u: u + "/petition", "path", "<mark>∅</mark>", "<mark>petition/</mark>"),
    ],
    ids=["http-not-https", "another-host", "trailing-path"],
)
def test_a_wrong_public_base_url_is_refused_and_the_difference_named(
    served: Served,
    standin: StandIn,
    admin: FlaskClient,
    wrong: Callable[[str], str],
    part: str,
    signed_mark: str,
    checked_mark: str,
) -> None:
    connect(served, standin, admin)  # the carrier calls the right address ...
    bad = wrong(served.url())
    served.public_base(bad)  # ... the service checks another

    lines = checklist(admin)

    ok, text = lines["reachable"]
    assert not ok
    assert f"the carrier signs {served.url()}/ivr/voice" in text
    assert f"the service checks {bad}/ivr/voice" in text
    assert f"differ in the {part}" in text
    page = admin.get("/staff/c/glenn/line?check=1").get_data(as_text=True)
    assert signed_mark in page and checked_mark in page
    result = preflight_cli(served)
    assert result.exit_code == 1
    assert f"differ in the {part}" in result.output


def test_a_path_the_server_does_not_serve_is_named_when_the_number_is_not_connected(
    served: Served, standin: StandIn, admin: FlaskClient
) -> None:
    served.public_base(served.url() + "/petition")

    ok, text = checklist(admin)["reachable"]

    assert not ok
    assert "Nothing answers at" in text and "/petition/ivr/voice (404)" in text


def test_refused_webhooks_show_on_the_overview_with_the_cause(
    served: Served, admin: FlaskClient
) -> None:
    served.public_base(served.url(scheme="http"))  # the proxy's scheme, mistyped
    params = {"CallSid": "CA" + "1" * 32, "From": "+32470000001", "To": CAMPAIGN_NUMBER}
    target = served.url() + "/ivr/voice"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(target, params)
    for _ in range(3):
        resp = requests.post(
            target, data=params, headers={"X-Twilio-Signature": signature}, timeout=10
        )
        assert resp.status_code == 403

    page = admin.get("/staff/c/glenn/").get_data(as_text=True)

    assert 'data-refused="3"' in page
    assert f"http<mark>s</mark>://localhost:{served.port}/ivr/voice" in page
    assert f"http<mark>∅</mark>://localhost:{served.port}/ivr/voice" in page


def test_only_admins_use_the_line_page(served: Served, standin: StandIn) -> None:
    standin.add_number(CAMPAIGN_NUMBER, "")
    for role in ("viewer", "reviewer"):
        client = served.app.test_client()
        signed_in(client, served.db, role)
        assert client.get("/staff/c/glenn/line").status_code == 403
        for action in ("connect", "disconnect", "test-call"):
            resp = client.post(
                f"/staff/c/glenn/line/{action}",
                data={
                    "csrf_token": csrf(client),
                    "number": CAMPAIGN_NUMBER,
                    "phone": "+32470000009",
                },
            )
            assert resp.status_code == 403
    assert standin.requests == []


def test_the_page_connects_and_disconnects_and_the_audit_log_says_who(
    served: Served, standin: StandIn, admin: FlaskClient
) -> None:
    sid = connect(served, standin, admin)
    page = admin.get("/staff/c/glenn/line").get_data(as_text=True)
    assert "https://demo.twilio.com/welcome/voice/" in page  # what was there before
    assert AUTH_TOKEN not in page

    resp = admin.post("/staff/c/glenn/line/disconnect", data={"csrf_token": csrf(admin)})

    assert resp.status_code == 302
    assert standin.numbers[sid]["voice_url"] == "https://demo.twilio.com/welcome/voice/"
    with served.db.session() as s:
        events = [
            (e.actor, e.action) for e in s.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))
        ]
    assert ("admin@example.org", "number_connected") in events
    assert ("admin@example.org", "number_disconnected") in events


def test_a_failed_connect_on_the_page_says_the_number_was_left_as_it_was(
    served: Served, standin: StandIn, admin: FlaskClient
) -> None:
    sid = standin.add_number(CAMPAIGN_NUMBER, "")
    standin.fail(500, path=r"^POST ")

    resp = admin.post(
        "/staff/c/glenn/line/connect",
        data={"csrf_token": csrf(admin), "number": CAMPAIGN_NUMBER},
        follow_redirects=True,
    )

    text = resp.get_data(as_text=True)
    assert "failing (500)" in text and f"{CAMPAIGN_NUMBER} was left as it was" in text
    assert standin.numbers[sid]["voice_url"] == ""


def test_the_test_call_goes_through_the_real_flow_and_never_counts(
    served: Served, standin: StandIn, admin: FlaskClient
) -> None:
    connect(served, standin, admin)

    resp = admin.post(
        "/staff/c/glenn/line/test-call",
        data={"csrf_token": csrf(admin), "phone": "0470 12 34 56"},
    )

    assert resp.status_code == 302
    (placed,) = standin.calls
    assert placed["form"]["To"] == "+32470123456"
    assert placed["form"]["From"] == CAMPAIGN_NUMBER
    assert placed["url"] == served.url() + "/ivr/voice?test=1"
    # The carrier then calls the voice webhook as for an outbound call.
    params = {
        "CallSid": placed["sid"],
        "AccountSid": ACCOUNT_SID,
        "From": CAMPAIGN_NUMBER,
        "To": "+32470123456",
        "Direction": "outbound-api",
        "CallStatus": "in-progress",
    }
    url = served.url() + "/ivr/voice?test=1"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    answer = requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)
    assert answer.status_code == 200 and "<Gather" in answer.text  # the language menu
    with served.db.session() as s:
        call = s.scalar(sa.select(Call).where(Call.call_sid == placed["sid"]))
        assert call is not None and call.is_test and call.campaign_id is not None
        events = [e.action for e in s.scalars(sa.select(AuditEvent))]
    assert "test_call" in events
    # The staff member signs; the counting rules see a test.
    with served.db.session() as s:
        arrival = calls.register_recording(
            s,
            call_sid=placed["sid"],
            recording_sid="RE" + "7" * 32,
            url="https://api.twilio.com/x/RE7",
            duration=3,
            dialled=CAMPAIGN_NUMBER,
            caller="+32470123456",
            hash_key=served.settings.phone_hash_key,
        )
        signature = decide(
            s, arrival.signature, Heard("Mijn naam is Jan Peeters", 1.5, 0.9), actor="t"
        )
        assert (signature.state, signature.reason) == ("rejected", "test_call")
        assert not count(s, signature)
        assert signature.state == "rejected"


def test_the_overview_shows_the_carriers_alerts_once_a_number_is_connected(
    served: Served, standin: StandIn, admin: FlaskClient
) -> None:
    standin.alerts.append(
        {
            "sid": "NO" + "1" * 32,
            "account_sid": ACCOUNT_SID,
            "alert_text": "Msg=HTTP+retrieval+failure&sourceComponent=14100",
            "error_code": "11200",
            "log_level": "error",
            "date_created": "2026-12-03T10:00:00Z",
            "request_url": served.url() + "/ivr/voice",
            "request_method": "POST",
            "more_info": "https://www.twilio.com/docs/errors/11200",
        }
    )
    before = admin.get("/staff/c/glenn/").get_data(as_text=True)
    assert "Shown once a number is connected" in before
    assert not [r for r in standin.requests if r.path == "/v1/Alerts"]

    connect(served, standin, admin)
    overview.clear_caches()
    page = admin.get("/staff/c/glenn/").get_data(as_text=True)

    (asked,) = [r for r in standin.requests if r.path == "/v1/Alerts"]
    assert asked.query["PageSize"] and asked.query["StartDate"]
    assert "11200" in page and "HTTP+retrieval+failure" in page


def test_the_overview_says_when_the_alerts_cannot_be_read(
    served: Served, standin: StandIn, admin: FlaskClient
) -> None:
    connect(served, standin, admin)
    overview.clear_caches()
    standin.fail(429, path="^GET /v1/Alerts")

    page = admin.get("/staff/c/glenn/").get_data(as_text=True)

    assert "alerts cannot be read: The carrier is limiting requests (429)" in page
    assert "limiting requests (429)" in page


@pytest.mark.browser
def test_an_admin_connects_checks_and_sees_a_bad_address_in_the_browser(
    served: Served, standin: StandIn, worker: None
) -> None:
    """What a campaign manager sees on launch day (screenshots in test-artifacts/)."""
    from playwright.sync_api import expect, sync_playwright

    from tests.ivr.test_browser import ARTIFACTS, CHROMIUM_ARGS
    from tests.ivr.test_staff import PASSWORD, add_user

    add_user(served.db, "ann@example.org", "admin")
    standin.add_number(CAMPAIGN_NUMBER, "https://demo.twilio.com/welcome/voice/")
    standin.add_number("+3220000002", "https://calls.other-ngo.example.net/voice")
    ARTIFACTS.mkdir(exist_ok=True)
    base = served.url()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="en-GB", ignore_https_errors=True
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + "/staff/c/glenn/line")
        page.get_by_label("E-mail address").fill("ann@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Line and carrier")
        page.screenshot(path=str(ARTIFACTS / "19-line-before.png"), full_page=True)
        page.locator(f'tr[data-number="{CAMPAIGN_NUMBER}"]').get_by_role(
            "button", name="Connect to this campaign"
        ).dblclick()
        expect(page.locator(".flash-success")).to_contain_text("now sends its calls")
        assert len(standin.writes()) == 1  # a double click configures once
        page.get_by_role("link", name="Run the checks").click()
        expect(page.locator("#checklist .flash-success")).to_contain_text("Every check holds")
        page.screenshot(path=str(ARTIFACTS / "19-checklist-ok.png"), full_page=True)

        served.public_base(served.url(scheme="http"))
        page.get_by_role("button", name="Check again").click()
        expect(page.locator('[data-check="reachable"]')).to_contain_text("differ in the scheme")
        page.screenshot(path=str(ARTIFACTS / "19-checklist-bad-base-url.png"), full_page=True)

        page.goto(base + "/staff/language/nl?next=/staff/c/glenn/line?check=1")
        expect(page.get_by_role("heading", level=1)).to_have_text("Lijn en provider")
        page.screenshot(path=str(ARTIFACTS / "19-checklist-bad-base-url-nl.png"), full_page=True)
        page.goto(base + "/staff/language/en?next=/staff/c/glenn/")
        page.locator("#line").scroll_into_view_if_needed()
        expect(page.locator("#line [data-refused]")).not_to_have_text("0")
        page.locator("#line").screenshot(path=str(ARTIFACTS / "19-overview-line-refused.png"))
        context.close()
        browser.close()
    assert errors == []


def test_a_wrong_token_is_named_and_unsigned_requests_are_not_counted(
    served: Served, admin: FlaskClient
) -> None:
    params = {"CallSid": "CA" + "2" * 32, "From": "+32470000002", "To": CAMPAIGN_NUMBER}
    target = served.url() + "/ivr/voice"
    for _ in range(2):  # scanners: no signature at all
        assert requests.post(target, data=params, timeout=10).status_code == 403
    assert 'data-refused="0"' in admin.get("/staff/c/glenn/").get_data(as_text=True)

    forged = RequestValidator("another-accounts-token").compute_signature(target, params)
    resp = requests.post(target, data=params, headers={"X-Twilio-Signature": forged}, timeout=10)
    assert resp.status_code == 403

    page = admin.get("/staff/c/glenn/").get_data(as_text=True)
    assert 'data-refused="1"' in page
    assert "TWILIO_AUTH_TOKEN is probably not the account" in page


def test_sizes_in_a_checklist_line_are_written_as_the_pages_language_writes_them(
    app: Flask,
) -> None:
    message = Said("%(free)s free", {"free": Bytes(5_600_000_000)})
    assert str(message) == "5.6 GB free"  # the command line's English
    for language, written in (("nl", "5,6 GB free"), ("fr", "5,6\u202fGo free")):
        with app.test_request_context("/staff/", headers={"Accept-Language": language}):
            assert said(message) == written
