"""Integrity of the count: replayed recordings, bursts from one range, the per-number limit,
STIR/SHAKEN verdicts, bulk invalidation with a preview, and what the export says of them.

Real audio (espeak-ng, sox), real fingerprints, real databases; transcripts are given as the
worker would have heard them (as test_staff.py does), and one test runs the real worker.
"""

from __future__ import annotations

import io
import itertools
import json
import random
import re
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from ivr.simulator import RecordingServer, simulate_call
from petition.config import Settings
from petition.db import Database
from petition.integrity import fingerprint, guards, replays
from petition.models import AuditEvent, BulkAction, Call, Campaign, Signature, utcnow
from petition.reporting.export import counted_rows, write_json
from petition.reporting.stats import campaign_stats
from petition.review import bulk
from tests.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CAMPAIGN_NUMBER,
    Carrier,
    add_campaign,
    call_params,
    run_worker,
)
from tests.conftest_audio import Clip, Clips
from tests.ivr.test_staff import arrive, csrf, signed_in

pytestmark = pytest.mark.usefixtures("campaign")

_sids = itertools.count(1)


def sign(
    settings: Settings,
    db: Database,
    caller: str | None,
    clip: Clip | None = None,
    *,
    postcode: str | None = None,
    verstat: str | None = None,
) -> Signature:
    """A call whose recording was stored where the worker stores them (so staff pages can play
    it) and fingerprinted, then heard as its clip's text and decided by the counting rules.

    Heard with middling confidence, as telephone names mostly are: the name waits for a person
    (to_check) and the signature counts. (A name read clearly from two numbers would be held as
    a possible duplicate: a rule of its own, tested in test_counting.)
    """
    stored = None
    if clip is not None:
        stored = settings.recordings_dir / "1" / f"clip-{next(_sids)}.wav"
        stored.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(clip.path, stored)
    return arrive(
        settings,
        db,
        caller,
        clip.text if clip else "Mijn naam is An Peeters.",
        confidence=0.5,
        language=clip.language if clip else "nl",
        audio=stored,
        postcode=postcode,
        verstat=verstat,
        fingerprinted=True,
    )


def stats(db: Database) -> dict[str, object]:
    with db.session() as s:
        return campaign_stats(s, s.get_one(Campaign, 1))


# --- the fingerprint ----------------------------------------------------------------------


def test_a_replay_through_a_second_telephone_line_is_the_same_audio(clips: Clips) -> None:
    original = fingerprint.fingerprint_file(clips.original.path).words
    for replay in clips.replays[:5]:
        assert fingerprint.same_audio(original, fingerprint.fingerprint_file(replay.path).words)


def test_two_people_saying_the_same_name_are_not_the_same_audio(clips: Clips) -> None:
    one, other = (fingerprint.fingerprint_file(c.path).words for c in clips.ordinary[-2:])
    assert clips.ordinary[-1].text == clips.ordinary[-2].text
    assert not fingerprint.same_audio(one, other)
    assert fingerprint.compare(one, other).ber > 0.35


