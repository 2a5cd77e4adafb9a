"""Names a parliament can trust: statuses through review and export, leases, undo, samples."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from ivr.app import create_app
from petition.config import Settings
from petition.db import Database
from petition.models import AuditEvent, Campaign, NameSampleItem, Signature, utcnow
from petition.names import keypad, readback, sampling
from petition.reporting.export import counted_rows, write_csv, write_json
from petition.reporting.report import write_pdf
from petition.review import queues
from tests.ivr.test_staff import (
    PASSWORD,
    add_user,
    arrive,
    csrf,
    phone_wav,
    post_decision,
    signed_in,
    state_of,
)
from tests.reporting.test_report import pdf_text

pytestmark = pytest.mark.usefixtures("campaign")

UNSURE = 0.3  # a confidence the name check never calls clear


def names_queue(client: FlaskClient) -> str:
    return client.get("/staff/c/glenn/review?tab=names").data.decode()


def export_all(db: Database, tmp_path: Path) -> tuple[list[dict[str, str]], list[dict], str]:
    with db.session() as s:
        campaign = s.scalar(sa.select(Campaign))
        assert campaign is not None
        out = io.StringIO()
        write_csv(counted_rows(s, campaign), out)
        rows = list(csv.DictReader(io.StringIO(out.getvalue())))
        doc = io.StringIO()
        write_json(campaign, counted_rows(s, campaign), doc)
        pdf = io.BytesIO()
        write_pdf(s, campaign, pdf)
    return rows, json.loads(doc.getvalue())["signatures"], pdf_text(pdf.getvalue(), tmp_path)


# --- statuses through every review action, into the exports -------------------------------


def test_name_statuses_follow_every_review_action_into_csv_json_and_pdf(
    client: FlaskClient, settings: Settings, db: Database, tmp_path: Path
) -> None:
    said = ["Els Wouters", "Jan Maes", "Tom Claes", "Lies Peeters", "Ann Smets", "Bart Jacobs"]
    sigs = [
        arrive(settings, db, f"+3247000010{i}", f"Mijn naam is {name}", confidence=UNSURE)
        for i, name in enumerate(said)
    ]
    clear = arrive(settings, db, "+32470000199", "Mijn naam is Marc Janssens")
    assert [s.name_status for s in sigs] == ["to_check"] * 6
    assert clear.name_status == "machine"
    signed_in(client, db, "reviewer")

    post_decision(client, db, sigs[0], "accept", tab="names", name="Els Wouters")  # as heard
    post_decision(client, db, sigs[1], "accept", tab="names", name="Jan Maas")  # typed
    page = client.get(f"/staff/c/glenn/s/{sigs[2].public_id}?tab=names").data.decode()
    options = re.findall(r'data-suggestion="([^"]+)"', page)
    assert options, "a known name gets suggestions"
    post_decision(
        client, db, sigs[2], "accept", tab="names", name=options[0], suggestion="1"
    )  # picked
    post_decision(client, db, sigs[3], "accept", tab="names", no_name="1")  # nothing said
    post_decision(client, db, sigs[4], "accept", tab="names", name="Anne Smets")
    with db.session() as s:  # ... and undone from the signature's page
        event = queues.undoable(s, s.get_one(Signature, sigs[4].id))
        assert event is not None and event.action == "name_corrected"
    resp = client.post(
        f"/staff/c/glenn/s/{sigs[4].public_id}/undo",
        data={"csrf_token": csrf(client), "event": str(event.id)},
    )
    assert resp.status_code == 302

    expected = {
        sigs[0].public_id: ("Els Wouters", "confirmed"),
        sigs[1].public_id: ("Jan Maas", "confirmed"),
        sigs[2].public_id: (options[0], "confirmed"),
        sigs[3].public_id: ("", "missing"),
        sigs[4].public_id: ("Ann Smets", "to_check"),
        sigs[5].public_id: ("Bart Jacobs", "to_check"),
        clear.public_id: ("Marc Janssens", "machine"),
    }
    rows, documents, text = export_all(db, tmp_path)
    assert {r["signature_id"]: (r["name"], r["name_status"]) for r in rows} == expected
    assert {d["signature_id"]: (d["name"], d["name_status"]) for d in documents} == expected
    assert all(r["signature_id"] in text for r in rows)
    assert "3 of 7 names confirmed by a person" in text
    assert re.search(r"Jan Maas(?! [°*])", text)  # confirmed: no mark
    assert re.search(r"Bart Jacobs \*", text) and re.search(r"Ann Smets \*", text)
    assert re.search(r"Marc Janssens °", text)
    assert "(no name given)" in text
    with db.session() as s:
        picked = s.scalar(
            sa.select(AuditEvent).where(
                AuditEvent.signature_id == sigs[2].id, AuditEvent.action.like("name_%")
            )
        )
        assert picked is not None and picked.note == "picked suggestion 1"
        undone = s.scalar(sa.select(AuditEvent).where(AuditEvent.action == "undone"))
        assert undone is not None and undone.after and undone.after["name_status"] == "to_check"


def test_accepting_an_empty_name_is_refused_unless_marked_no_name_given(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    unsure = arrive(settings, db, "+32470000201", "Mijn naam is Jan Maes", confidence=UNSURE)
    held = arrive(settings, db, None, "euh")
    signed_in(client, db, "reviewer")
    for sig, tab in ((unsure, "names"), (held, "review")):
        resp = post_decision(client, db, sig, "accept", tab=tab, name="   ")
        page = client.get(resp.headers["Location"]).data.decode()
        assert "The name is empty" in page and "Name confirmed" not in page
        assert state_of(db, sig.public_id).state == sig.state
        assert state_of(db, sig.public_id).name_status == "to_check"
    post_decision(client, db, held, "accept", tab="review", name="", no_name="1")
    accepted = state_of(db, held.public_id)
    assert (accepted.state, accepted.name, accepted.name_status) == ("counted", None, "missing")


def test_a_review_decision_refused_as_empty_changes_nothing_in_the_audit_log(
    settings: Settings, db: Database
) -> None:
    unsure = arrive(settings, db, "+32470000202", "Mijn naam is Jan Maes", confidence=UNSURE)
    with db.session() as s, pytest.raises(queues.ReviewError):
        queues.accept(s, s.get_one(Signature, unsure.id), "ann@example.org", name="")
    with db.session() as s:
        actions = s.scalars(sa.select(AuditEvent.action)).all()
    assert actions == ["transcribed"]


# --- leases: several reviewers at once -----------------------------------------------------


def test_two_reviewers_never_take_the_same_item_and_an_expired_lease_returns(
    settings: Settings, db: Database
) -> None:
    sigs = [
        arrive(settings, db, f"+3247000030{i}", "Mijn naam is Jan Maes", confidence=UNSURE)
        for i in range(3)
    ]
    now = utcnow()
    with db.session() as s:
        a = queues.take(s, 1, queues.NAME_CHECKS, "ann", now=now, seconds=60)
        b = queues.take(s, 1, queues.NAME_CHECKS, "bob", now=now, seconds=60)
        assert a is not None and b is not None and a.id != b.id
        again = queues.take(s, 1, queues.NAME_CHECKS, "ann", now=now, seconds=60)
        assert again is not None and again.id == a.id  # the one ann holds comes first
    later = now + timedelta(seconds=61)
    with db.session() as s:
        # ann walked away: after the lease, her item goes to the next reviewer who asks.
        c = queues.take(s, 1, queues.NAME_CHECKS, "cas", now=later, seconds=60)
        assert c is not None and c.id == sigs[0].id == a.id


def http_reviewer(base: str, db: Database, name: str) -> requests.Session:
    """A reviewer signed in over real HTTP, with their own cookies."""
    add_user(db, f"{name}@example.org", "reviewer")
    http = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(f"{base}/staff/login").text)
    assert token is not None
    form = {"email": f"{name}@example.org", "password": PASSWORD, "csrf_token": token[1]}
    assert http.post(f"{base}/staff/login", data=form).url == f"{base}/staff/"
    return http


def next_item(http: requests.Session, base: str) -> str:
    resp = http.get(f"{base}/staff/c/glenn/review/next?tab=names")
    assert resp.status_code == 200
    return resp.url.split("/s/")[1].split("?")[0]


def test_two_reviewers_asking_at_the_same_moment_over_http_get_different_items(
    settings: Settings, db: Database
) -> None:
    sigs = [
        arrive(settings, db, f"+3247000040{i}", "Mijn naam is Jan Maes", confidence=UNSURE)
        for i in range(6)
    ]
    # Plain http on 127.0.0.1 (the session cookie is not Secure-only), and a 2-second lease.
    served = settings.with_changes(public_base_url=None, review_lease_seconds=2)
    app = create_app(served, {"TESTING": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        ann, bob = http_reviewer(base, db, "ann"), http_reviewer(base, db, "bob")
        got: dict[str, str] = {}
        start = threading.Barrier(2)

        def ask(who: str, http: requests.Session) -> None:
            start.wait()
            got[who] = next_item(http, base)

        threads = [threading.Thread(target=ask, args=pair) for pair in (("ann", ann), ("bob", bob))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert set(got) == {"ann", "bob"} and got["ann"] != got["bob"]
        with db.session() as s:
            held = dict(
                s.execute(
                    sa.select(Signature.public_id, Signature.review_by).where(
                        Signature.review_by.is_not(None)
                    )
                ).all()
            )
        # Each holds the item on screen and the next one, preloaded: four different items.
        assert held[got["ann"]] == "ann@example.org" and held[got["bob"]] == "bob@example.org"
        assert len(held) == 4
        # Both leave. Once their leases run out, the oldest item goes to the next who asks.
        time.sleep(2.5)
        assert next_item(http_reviewer(base, db, "cas"), base) == sigs[0].public_id
    finally:
        server.shutdown()
        app.extensions["petition"].db.dispose()


def test_deciding_moves_the_reviewer_to_the_item_preloaded_for_them(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    wav = phone_wav(settings.recordings_dir / "1" / "tone.wav")
    first, second, _third = (
        arrive(
            settings, db, f"+3247000050{i}", "Mijn naam is Jan Maes", confidence=UNSURE, audio=wav
        )
        for i in range(3)
    )
    signed_in(client, db, "reviewer")
    resp = client.get("/staff/c/glenn/review/next?tab=names")
    assert resp.headers["Location"].endswith(f"/s/{first.public_id}?tab=names")
    page = client.get(resp.headers["Location"]).data.decode()
    assert f'data-preload="{second.public_id}"' in page
    resp = post_decision(client, db, first, "accept", tab="names", name="Jan Maes")
    assert resp.headers["Location"].endswith(f"/s/{second.public_id}?tab=names")
    # The preloaded recording may be kept by the browser, and only by it.
    with client.get(f"/staff/c/glenn/s/{second.public_id}/audio") as audio:
        assert audio.status_code == 200 and audio.headers["Cache-Control"].startswith("private")


def test_the_review_page_opens_on_the_tab_that_has_work(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    arrive(settings, db, "+32470000601", "Mijn naam is Jan Maes", confidence=UNSURE)
    signed_in(client, db, "reviewer")
    page = client.get("/staff/c/glenn/review").data.decode()
    assert re.search(r'tab=names"\s+aria-current="page"', page)


# --- hallucinations ----------------------------------------------------------------------


def test_a_campaign_that_checks_every_name_sends_clear_readings_to_a_person(
    settings: Settings, db: Database
) -> None:
    clear = arrive(settings, db, "+32470000801", "Mijn naam is Marc Janssens")
    assert clear.name_status == "machine"
    with db.session() as s:
        s.scalar(sa.select(Campaign)).check_every_name = True  # type: ignore[union-attr]
    later = arrive(settings, db, "+32470000802", "Mijn naam is Els Wouters")
    assert later.name_status == "to_check"


# --- undo --------------------------------------------------------------------------------


def test_undoing_an_accept_takes_a_held_signature_out_of_the_count_again(
    settings: Settings, db: Database
) -> None:
    held = arrive(settings, db, None, "Mijn naam is Els Wouters")
    with db.session() as s:
        sig = s.get_one(Signature, held.id)
        queues.accept(s, sig, "ann@example.org")
        assert (sig.state, sig.name_status, sig.counted_key) == (
            "counted",
            "confirmed",
            f"signature:{sig.public_id}",
        )
    with db.session() as s:
        sig = s.get_one(Signature, held.id)
        event = queues.undoable(s, sig)
        assert event is not None
        queues.undo(s, sig, event.id, "bob@example.org")
        assert (sig.state, sig.reason, sig.counted_key) == ("needs_review", "withheld", None)
        assert queues.undoable(s, sig) is None  # an undo is not undone in turn


def test_a_rejection_cannot_be_undone_once_the_number_counted_again(
    settings: Settings, db: Database
) -> None:
    first = arrive(settings, db, "+32470000901", "Mijn naam is Els Wouters")
    with db.session() as s:
        sig = s.get_one(Signature, first.id)
        queues.reject(s, sig, "ann@example.org", "other")
        event = queues.undoable(s, sig)
        assert event is not None
    second = arrive(settings, db, "+32470000901", "Mijn naam is Els Wouters")
    assert second.state == "counted"
    with db.session() as s, pytest.raises(queues.ReviewError):
        queues.undo(s, s.get_one(Signature, first.id), event.id, "ann@example.org")


# --- the sample audit ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("right", "n", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),  # none right: the interval still allows a little
        (10, 10, 0.7225, 1.0),  # all right: not a zero-width 100 %
        (360, 400, 0.8667, 0.9257),
        (81, 263, 0.2553, 0.3662),
    ],
)
def test_wilson_interval_matches_worked_examples(
    right: int, n: int, low: float, high: float
) -> None:
    interval = sampling.wilson_interval(right, n)
    assert interval is not None
    assert interval == pytest.approx((low, high), abs=5e-4)


def test_nothing_checked_gives_no_interval() -> None:
    assert sampling.wilson_interval(0, 0) is None


def test_a_sample_of_machine_readings_is_checked_in_the_queue_and_estimates_the_share_right(
    client: FlaskClient, settings: Settings, db: Database, tmp_path: Path
) -> None:
    given = ["Marc", "Els", "Jan", "Tom", "Ann"]
    for i in range(10):
        name = f"{given[i % 5]} {('Janssens', 'Wouters')[i // 5]}"
        arrive(settings, db, f"+3247000100{i}", f"Mijn naam is {name}")
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).where(Signature.name_status == "machine")) == 10
    signed_in(client, db, "reviewer")
    resp = client.post("/staff/c/glenn/sample", data={"csrf_token": csrf(client), "size": "5"})
    assert resp.headers["Location"].endswith("/review?tab=names")
    with db.session() as s:
        drawn = s.scalars(sa.select(Signature).where(Signature.sample_id.is_not(None))).all()
        assert len(drawn) == 5
    est = _estimate(db)
    assert (est.size, est.pending, est.checked, est.share) == (5, 5, 0, None)
    # Four are right as read; one was misheard.
    for i, sig in enumerate(drawn):
        name = "Someone Else" if i == 0 else sig.name
        post_decision(client, db, sig, "accept", tab="names", name=name or "")
    est = _estimate(db)
    assert (est.pending, est.checked, est.right) == (0, 5, 4)
    assert est.share == pytest.approx(0.8)
    assert (est.low, est.high) == pytest.approx(sampling.wilson_interval(4, 5))
    overview = client.get("/staff/c/glenn/").data.decode()
    assert "80 % right" in overview and "from 5 checked at random" in overview
    _rows, _docs, text = export_all(db, tmp_path)
    assert re.search(r"Machine readings: 80 % right \(\d+–\d+ %, 95 % interval\)", text)
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).where(NameSampleItem.right.is_(True))) == 4


def test_a_sample_reading_rejected_as_not_a_name_counts_as_wrong_and_a_duplicate_leaves_it(
    settings: Settings, db: Database
) -> None:
    for i, name in enumerate(("Marc Janssens", "Els Wouters", "Tom Claes")):
        arrive(settings, db, f"+3247000110{i}", f"Mijn naam is {name}")
    with db.session() as s:
        campaign = s.scalar(sa.select(Campaign))
        assert campaign is not None
        sampling.draw(s, campaign, 3, "ann@example.org", seed="fixed")
    with db.session() as s:
        a, b, c = s.scalars(sa.select(Signature).where(Signature.sample_id.is_not(None))).all()
        queues.reject(s, a, "ann@example.org", "not_a_name")
        queues.reject(s, b, "ann@example.org", "withdrawn")
        queues.accept(s, c, "ann@example.org")
    est = _estimate(db)
    assert (est.size, est.pending, est.checked, est.right) == (3, 0, 2, 1)


def test_the_same_seed_draws_the_same_sample(settings: Settings, db: Database) -> None:
    for i, given in enumerate(("Marc", "Els", "Jan", "Tom", "Ann", "Bart", "Lies", "Koen")):
        arrive(settings, db, f"+324700012{i:02d}", f"Mijn naam is {given} Janssens")
    picks = []
    for _ in range(2):
        with db.session() as s:
            campaign = s.scalar(sa.select(Campaign))
            assert campaign is not None
            sample = sampling.draw(s, campaign, 4, "ann@example.org", seed="audit-2027")
            picks.append(
                sorted(
                    s.scalars(
                        sa.select(NameSampleItem.signature_id).where(
                            NameSampleItem.sample_id == sample.id
                        )
                    )
                )
            )
    assert picks[0] == picks[1]


def _estimate(db: Database) -> sampling.Estimate:
    with db.session() as s:
        est = sampling.latest_estimate(s, 1)
        assert est is not None
        return est


# --- audit page ----------------------------------------------------------------------------


def test_the_audit_page_lists_who_changed_what_filtered_by_person_and_action(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    first = arrive(settings, db, "+32470001301", "Mijn naam is Jan Maes", confidence=UNSURE)
    second = arrive(settings, db, "+32470001302", "Mijn naam is Els Wouters", confidence=UNSURE)
    email = signed_in(client, db, "reviewer")
    post_decision(client, db, first, "accept", tab="names", name="Jan Maas")
    post_decision(client, db, second, "reject", tab="names", reason="not_a_name")
    page = client.get(f"/staff/c/glenn/audit?actor={email}").data.decode()
    assert "name corrected" in page and "rejected" in page and first.public_id in page
    assert "Jan Maes → Jan Maas" in page
    page = client.get("/staff/c/glenn/audit?action=rejected").data.decode()
    assert second.public_id in page and first.public_id not in page
    page = client.get("/staff/c/glenn/audit?actor=worker&from=2000-01-01").data.decode()
    assert "transcribed and decided" in page
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    assert first.public_id not in client.get(f"/staff/c/glenn/audit?from={tomorrow}").data.decode()


def test_the_overview_shows_names_confirmed_waiting_and_the_pace(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    unsure = [
        arrive(settings, db, f"+3247000140{i}", "Mijn naam is Jan Maes", confidence=UNSURE)
        for i in range(4)
    ]
    signed_in(client, db, "reviewer")
    post_decision(client, db, unsure[0], "accept", tab="names", name="Jan Maes")
    post_decision(client, db, unsure[1], "accept", tab="names", name="Jan Maas")
    page = re.sub(r"<[^>]+>", "", client.get("/staff/c/glenn/").data.decode())
    assert "2 of 4 names confirmed by a person" in page
    assert "2 names in the last hour · 2 waiting · at this pace, ready in about 1.0 hours" in page
    live = client.get("/staff/c/glenn/live.json").get_json()
    assert (live["names.confirmed"], live["names.to_check"]) == (2, 2)


# --- the keys a caller pressed, as evidence for the reviewer ----------------------------------


def keyed(db: Database, sig: Signature, keys: str) -> None:
    with db.session() as s:
        s.get_one(Signature, sig.id).recording.keypad = {"surname": keys}


def test_the_keys_the_caller_pressed_are_shown_and_narrow_the_suggestions(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    sig = arrive(settings, db, "+32470000301", "Mijn naam is Jan Maas", confidence=UNSURE)
    keyed(db, sig, "6237")  # M A E S
    signed_in(client, db, "reviewer")

    page = client.get(f"/staff/c/glenn/s/{sig.public_id}?tab=names").data.decode()

    assert "The caller spelled the last name on the keypad" in page
    assert re.search(r'<kbd title="MNO">6</kbd>', page)
    options = re.findall(r'data-suggestion="([^"]+)"', page)
    assert options and options[0] == "Jan Maes"
    assert all(keypad.fits("6237", readback.surname_of(o) or "") for o in options)


def test_a_typed_name_that_contradicts_the_keys_is_flagged_to_the_reviewer(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    first = arrive(settings, db, "+32470000302", "Mijn naam is Jan Maas", confidence=UNSURE)
    second = arrive(settings, db, "+32470000303", "Mijn naam is Els Maas", confidence=UNSURE)
    keyed(db, first, "6237")
    keyed(db, second, "6237")
    signed_in(client, db, "reviewer")

    post_decision(client, db, first, "accept", tab=None, name="Jan Maas")
    contradicted = client.get(f"/staff/c/glenn/s/{first.public_id}").data.decode()
    post_decision(client, db, second, "accept", tab=None, name="Els Maes")
    fitting = client.get(f"/staff/c/glenn/s/{second.public_id}").data.decode()

    assert "does not fit the keys the caller pressed (6237)" in contradicted
    assert "does not fit the keys" not in fitting
    assert state_of(db, first.public_id).name_status == "confirmed"  # flagged, not refused
