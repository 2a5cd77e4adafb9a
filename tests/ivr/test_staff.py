"""Staff pages through the Flask test client, on SQLite and PostgreSQL, with real Redis."""

from __future__ import annotations

import itertools
import re
import string
import subprocess
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from rq import Queue
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from ivr.staff.account import SELF_SERVICE_ENDPOINTS
from ivr.staff.auth import UPLOAD_MAX_BYTES
from ivr.staff.ratelimit import ACCOUNT_LIMIT, IP_LIMIT
from petition.config import Settings
from petition.counting.rules import Heard, decide
from petition.db import Database
from petition.integrity import fingerprint, replays
from petition.line import calls
from petition.models import (
    ApiToken,
    AuditEvent,
    BlockedNumber,
    Campaign,
    Recording,
    Signature,
    User,
    utcnow,
)
from petition.operations import users
from petition.privacy.phones import identify
from petition.review import queues
from tests.conftest import CAMPAIGN_NUMBER, add_campaign
from workers import queue as work_queue

PASSWORD = "correct horse battery"
_sids = itertools.count(1)

pytestmark = pytest.mark.usefixtures("campaign")


# --- helpers (test_browser.py uses them too) -------------------------------------------------


def add_user(db: Database, email: str, role: str, password: str = PASSWORD) -> None:
    with db.session() as s:
        users.create_user(s, email, role, password)


def login(client: FlaskClient, email: str, password: str = PASSWORD, **kw: str):  # type: ignore[no-untyped-def]
    page = client.get("/staff/login")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.data)
    assert token is not None
    return client.post(
        "/staff/login",
        data={"email": email, "password": password, "csrf_token": token.group(1).decode()},
        **kw,
    )


def signed_in(client: FlaskClient, db: Database, role: str) -> str:
    email = f"{role}@example.org"
    add_user(db, email, role)
    assert login(client, email).status_code == 302
    return email


def csrf(client: FlaskClient) -> str:
    with client.session_transaction() as sess:
        return str(sess["csrf"])


def arrive(
    settings: Settings,
    db: Database,
    caller: str | None,
    text: str = "Mijn naam is Jan Peeters",
    *,
    confidence: float = 0.9,
    language: str = "nl",
    audio: Path | None = None,
    dialled: str = CAMPAIGN_NUMBER,
    postcode: str | None = None,
    verstat: str | None = None,
    fingerprinted: bool = False,
) -> Signature:
    """A call whose recording was transcribed as `text`, decided by the counting rules.

    With `fingerprinted`, the recording's `audio` is fingerprinted and indexed first, as the
    worker does; `postcode` and `verstat` (STIR/SHAKEN) are what the call said.
    """
    n = next(_sids)
    with db.session() as s:
        if postcode is not None:  # the caller keyed it in before the beep
            call = calls.start_call(
                s,
                call_sid=f"CA{n:08d}",
                campaign=calls.campaign_for_number(s, dialled),
                caller=caller or "anonymous",
                hash_key=settings.phone_hash_key,
            )
            call.postcode = postcode
        arrival = calls.register_recording(
            s,
            call_sid=f"CA{n:08d}",
            recording_sid=f"RE{n:08d}",
            url=f"https://api.twilio.com/x/RE{n}",
            duration=3,
            dialled=dialled,
            caller=caller or "anonymous",
            hash_key=settings.phone_hash_key,
        )
        call = arrival.recording.call
        call.language, call.stir_verstat = language, verstat
        if audio is not None:
            arrival.recording.storage_path = str(audio)
            if fingerprinted:
                replays.store(s, arrival.recording, fingerprint.fingerprint_file(audio))
                s.flush()
        sig = arrival.signature
        decide(s, sig, Heard(text, 1.5, confidence), actor="test")
        return sig


def state_of(db: Database, public_id: str) -> Signature:
    with db.session() as s:
        sig = s.scalar(sa.select(Signature).where(Signature.public_id == public_id))
        assert sig is not None
        return sig


def phone_wav(path: Path, seconds: float = 1.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path),
         "synth", str(seconds), "sine", "440"],
        check=True,
    )  # fmt: skip
    return path


def sample_url(rule: str, public_id: str = "S-X") -> str:
    """A concrete URL for a staff route, filling its parameters with sample values."""
    values = {"slug": "glenn", "public_id": public_id, "lang": "nl", "code": "nl"}
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "1"), rule)
    return path


def staff_rules(app: Flask, method: str) -> list[str]:
    return [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("staff.") and method in (rule.methods or set())
        and rule.endpoint not in SELF_SERVICE_ENDPOINTS | {"staff.login"}
    ]  # fmt: skip


# --- who may see and do what ------------------------------------------------------------------