# --- replays among ordinary calls -----------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # 130 calls: one database
def test_one_recording_replayed_from_30_numbers_is_held_and_the_100_ordinary_calls_count(
    settings: Settings, db: Database, clips: Clips
) -> None:
    arrivals = [("replay", clip) for clip in clips.replays] + [
        ("ordinary", clip) for clip in clips.ordinary
    ]
    rng = random.Random(8)
    rng.shuffle(arrivals)
    signed: dict[str, list[int]] = {"replay": [], "ordinary": []}
    for n, (kind, clip) in enumerate(arrivals):
        # Numbers from many ranges (replays too: a SIP trunk can spoof any), none twice.
        caller = f"+324{rng.randint(60, 99)}{n:03d}{rng.randint(0, 999):03d}"
        signed[kind].append(sign(settings, db, caller, clip).id)

    figures = stats(db)
    assert figures["signatures"] == 100
    assert figures["needs_review"] == 30
    with db.session() as s:
        held = s.scalars(sa.select(Signature).where(Signature.id.in_(signed["replay"]))).all()
        assert {(sig.state, sig.reason) for sig in held} == {("needs_review", "same_audio")}
        groups = {sig.audio_group_id for sig in held}
        assert len(groups) == 1 and None not in groups  # one group: the twins point to it
        ordinary = s.scalars(sa.select(Signature).where(Signature.id.in_(signed["ordinary"])))
        assert {sig.state for sig in ordinary} == {"counted"}
        sophies = s.scalars(sa.select(Signature).where(Signature.name == "Sophie Dubois")).all()
        assert len(sophies) == 2 and {sig.state for sig in sophies} == {"counted"}
        assert sophies[0].audio_group_id is None and sophies[1].audio_group_id is None
        # The first replay counted until its first twin came; the worker took it out, audited.
        taken_out = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "same_audio"))
        assert [event.signature_id for event in taken_out] == [min(signed["replay"])]


@pytest.mark.whisper
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the slow path: SQLite
def test_the_worker_fingerprints_each_recording_and_holds_a_replay_with_its_twin(
    settings: Settings,
    db: Database,
    live_url: str,
    transcriber,
    clips: Clips,  # type: ignore[no-untyped-def]
) -> None:
    sids = []
    for caller, clip in (("+32470555001", clips.original), ("+32486555002", clips.replays[0])):
        with RecordingServer(clip.path, ACCOUNT_SID, AUTH_TOKEN) as server:
            sim = simulate_call(
                settings,
                base_url=live_url,
                dialled=CAMPAIGN_NUMBER,
                caller=caller,
                language="nl",
                server=server,
                wait_for_fetch=0,
            )
            run_worker(settings, transcriber)
        sids.append(sim.recording_sid)
    with db.session() as s:
        rows = s.execute(
            sa.select(Signature.state, Signature.reason, Signature.audio_group_id)
            .join(Signature.recording)
            .order_by(Signature.id)
        ).all()
        keys = s.scalar(sa.select(sa.func.count()).select_from(replays.AudioKey))
    first_id = rows[0][2]
    assert [tuple(r) for r in rows] == [("needs_review", "same_audio", first_id)] * 2
    assert keys and keys > 50


# --- bursts and the per-number limit --------------------------------------------------------


def test_a_burst_from_one_number_range_is_flagged_and_its_later_calls_are_held(
    settings: Settings, db: Database, client: FlaskClient
) -> None:
    with db.session() as s:
        # The hour before: calls spread over many ranges, about one per range.
        for i in range(40):
            s.add(
                Call(
                    call_sid=f"CABASE{i:04d}",
                    campaign_id=1,
                    caller_range=f"+32 47{i % 10} {i:02d}",
                    started_at=utcnow() - timedelta(minutes=70 - i),
                )
            )
    burst = [sign(settings, db, f"+324701200{i:02d}") for i in range(12)]
    assert [sig.state for sig in burst[:9]] == ["counted"] * 9  # the burst was not visible yet
    assert {(sig.state, sig.reason) for sig in burst[9:]} == {("needs_review", "burst")}
    other = sign(settings, db, "+32485990011")
    assert other.state == "counted"

    with db.session() as s:
        found = guards.bursts(s, s.get_one(Campaign, 1))
    assert [(b.range, b.calls) for b in found] == [("+32 470 12", 12)]
    assert found[0].end - found[0].start < guards.BURST_WINDOW

    signed_in(client, db, "viewer")
    page = client.get("/staff/c/glenn/").get_data(as_text=True)
    assert "+32 470 12" in page
    assert re.search(r"<td class=\"num\">12</td>", page)


def test_a_range_is_not_a_burst_when_the_campaign_is_that_busy_everywhere(
    settings: Settings, db: Database
) -> None:
    with db.session() as s:
        # A busy hour from one range: twelve calls in five minutes is its usual rate.
        for i in range(150):
            s.add(
                Call(
                    call_sid=f"CABUSY{i:04d}",
                    campaign_id=1,
                    caller_range="+32 470 12",
                    started_at=utcnow() - timedelta(minutes=65) + timedelta(seconds=24 * i),
                )
            )
    late = [sign(settings, db, f"+324701200{i:02d}") for i in range(12)]
    assert {sig.state for sig in late} == {"counted"}


def test_a_number_calling_again_and_again_hears_a_goodbye_without_a_recording(
    carrier: Carrier, db: Database
) -> None:
    def voice(call_sid: str, caller: str) -> ElementTree.Element:
        resp = carrier.post("/ivr/voice", call_params(call_sid, caller=caller))
        return ElementTree.fromstring(resp.data)  # noqa: S314 (our own service's answer)

    answers = [voice(f"CAREPEAT{n:04d}", "+32470777888") for n in range(5)]
    # The campaign's default: three calls within ten minutes, then a goodbye.
    for twiml in answers[:3]:
        assert twiml.find(".//Gather") is not None or twiml.find(".//Record") is not None
    for twiml in answers[3:]:
        assert twiml.find(".//Record") is None and twiml.find(".//Gather") is None
        assert twiml[-1].tag == "Hangup"
        played = [el.text or "" for el in twiml if el.tag in ("Play", "Say")]
        assert any("too_many_calls" in url for url in played)
    # The carrier posting the same webhook again gets the same answer.
    assert voice("CAREPEAT0003", "+32470777888").find(".//Hangup") is not None
    assert voice("CAOTHER0001", "+32470777889").find(".//Gather") is not None


def test_the_per_number_limit_counts_the_calls_to_this_campaign_only(
    carrier: Carrier, db: Database
) -> None:
    """The count reads the number's calls to every campaign and keeps this campaign's: calls
    to another campaign's line do not use up this one's limit."""
    add_campaign(db, slug="other", number="+3220000002")
    for n in range(5):
        carrier.post("/ivr/voice", call_params(f"CAELSE{n}", "+32470555666", To="+3220000002"))
    first_here = carrier.post("/ivr/voice", call_params("CAHERE0", "+32470555666"))
    assert ElementTree.fromstring(first_here.data).find(".//Gather") is not None  # noqa: S314


# --- carrier signals ----------------------------------------------------------------------


def test_a_failed_stir_shaken_attestation_goes_to_review_and_a_missing_one_counts(
    settings: Settings, db: Database, carrier: Carrier
) -> None:
    carrier.post(
        "/ivr/voice",
        call_params("CASTIR0001", caller="+32470100001", StirVerstat="TN-Validation-Failed-A"),
    )
    with db.session() as s:
        call = s.scalar(sa.select(Call).where(Call.call_sid == "CASTIR0001"))
        assert call is not None and call.stir_verstat == "TN-Validation-Failed-A"
    failed = sign(settings, db, "+32470100002", verstat="TN-Validation-Failed-A")
    passed = sign(settings, db, "+32470100003", verstat="TN-Validation-Passed-A")
    missing = sign(settings, db, "+32470100004")
    assert (failed.state, failed.reason) == ("needs_review", "attestation_failed")
    assert passed.state == missing.state == "counted"


# --- bulk invalidation --------------------------------------------------------------------


@pytest.fixture
def burst_and_others(settings: Settings, db: Database) -> Iterator[dict[str, list[int]]]:
    """Five counted calls from +32 470 12 (three in Brussels, two in Flanders), one held
    there, and three counted elsewhere; the rule is the Chamber's."""
    with db.session() as s:
        s.get_one(Campaign, 1).burst_min_calls = 0  # decided as they come: nothing held
    postcodes = ["1000", "1050", "1210", "2000", "9000"]
    burst = [
        sign(settings, db, f"+324701234{i:02d}", postcode=pc) for i, pc in enumerate(postcodes)
    ]
    held = sign(settings, db, "+32470123499", verstat="TN-Validation-Failed-C")
    others = [sign(settings, db, f"+324859900{i:02d}", postcode="4000") for i in range(3)]
    yield {"burst": [s.id for s in burst], "held": [held.id], "others": [s.id for s in others]}