def test_visitor_is_sent_to_sign_in_and_sees_only_public_progress(
    app: Flask, client: FlaskClient, settings: Settings, db: Database
) -> None:
    sig = arrive(settings, db, "+32470000001")
    for rule in staff_rules(app, "GET"):
        if rule in ("/staff/login", "/staff/language/<code>"):
            continue
        resp = client.get(sample_url(rule, sig.public_id))
        if rule.endswith((".json", "/audio")):
            assert resp.status_code == 401, rule
        else:
            assert resp.status_code == 302, rule
            assert resp.headers["Location"].startswith("/staff/login"), rule
    for rule in staff_rules(app, "POST"):
        assert client.post(sample_url(rule, sig.public_id)).status_code == 302, rule
    assert state_of(db, sig.public_id).state == "counted"
    assert client.get("/api/campaigns/glenn/stats").status_code == 401
    for url in ("/p/glenn/progress.json", "/p/glenn/badge.svg", "/p/glenn/"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        body = resp.data.decode()
        # The campaign's own number is public; the caller's is not, in any form.
        assert "Peeters" not in body and sig.caller_masked not in body and "470" not in body
    assert client.get("/p/glenn/progress.json").get_json()["signatures"] == 1


def test_viewer_can_change_nothing(
    app: Flask, client: FlaskClient, settings: Settings, db: Database
) -> None:
    held = arrive(settings, db, None)
    signed_in(client, db, "viewer")
    token = csrf(client)
    # The only POST routes open to a viewer touch their own session, language and tokens.
    assert {
        "staff.logout",
        "staff.account_language",
        "staff.create_token",
        "staff.revoke_token",
    } == SELF_SERVICE_ENDPOINTS
    posts = staff_rules(app, "POST")
    assert len(posts) == 25  # with the line page's connect, disconnect and test call (admins')
    for rule in posts:
        resp = client.post(
            sample_url(rule, held.public_id),
            data={"csrf_token": token, "reason": "other", "name": "X", "open": "0"},
        )
        assert resp.status_code == 403, rule
    assert state_of(db, held.public_id).state == "needs_review"
    with db.session() as s:
        campaign = s.scalar(sa.select(Campaign))
        assert campaign is not None and campaign.is_open
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 1  # "transcribed"
    assert client.get("/staff/c/glenn/settings").status_code == 403
    assert client.get(f"/staff/c/glenn/s/{held.public_id}/audio").status_code == 403
    # A viewer still reads the overview and the list, and never sees the review actions.
    assert client.get("/staff/c/glenn/").status_code == 200
    page = client.get(f"/staff/c/glenn/s/{held.public_id}").data.decode()
    assert 'data-key="accept"' not in page and "<audio" not in page


def test_reviewer_reviews_but_cannot_change_campaign_settings(
    client: FlaskClient, db: Database
) -> None:
    signed_in(client, db, "reviewer")
    resp = client.post(
        "/staff/c/glenn/settings/open", data={"csrf_token": csrf(client), "open": "0"}
    )
    assert resp.status_code == 403
    assert client.get("/staff/c/glenn/review").status_code == 200


def test_own_api_tokens_carry_the_users_role_and_can_be_revoked(
    client: FlaskClient, db: Database
) -> None:
    signed_in(client, db, "viewer")
    page = client.post("/staff/account/tokens", data={"csrf_token": csrf(client), "label": "sheet"})
    found = re.search(
        r'id="new-token" class="mono token" readonly value="([^"]+)"', page.data.decode()
    )
    assert found is not None
    bearer = {"Authorization": f"Bearer {found.group(1)}"}
    assert client.get("/api/campaigns/glenn/stats", headers=bearer).status_code == 200
    with db.session() as s:
        token = s.scalar(sa.select(ApiToken))
        owner = s.scalar(sa.select(User))
        assert token is not None and owner is not None
        assert (token.role, token.user_id, token.label) == ("viewer", owner.id, "sheet")
        token_id = token.id
    resp = client.post(
        f"/staff/account/tokens/{token_id}/revoke", data={"csrf_token": csrf(client)}
    )
    assert resp.status_code == 302
    assert client.get("/api/campaigns/glenn/stats", headers=bearer).status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(client: FlaskClient, db: Database) -> None:
    add_user(db, "other@example.org", "admin")
    with db.session() as s:
        other = s.scalar(sa.select(User).where(User.email == "other@example.org"))
        assert other is not None
        token, _value = users.create_token(s, other, "theirs")
        token_id = token.id
    signed_in(client, db, "admin")
    resp = client.post(
        f"/staff/account/tokens/{token_id}/revoke", data={"csrf_token": csrf(client)}
    )
    assert resp.status_code == 404
    with db.session() as s:
        assert not s.get_one(ApiToken, token_id).revoked


# --- sign-in, cookies, CSRF, rate limit ---------------------------------------------------------


def test_sign_in_with_the_right_password_only(client: FlaskClient, db: Database) -> None:
    add_user(db, "Ann@Example.org", "reviewer")
    assert login(client, "ann@example.org", "wrong password!").status_code == 401
    assert client.get("/staff/").status_code == 302
    resp = login(client, "ann@example.org")
    assert resp.status_code == 302 and resp.headers["Location"] == "/staff/"
    page = client.get("/staff/")
    assert page.status_code == 200 and b"ann@example.org" in page.data
    client.post("/staff/logout", data={"csrf_token": csrf(client)})
    assert client.get("/staff/").status_code == 302


def test_sign_in_never_redirects_to_another_site(client: FlaskClient, db: Database) -> None:
    add_user(db, "ann@example.org", "viewer")
    page = client.get("/staff/login?next=//evil.example/x")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.data)
    assert token is not None
    resp = client.post(
        "/staff/login?next=//evil.example/x",
        data={
            "email": "ann@example.org",
            "password": PASSWORD,
            "csrf_token": token.group(1).decode(),
        },
    )
    assert resp.headers["Location"] == "/staff/"


def test_session_cookie_is_httponly_lax_and_secure_behind_https(
    client: FlaskClient, db: Database
) -> None:
    add_user(db, "ann@example.org", "viewer")
    resp = login(client, "ann@example.org")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" in cookie  # PUBLIC_BASE_URL is https in the tests


def test_a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    held = arrive(settings, db, None)
    signed_in(client, db, "admin")
    url = f"/staff/c/glenn/s/{held.public_id}/accept"
    with db.session() as s:
        version = queues.version(s.get_one(Signature, held.id))
    for data in ({"version": version}, {"version": version, "csrf_token": "forged"}):
        resp = client.post(url, data=data)
        assert resp.status_code == 400
        assert b"Nothing was changed" in resp.data
    assert state_of(db, held.public_id).state == "needs_review"
    resp = client.post("/staff/c/glenn/settings/open", data={"open": "0"})
    assert resp.status_code == 400
    with db.session() as s:
        assert s.scalar(sa.select(Campaign.is_open))


def test_the_login_form_needs_its_csrf_token_too(client: FlaskClient, db: Database) -> None:
    add_user(db, "ann@example.org", "admin")
    resp = client.post("/staff/login", data={"email": "ann@example.org", "password": PASSWORD})
    assert resp.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_login_rate_limit_per_account_holds_even_for_the_right_password(
    client: FlaskClient, db: Database
) -> None:
    add_user(db, "ann@example.org", "admin")
    for _ in range(ACCOUNT_LIMIT):
        assert login(client, "ann@example.org", "guess guess guess").status_code == 401
    resp = login(client, "ann@example.org")
    assert resp.status_code == 429
    assert b"Too many failed attempts" in resp.data
    assert client.get("/staff/").status_code == 302
    # Another account from the same address is not locked by this one's failures.
    add_user(db, "bob@example.org", "viewer")
    assert login(client, "bob@example.org").status_code == 302


def test_login_rate_limit_per_address_across_accounts(client: FlaskClient, db: Database) -> None:
    add_user(db, "ann@example.org", "admin")
    for i in range(IP_LIMIT):
        assert login(client, f"nobody{i}@example.org", "guess guess").status_code == 401
    assert login(client, "ann@example.org").status_code == 429


def test_login_rate_limit_still_works_when_redis_is_down(
    app: Flask, client: FlaskClient, db: Database, settings: Settings
) -> None:
    svc = app.extensions["petition"]
    svc._queue = Queue(settings.queue_name, connection=work_queue.connect("redis://127.0.0.1:1/0"))
    add_user(db, "ann@example.org", "admin")
    assert login(client, "ann@example.org").status_code == 302  # sign-in works without Redis
    client.post("/staff/logout", data={"csrf_token": csrf(client)})
    for _ in range(ACCOUNT_LIMIT):
        assert login(client, "ann@example.org", "guess guess guess").status_code == 401
    assert login(client, "ann@example.org").status_code == 429


# --- review -----------------------------------------------------------------------------------


def post_decision(
    client: FlaskClient,
    db: Database,
    sig: Signature,
    action: str,
    tab: str | None = "review",
    **data: str,
):  # type: ignore[no-untyped-def]
    with db.session() as s:
        version = queues.version(s.get_one(Signature, sig.id))
    form = {"csrf_token": csrf(client), "version": version, **data}
    if tab:
        form["tab"] = tab
    return client.post(f"/staff/c/glenn/s/{sig.public_id}/{action}", data=form)