def test_bulk_invalidation_previews_applies_and_undoes_with_the_counts_right_each_time(
    settings: Settings, db: Database, burst_and_others: dict[str, list[int]]
) -> None:
    selection = bulk.Selection(number_range="+32 470 12")
    with db.session() as s:
        campaign = s.get_one(Campaign, 1)
        seen = bulk.preview(s, campaign, selection)
        assert sorted(seen.ids) == sorted(burst_and_others["burst"] + burst_and_others["held"])
        assert (seen.total, seen.counted, seen.held) == (6, 5, 1)
        leaving = {r.region: (r.counted, r.leaving, r.after) for r in seen.regions if r.counted}
        assert leaving == {"brussels": (3, 3, 0), "flanders": (2, 2, 0), "wallonia": (3, 0, 3)}
        assert seen.before["counted"] == 8 and seen.after["counted"] == 3
        assert seen.after["missing"] == seen.before["missing"] + 5
        assert stats(db)["signatures"] == 8  # a preview changes nothing

    with db.session() as s:
        action = bulk.apply(
            s, s.get_one(Campaign, 1), selection, reason="burst", actor="ann", digest=seen.digest
        )
        action_id = action.id
    after = stats(db)
    assert (after["signatures"], after["needs_review"], after["rejected"]) == (3, 0, 6)
    assert after["by_region"]["brussels"] == 0
    with db.session() as s:
        events = s.scalars(
            sa.select(AuditEvent).where(AuditEvent.bulk_action_id == action_id)
        ).all()
        assert sorted(e.action for e in events) == ["bulk_invalidated"] * 6 + ["bulk_invalidation"]
        assert {e.actor for e in events} == {"ann"}

    with db.session() as s:
        undone = bulk.undo(s, s.get_one(Campaign, 1), action_id, "ann")
    assert (undone.restored, undone.recounted, undone.skipped) == (6, 5, 0)
    back = stats(db)
    assert (back["signatures"], back["needs_review"], back["rejected"]) == (8, 1, 0)
    with db.session() as s:
        assert s.get_one(BulkAction, action_id).undone_by == "ann"
        held = s.get_one(Signature, burst_and_others["held"][0])
        assert (held.state, held.reason) == ("needs_review", "attestation_failed")
        with pytest.raises(bulk.BulkError):
            bulk.undo(s, s.get_one(Campaign, 1), action_id, "ann")


def test_bulk_invalidation_refuses_when_the_selection_changed_since_the_preview(
    settings: Settings, db: Database, burst_and_others: dict[str, list[int]]
) -> None:
    selection = bulk.Selection(number_range="+32 470")
    with db.session() as s:
        seen = bulk.preview(s, s.get_one(Campaign, 1), selection)
    sign(settings, db, "+32470999999")  # another call from the range meanwhile
    with db.session() as s, pytest.raises(bulk.BulkError, match="changed"):
        bulk.apply(
            s, s.get_one(Campaign, 1), selection, reason="burst", actor="ann", digest=seen.digest
        )
    assert stats(db)["signatures"] == 9


def test_staff_preview_apply_and_undo_a_bulk_invalidation_from_the_page(
    settings: Settings, db: Database, client: FlaskClient, burst_and_others: dict[str, list[int]]
) -> None:
    signed_in(client, db, "reviewer")
    page = client.get("/staff/c/glenn/bulk?range=%2B32+470+12&state=counted")
    text = page.get_data(as_text=True)
    assert "Would be rejected: 5 (in the count now: 5; waiting for review: 0)" in text
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', text)
    assert digest is not None
    done = client.post(
        "/staff/c/glenn/bulk/apply",
        data={
            "csrf_token": csrf(client),
            "digest": digest.group(1),
            "range": "+32 470 12",
            "state": "counted",
            "bulk_reason": "burst",
            "note": "SIP trunk",
        },
        follow_redirects=True,
    )
    assert "Invalidated: 5." in done.get_data(as_text=True)
    assert stats(db)["signatures"] == 3
    with db.session() as s:
        action_id = s.scalar(sa.select(BulkAction.id))
    undone = client.post(
        f"/staff/c/glenn/bulk/{action_id}/undo",
        data={"csrf_token": csrf(client)},
        follow_redirects=True,
    )
    assert "Undone: 5 back as they were" in undone.get_data(as_text=True)
    assert stats(db)["signatures"] == 8


def test_a_same_audio_group_is_one_item_in_review_and_is_rejected_and_undone_as_one(
    settings: Settings, db: Database, client: FlaskClient, clips: Clips
) -> None:
    sign(settings, db, "+32470000101", clips.original)
    for i, clip in enumerate(clips.replays[:3]):
        sign(settings, db, f"+3247100010{i}", clip)
    sign(settings, db, "+32485000109", clips.ordinary[0])
    signed_in(client, db, "reviewer")
    listing = client.get("/staff/c/glenn/review").get_data(as_text=True)
    assert listing.count("One voice from 4 numbers") == 1
    start = client.get("/staff/c/glenn/review/next")
    assert re.search(r"/staff/c/glenn/group/\d+$", start.headers["Location"])
    group_page = client.get(start.headers["Location"]).get_data(as_text=True)
    assert group_page.count("<audio") == 4
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', group_page)
    assert digest is not None
    client.post(
        start.headers["Location"] + "/reject",
        data={"csrf_token": csrf(client), "digest": digest.group(1)},
    )
    figures = stats(db)
    assert (figures["signatures"], figures["needs_review"], figures["rejected"]) == (1, 0, 4)
    with db.session() as s:
        assert s.scalar(sa.select(BulkAction.reason)) == "same_audio"
        action_id = s.scalar(sa.select(BulkAction.id))

    # The export says what guarding the count did.
    with db.session() as s:
        campaign = s.get_one(Campaign, 1)
        out = _json_export(s, campaign)
    assert out["guarded"]["invalidated"]["same_audio"] == 4
    assert out["guarded"]["held"]["same_audio"] == 0

    client.post(f"/staff/c/glenn/bulk/{action_id}/undo", data={"csrf_token": csrf(client)})
    figures = stats(db)
    assert (figures["signatures"], figures["needs_review"], figures["rejected"]) == (1, 4, 0)


def _json_export(s: sa.orm.Session, campaign: Campaign) -> dict[str, dict[str, dict[str, int]]]:
    buffer = io.StringIO()
    write_json(
        campaign,
        counted_rows(s, campaign),
        buffer,
        guarded=guards.guard_counts(s, campaign.id),
    )
    loaded: dict[str, dict[str, dict[str, int]]] = json.loads(buffer.getvalue())
    return loaded


def test_a_time_window_is_chosen_on_the_campaigns_clock(
    settings: Settings, db: Database, client: FlaskClient
) -> None:
    signed = [sign(settings, db, f"+3247{i}55501{i}") for i in range(3)]
    with db.session() as s:
        for hour, sig in zip((10, 11, 12), signed, strict=True):
            s.get_one(Signature, sig.id).signed_at = datetime(2026, 1, 10, hour)  # UTC
    signed_in(client, db, "reviewer")
    # 11:30 to 13:30 in Brussels (UTC+1 in January) is 10:30 to 12:30 UTC: two signatures.
    page = client.get("/staff/c/glenn/bulk?since=2026-01-10T11:30&until=2026-01-10T13:30")
    assert "Would be rejected: 2 (in the count now: 2;" in page.get_data(as_text=True)