def test_accepting_a_withheld_caller_counts_them_and_audits_who_before_and_after(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    first = arrive(settings, db, None, "Mijn naam is An Janssens")
    second = arrive(settings, db, "anonymous", "Je m'appelle Luc Martin", language="fr")
    assert (first.state, first.reason) == ("needs_review", "withheld")
    email = signed_in(client, db, "reviewer")
    page = client.get(f"/staff/c/glenn/s/{first.public_id}?tab=review").data.decode()
    assert "An Janssens" in page and "1 of 2" in page
    resp = post_decision(client, db, first, "accept", name="Anne Janssens")
    # On to the next one in the queue.
    assert resp.headers["Location"].endswith(f"/staff/c/glenn/s/{second.public_id}?tab=review")
    post_decision(client, db, second, "accept", name="Luc Martin")
    assert state_of(db, first.public_id).state == "counted"
    assert state_of(db, first.public_id).name == "Anne Janssens"
    assert state_of(db, second.public_id).state == "counted"  # two withheld callers, two people
    with db.session() as s:
        event = s.scalar(
            sa.select(AuditEvent).where(
                AuditEvent.signature_id == first.id, AuditEvent.action == "accepted"
            )
        )
        assert event is not None and event.actor == email and event.at is not None
        assert event.before is not None and event.after is not None
        assert (event.before["state"], event.before["name"]) == ("needs_review", "An Janssens")
        assert (event.after["state"], event.after["name"]) == ("counted", "Anne Janssens")
    assert client.get("/api/campaigns/glenn/stats").status_code == 401


def test_the_last_decision_in_a_queue_goes_back_to_the_list(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    held = arrive(settings, db, None)
    signed_in(client, db, "reviewer")
    resp = post_decision(client, db, held, "reject", reason="not_a_name")
    assert resp.headers["Location"].endswith("/staff/c/glenn/review?tab=review")
    sig = state_of(db, held.public_id)
    assert (sig.state, sig.reason) == ("rejected", "not_a_name")
    with db.session() as s:
        event = s.scalar(sa.select(AuditEvent).where(AuditEvent.action == "rejected"))
        assert event is not None and event.after == {
            **(event.before or {}),
            "state": "rejected",
            "reason": "not_a_name",
        }


def test_correcting_a_name_check_confirms_it_and_keeps_it_counted(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    unsure = arrive(settings, db, "+32470000003", "Mijn naam is Jan Maes", confidence=0.3)
    assert (unsure.state, unsure.name_status) == ("counted", "to_check")
    signed_in(client, db, "reviewer")
    listing = client.get("/staff/c/glenn/review?tab=names").data.decode()
    assert unsure.public_id in listing
    post_decision(client, db, unsure, "name", tab="names", name="  Jan   Maas ")
    sig = state_of(db, unsure.public_id)
    assert (sig.state, sig.name, sig.name_status) == ("counted", "Jan Maas", "confirmed")
    with db.session() as s:
        event = s.scalar(sa.select(AuditEvent).where(AuditEvent.action == "name_corrected"))
        assert event is not None and event.before and event.after
        assert (event.before["name"], event.after["name"]) == ("Jan Maes", "Jan Maas")
        assert (event.before["name_status"], event.after["name_status"]) == (
            "to_check",
            "confirmed",
        )


def test_saving_a_name_on_a_held_signature_stays_on_it_until_decided(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    held = arrive(settings, db, None)
    signed_in(client, db, "reviewer")
    resp = post_decision(client, db, held, "name", name="Jan Peters")
    assert resp.headers["Location"].endswith(f"/s/{held.public_id}?tab=review")
    assert state_of(db, held.public_id).state == "needs_review"


def test_a_possible_duplicate_is_shown_beside_the_other_and_can_be_marked(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    original = arrive(settings, db, "+32470000010", "Mijn naam is Els Wouters")
    maybe = arrive(settings, db, "+32470000011", "Mijn naam is Els Wouters")
    assert (maybe.state, maybe.reason, maybe.duplicate_of_id) == (
        "needs_review",
        "possible_duplicate",
        original.id,
    )
    signed_in(client, db, "reviewer")
    page = client.get(f"/staff/c/glenn/s/{maybe.public_id}").data.decode()
    assert original.public_id in page and 'data-key="duplicate"' in page
    assert "470000011" not in page and maybe.caller_masked in page
    post_decision(client, db, maybe, "duplicate")
    sig = state_of(db, maybe.public_id)
    assert (sig.state, sig.reason, sig.duplicate_of_id) == ("rejected", "duplicate", original.id)
    with db.session() as s:
        assert s.scalar(sa.select(AuditEvent.actor).where(AuditEvent.action == "marked_duplicate"))


def test_accepting_a_number_counted_meanwhile_ends_as_a_duplicate(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    caller = "+32470000020"
    who = identify(caller, settings.phone_hash_key)
    with db.session() as s:
        s.add(BlockedNumber(campaign_id=1, caller_hash=who.hash or "", caller_masked=who.masked))
    first = arrive(settings, db, caller, "Mijn naam is Piet Pieters")
    second = arrive(settings, db, caller, "Mijn naam is Piet Pieters")
    assert (first.reason, second.reason) == ("blocked", "blocked")
    signed_in(client, db, "reviewer")
    post_decision(client, db, first, "accept")
    resp = post_decision(client, db, second, "accept")
    page = client.get(resp.headers["Location"]).data.decode()
    assert "This number was counted already" in page
    assert state_of(db, first.public_id).state == "counted"
    dup = state_of(db, second.public_id)
    assert (dup.state, dup.reason, dup.duplicate_of_id) == ("rejected", "duplicate", first.id)


def test_a_decision_on_a_stale_page_is_refused(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    held = arrive(settings, db, None)
    signed_in(client, db, "reviewer")
    form = {"csrf_token": csrf(client), "version": "0000000000000000", "tab": "review"}
    resp = client.post(f"/staff/c/glenn/s/{held.public_id}/accept", data=form)
    assert resp.status_code == 302
    assert state_of(db, held.public_id).state == "needs_review"
    assert b"Someone else changed" in client.get(resp.headers["Location"]).data


def test_the_recording_streams_with_range_requests_for_reviewers_only(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    wav = phone_wav(settings.recordings_dir / "1" / "RE-test.wav")
    held = arrive(settings, db, None, audio=wav)
    signed_in(client, db, "reviewer")
    url = f"/staff/c/glenn/s/{held.public_id}/audio"
    with client.get(url) as full:
        assert full.status_code == 200 and full.mimetype in ("audio/wav", "audio/x-wav")
        assert full.data == wav.read_bytes()
    with client.get(url, headers={"Range": "bytes=0-99"}) as part:
        assert part.status_code == 206
        assert part.headers["Content-Range"] == f"bytes 0-99/{wav.stat().st_size}"
        assert len(part.data) == 100
        # The browser alone may keep it a few minutes: the next item's audio is preloaded.
        assert part.headers["Cache-Control"].startswith("private, max-age=")
    page = client.get(f"/staff/c/glenn/s/{held.public_id}").data.decode()
    assert f'src="{url}"' in page


def test_a_recording_outside_the_recordings_folder_is_never_served(
    client: FlaskClient, settings: Settings, db: Database, tmp_path: Path
) -> None:
    held = arrive(settings, db, None, audio=phone_wav(tmp_path / "elsewhere.wav"))
    signed_in(client, db, "reviewer")
    assert client.get(f"/staff/c/glenn/s/{held.public_id}/audio").status_code == 404


def test_review_decisions_refuse_signatures_no_longer_in_review(
    settings: Settings, db: Database
) -> None:
    sig = arrive(settings, db, None)
    with db.session() as s:
        row = s.get_one(Signature, sig.id)
        queues.reject(s, row, "ann@example.org", "silent")
        with pytest.raises(queues.ReviewError):
            queues.accept(s, row, "ann@example.org")
        with pytest.raises(queues.ReviewError):
            queues.reject(s, row, "ann@example.org", "erased")
        with pytest.raises(queues.ReviewError):
            queues.correct_name(s, row, "ann@example.org", "   ")
        with pytest.raises(queues.ReviewError):
            queues.mark_duplicate(s, row, row, "ann@example.org")


# --- overview, signatures, settings ------------------------------------------------------------


def test_overview_shows_the_count_progress_charts_and_pipeline_health(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    arrive(settings, db, "+32470000030", "Mijn naam is Jan Peeters")
    arrive(settings, db, "+32470000031", "Je m'appelle Sophie Dubois", language="fr")
    arrive(settings, db, None)
    with db.session() as s:
        rec = s.scalar(sa.select(Recording).limit(1))
        assert rec is not None
        rec.status, rec.last_error = "failed", "HTTP 404 from the carrier"
    signed_in(client, db, "viewer")
    page = client.get("/staff/c/glenn/").data.decode()
    assert 'data-live="signatures">2<' in page
    assert "Flemish Region" in page and "voice signatures are evidence of support" in page
    assert page.count("<svg") == 4 and "HTTP 404 from the carrier" in page
    assert "Jobs in the queue" in page and "No worker is running" in page
    live = client.get("/staff/c/glenn/live.json").get_json()
    assert (live["signatures"], live["needs_review"], live["calls"]) == (2, 1, 3)
    assert live["region.flanders.count"] == 0 and live["threshold.missing"] == 25_000 - 0
    listing = client.get("/staff/").data.decode()
    assert "Better online protection of minors" in listing


def test_charts_group_by_hour_and_day_in_the_campaigns_time_zone(
    settings: Settings, db: Database
) -> None:
    from ivr.staff import series

    arrive(settings, db, "+32470000040", "Mijn naam is Jan Peeters")
    arrive(settings, db, "+32470000041", "Je m'appelle Sophie Dubois", language="fr")
    now = utcnow()
    with db.session() as s:
        old = s.scalar(sa.select(Signature).where(Signature.language == "fr"))
        assert old is not None
        old.signed_at = now - timedelta(hours=3)
        campaign = s.get_one(Campaign, 1)
        campaign.opened_at = now - timedelta(days=3)
        calls_h, sigs_h = series.hourly(s, campaign, now)
        calls_d, sigs_d = series.daily(s, campaign, now)

    def brussels(moment: datetime) -> str:
        return (
            moment.replace(tzinfo=UTC)
            .astimezone(ZoneInfo("Europe/Brussels"))
            .strftime("%Y-%m-%d %H")
        )

    # 48 hours, 47 local ones when the clocks went back meanwhile (that hour shows once).
    assert len(sigs_h.buckets) in (47, 48) and sigs_h.buckets[-1] == brussels(now)
    assert sigs_h.by_language["nl"] == {brussels(now): 1}
    assert sigs_h.by_language["fr"] == {brussels(now - timedelta(hours=3)): 1}
    assert len(sigs_d.buckets) == 4 and sum(sigs_d.total(b) for b in sigs_d.buckets) == 2
    assert sum(calls_h.total(b) for b in calls_h.buckets) == 2


def test_the_signatures_list_shows_and_filters_days_in_the_campaigns_time_zone(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    late = arrive(settings, db, "+32470000050", "Mijn naam is Jan Peeters")
    with db.session() as s:
        sig = s.get_one(Signature, late.id)
        sig.signed_at = datetime(2025, 3, 3, 23, 30)  # 00:30 on 4 March in Brussels
    signed_in(client, db, "viewer")
    page = client.get("/staff/c/glenn/signatures?from=2025-03-04&to=2025-03-04").data.decode()
    assert "Found: 1" in page and "04/03/2025, 00:30" in page
    assert "Found: 0" in client.get("/staff/c/glenn/signatures?to=2025-03-03").data.decode()


def test_signatures_list_searches_filters_pages_and_masks_numbers(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    for i in range(60):
        arrive(
            settings,
            db,
            f"+324701{i:05d}",
            f"Mijn naam is Jan Peeters{string.ascii_lowercase[i % 26]}",
        )
    arrive(settings, db, "+32470999999", "Je m'appelle Sophie Dubois", language="fr")
    signed_in(client, db, "viewer")
    page = client.get("/staff/c/glenn/signatures?q=dubois").data.decode()
    assert "Sophie Dubois" in page and "Found: 1" in page and "Peeters" not in page
    assert "470999999" not in page and "+32 •••••••99" in page
    first = client.get("/staff/c/glenn/signatures?language=nl").data.decode()
    assert "Found: 60" in first and first.count("<tr>") == 51  # header + 50
    after = re.search(r'href="([^"]*after=[^"]+)"', first)
    assert after is not None
    second = client.get(after.group(1).replace("&amp;", "&")).data.decode()
    assert second.count("<tr>") == 11 and "Dubois" not in second
    assert "Found: 0" in client.get("/staff/c/glenn/signatures?state=rejected").data.decode()
    assert (
        "Dates are written" in client.get("/staff/c/glenn/signatures?from=yesterday").data.decode()
    )


def details_form(**changes: object) -> dict[str, object]:
    """The campaign details form as the page fills it for the test campaign, with changes."""
    form: dict[str, object] = {
        "title": "Better online protection of minors",
        "description": "",
        "slug": "glenn",
        "numbers": "+3220000001",
        "lang.nl": "1", "lang.fr": "1", "lang.de": "1", "lang.en": "1",
        "order.nl": "1", "order.fr": "2", "order.de": "3", "order.en": "4",
        "rule_key": "be-chamber",
        "keypad_spelling": "1",  # the test campaign reads no name back (conftest)
        "retention_days": "90",
        "time_zone": "Europe/Brussels",
        "organisation_name": "",
        "organisation_contact": "",
        "opens_at": "",
        "closes_at": "",
    }  # fmt: skip
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def test_admin_opens_and_closes_the_campaign_and_orders_its_languages(
    client: FlaskClient, db: Database
) -> None:
    signed_in(client, db, "admin")
    client.post("/staff/c/glenn/settings/open", data={"csrf_token": csrf(client), "open": "0"})
    ordered = details_form(**{"lang.de": None, "lang.en": None, "order.fr": "1", "order.nl": "2"})
    done = client.post("/staff/c/glenn/details", data={"csrf_token": csrf(client), **ordered})
    assert done.status_code == 302
    none = details_form(**{f"lang.{code}": None for code in ("nl", "fr", "de", "en")})
    refused = client.post("/staff/c/glenn/details", data={"csrf_token": csrf(client), **none})
    assert refused.status_code == 400 and b"Choose at least one language" in refused.data
    with db.session() as s:
        campaign = s.get_one(Campaign, 1)
        assert not campaign.is_open and campaign.closed_at is not None
        assert campaign.languages == "fr,nl"  # in the order given
        events = s.execute(sa.select(AuditEvent.action, AuditEvent.before, AuditEvent.after)
                           .order_by(AuditEvent.id)).all()  # fmt: skip
    assert [e.action for e in events] == ["campaign_closed", "campaign_changed"]
    assert events[1].before == {"languages": "nl,fr,de,en"}
    assert events[1].after == {"languages": "fr,nl"}


def test_the_details_form_says_what_is_wrong_field_by_field_and_keeps_what_was_typed(
    client: FlaskClient, db: Database
) -> None:
    add_campaign(db, slug="other", number="+3220000002")
    signed_in(client, db, "admin")
    wrong = details_form(
        title="New title",
        slug="Other!",
        numbers="+3220000002\nhello",
        rule_key="custom",
        rule_total="",
        time_zone="Mars/Olympus",
        retention_days="0",
    )
    resp = client.post("/staff/c/glenn/details", data={"csrf_token": csrf(client), **wrong})
    page = resp.data.decode()
    assert resp.status_code == 400
    for message in (
        "Use 1 to 64 lower-case letters",
        "Not a phone number: hello",
        "A custom rule needs a number of signatures.",
        "Not a time zone",
        "Between 1 and 3650 days.",
    ):
        assert message in page, message
    assert 'value="New title"' in page and 'aria-invalid="true"' in page
    taken = client.post(
        "/staff/c/glenn/details",
        data={"csrf_token": csrf(client), **details_form(numbers="+32 2 000 00 02", slug="other")},
    ).data.decode()
    assert "Another campaign answers on +3220000002." in taken
    assert "Another campaign has this short name." in taken
    with db.session() as s:
        glenn = s.get_one(Campaign, 1)
        assert glenn.title == "Better online protection of minors"
        assert [n.number for n in glenn.numbers] == ["+3220000001"]


def test_an_admin_creates_a_campaign_whose_dates_are_typed_in_its_time_zone(
    client: FlaskClient, db: Database
) -> None:
    signed_in(client, db, "admin")
    form = details_form(
        title="Sauvons la forêt",
        slug="foret",
        numbers="02 000 00 09",
        rule_key="walloon-parliament",
        opens_at="2025-03-30T01:30",  # Brussels moves to summer time at 02:00 that night
        closes_at="2025-03-30T03:30",
        organisation_name="Amis de la forêt",
    )
    resp = client.post("/staff/campaigns/new", data={"csrf_token": csrf(client), **form})
    assert resp.status_code == 302 and resp.headers["Location"] == "/staff/c/foret/"
    with db.session() as s:
        made = s.scalar(sa.select(Campaign).where(Campaign.slug == "foret"))
        assert made is not None and [n.number for n in made.numbers] == ["+3220000009"]
        assert made.opens_at == datetime(2025, 3, 30, 0, 30)  # UTC+1
        assert made.closes_at == datetime(2025, 3, 30, 1, 30)  # UTC+2
        assert not made.ask_postcode  # unchecked in the form: the admin decides
        assert made.organisation_name == "Amis de la forêt"
    page = client.get("/staff/c/foret/details").data.decode()
    assert 'value="2025-03-30T03:30"' in page  # shown again as typed


def test_only_admins_create_or_change_campaigns(client: FlaskClient, db: Database) -> None:
    signed_in(client, db, "reviewer")
    assert client.get("/staff/campaigns/new").status_code == 403
    assert client.get("/staff/c/glenn/details").status_code == 403
    assert "New campaign" not in client.get("/staff/").data.decode()


def test_greeting_upload_is_converted_to_telephone_audio(
    client: FlaskClient, settings: Settings, db: Database, tmp_path: Path
) -> None:
    source = tmp_path / "greeting.wav"
    subprocess.run(
        [
            "sox",
            "-n",
            "-r",
            "44100",
            "-c",
            "2",
            "-b",
            "16",
            str(source),
            "synth",
            "2",
            "sine",
            "440",
        ],
        check=True,
    )
    signed_in(client, db, "admin")
    with source.open("rb") as fh:
        resp = client.post(
            "/staff/c/glenn/settings/greeting/fr",
            data={"csrf_token": csrf(client), "audio": (fh, "greeting.wav")},
            content_type="multipart/form-data",
        )
    assert b"Greeting saved (2.0 s)" in client.get(resp.headers["Location"]).data
    stored = settings.data_dir / "prompts" / "1" / "fr" / "greeting.wav"
    with wave.open(str(stored)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
    # The carrier now hears it.
    with client.get("/ivr/audio/glenn/fr/greeting.wav") as played:
        assert played.data == stored.read_bytes()
    client.post("/staff/c/glenn/settings/greeting/fr/remove", data={"csrf_token": csrf(client)})
    assert not stored.exists()


def test_greeting_uploads_may_be_larger_than_other_requests_up_to_their_own_limit(
    client: FlaskClient, settings: Settings, db: Database, tmp_path: Path
) -> None:
    big = tmp_path / "studio.wav"  # 25 s of CD-quality stereo: 4.4 MB, over the app's 2 MB
    subprocess.run(
        ["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", str(big), "synth", "25", "sine", "440"],
        check=True,
    )
    signed_in(client, db, "admin")
    url = "/staff/c/glenn/settings/greeting/nl"

    def post_file(path: Path):  # type: ignore[no-untyped-def]
        # Encoded in memory: the test client would spool a big body to a file it never closes.
        with path.open("rb") as fh:
            upload = FileStorage(fh, filename=path.name, content_type="audio/wav")
            boundary, body = encode_multipart({"csrf_token": csrf(client), "audio": upload})
        return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")

    resp = post_file(big)
    assert b"Greeting saved (25.0 s)" in client.get(resp.headers["Location"]).data
    huge = tmp_path / "huge.wav"
    huge.write_bytes(b"\0" * (UPLOAD_MAX_BYTES + 1))
    assert post_file(huge).status_code == 413
    form = {"csrf_token": csrf(client), "note": "x" * (3 * 1024 * 1024)}
    assert client.post("/staff/c/glenn/settings/blocked", data=form).status_code == 413


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ this is not audio at all", b"not audio we can read"),
        (None, b"longer than 60 seconds"),
    ],
)
def test_greeting_upload_refuses_what_is_not_short_audio(
    client: FlaskClient,
    settings: Settings,
    db: Database,
    tmp_path: Path,
    content,
    message,  # type: ignore[no-untyped-def]
) -> None:
    upload = tmp_path / "upload.bin"
    if content is None:
        # FLAC keeps the upload small: the test client spools big bodies to an unclosed file.
        phone_wav(upload.with_suffix(".flac"), seconds=61.5).rename(upload)
    else:
        upload.write_bytes(content)
    signed_in(client, db, "admin")
    with upload.open("rb") as fh:
        resp = client.post(
            "/staff/c/glenn/settings/greeting/nl",
            data={"csrf_token": csrf(client), "audio": (fh, "upload.bin")},
            content_type="multipart/form-data",
        )
    assert message in client.get(resp.headers["Location"]).data
    assert not (settings.data_dir / "prompts" / "1" / "nl" / "greeting.wav").exists()


def test_prompt_texts_are_stored_per_language(client: FlaskClient, db: Database) -> None:
    signed_in(client, db, "admin")
    client.post(
        "/staff/c/glenn/settings/texts",
        data={
            "csrf_token": csrf(client),
            "greeting.nl": " Welkom  bij Glenn. ",
            "thanks.fr": "Merci.",
        },
    )
    with db.session() as s:
        assert s.get_one(Campaign, 1).prompts == {
            "greeting": {"nl": "Welkom bij Glenn."},
            "thanks": {"fr": "Merci."},
        }
    client.post("/staff/c/glenn/settings/texts", data={"csrf_token": csrf(client), "thanks.fr": ""})
    with db.session() as s:
        assert s.get_one(Campaign, 1).prompts == {}


def test_blocklist_stores_only_the_hash_and_shows_the_mask(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    signed_in(client, db, "admin")
    token = csrf(client)
    resp = client.post(
        "/staff/c/glenn/settings/blocked", data={"csrf_token": token, "number": "0470 12 34 56"}
    )
    page = client.get(resp.headers["Location"]).data.decode()
    assert "+32 •••••••56" in page and "470123456" not in page and "12 34 56" not in page
    again = client.post(
        "/staff/c/glenn/settings/blocked", data={"csrf_token": token, "number": "+32470123456"}
    )
    assert "blocked already" in client.get(again.headers["Location"]).data.decode()
    bad = client.post(
        "/staff/c/glenn/settings/blocked", data={"csrf_token": token, "number": "hello"}
    )
    assert "not a phone number" in client.get(bad.headers["Location"]).data.decode()
    with db.session() as s:
        row = s.scalar(sa.select(BlockedNumber))
        assert row is not None and len(row.caller_hash) == 64
        blocked_id = row.id
    assert arrive(settings, db, "+32470123456").reason == "blocked"
    client.post(f"/staff/c/glenn/settings/blocked/{blocked_id}/remove", data={"csrf_token": token})
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(BlockedNumber)) == 0


# --- languages, command line --------------------------------------------------------------------


def test_pages_follow_the_browser_language_the_switch_and_the_users_choice(
    client: FlaskClient, db: Database
) -> None:
    assert (
        "Aanmelden voor medewerkers"
        in client.get("/staff/login", headers={"Accept-Language": "nl-BE,nl;q=0.9"}).data.decode()
    )
    client.get("/staff/language/fr?next=/staff/login")
    assert "Connexion du personnel" in client.get("/staff/login").data.decode()
    signed_in(client, db, "viewer")  # signing in starts a fresh session: the user's language
    client.post("/staff/account/language", data={"csrf_token": csrf(client), "language": "nl"})
    assert '<html lang="nl">' in client.get("/staff/").data.decode()


def test_cli_user_add_reads_the_password_from_stdin(tmp_path: Path) -> None:
    from ivr.cli import main

    # SQLite only, like the other CLI tests: the command's own engine is never disposed.
    data = tmp_path / "cli"
    env = {"DATA_DIR": str(data), "DATABASE_URL": f"sqlite:///{data / 'petition.sqlite3'}"}
    runner = CliRunner(env=env)
    assert runner.invoke(main, ["migrate"]).exit_code == 0  # the data exists: `petition run`
    add = ["user", "add", "--password-stdin", "--role"]
    result = runner.invoke(main, [*add, "reviewer", "Eva@Example.org"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "reviewer eva@example.org added" in result.output
    again = runner.invoke(main, [*add, "admin", "eva@example.org"], input=PASSWORD + "\n")
    assert again.exit_code != 0 and "exists already" in again.output
    short = runner.invoke(main, [*add, "admin", "x@example.org"], input="short\n")
    assert short.exit_code != 0 and "at least" in short.output
    db = Database(env["DATABASE_URL"])
    with db.session() as s:
        user = s.scalar(sa.select(User))
        assert user is not None and user.password_hash.startswith("$argon2id$")
        assert users.authenticate(s, "EVA@example.org", PASSWORD) is not None
    db.dispose()
