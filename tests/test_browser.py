"""The staff pages in real Chromium: sign in, watch the count, review a withheld caller by ear.

A live server, simulated calls (espeak-ng voice, signed webhooks) and an in-process worker with
the real Whisper model, as in test_pipeline.py. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from ivr.simulator import RecordingServer, simulate_call
from petition.config import Settings
from petition.db import Database
from petition.models import AuditEvent, Signature
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, CAMPAIGN_NUMBER, make_settings, run_worker
from tests.conftest_audio import Clips
from tests.test_integrity import sign
from tests.test_staff import PASSWORD, add_user, arrive, phone_wav

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("campaign")]

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    # The browser path is slow; SQLite here, both databases in test_staff.py.
    return f"sqlite:///{tmp_path / 'petition.sqlite3'}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_url: str) -> Settings:
    # Plain http on 127.0.0.1: no PUBLIC_BASE_URL, so the session cookie is not Secure-only.
    return make_settings(tmp_path, database_url, redis_url, PUBLIC_BASE_URL="")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    tab = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":  # script errors and Content-Security-Policy violations
            errors.append(message.text)

    tab.on("console", on_console)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert errors == []


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, live_url: str, target: str, email: str) -> None:
    page.goto(live_url + target)
    expect(page).to_have_url(f"{live_url}/staff/login?next={target}")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_url + target)


def call(settings: Settings, live_url: str, wav: Path, caller: str, transcriber) -> None:  # type: ignore[no-untyped-def]
    """A simulated call; the worker transcribes and decides it while its recording is served."""
    with RecordingServer(wav, ACCOUNT_SID, AUTH_TOKEN) as server:
        simulate_call(
            settings,
            base_url=live_url,
            dialled=CAMPAIGN_NUMBER,
            caller=caller,
            language="fr",
            server=server,
            wait_for_fetch=0,
        )
        run_worker(settings, transcriber)


@pytest.mark.whisper
def test_staff_watch_the_count_then_review_a_withheld_caller_by_ear(
    settings: Settings,
    db: Database,
    live_url: str,
    page: Page,
    transcriber,
    speech,  # type: ignore[no-untyped-def]
) -> None:
    add_user(db, "rita@example.org", "reviewer")
    sign_in(page, live_url, "/staff/c/glenn/", "rita@example.org")
    count = page.locator(".hero [data-live='signatures']")
    expect(count).to_have_text("0")
    shot(page, "01-overview-before")

    call(
        settings, live_url, speech("Je m'appelle Sophie Dubois", "fr"), "+32470111222", transcriber
    )
    expect(count).to_have_text("1", timeout=20_000)  # the page polls; nobody reloads it

    call(settings, live_url, speech("Je m'appelle Luc Martin", "fr"), "anonymous", transcriber)
    held = page.locator("[data-live='needs_review']")
    expect(held).to_have_text("1", timeout=20_000)
    shot(page, "02-overview-after-calls")

    page.get_by_role("link", name="Held for review").click()
    expect(page.get_by_role("cell", name="Number withheld").first).to_be_visible()
    shot(page, "03-review-queue")
    page.get_by_role("link", name="Start reviewing").click()
    audio = page.locator("audio[data-key='audio']")
    expect(audio).to_be_visible()
    # The recording really loads: the element knows its length.
    page.wait_for_function(
        "() => { const a = document.querySelector(\"audio[data-key='audio']\");"
        " return a.readyState >= 1 && a.duration > 0.5; }",
        timeout=10_000,
    )
    duration = audio.evaluate("a => a.duration")
    assert 1.0 < duration < 10.0
    shot(page, "04-review-withheld")

    page.keyboard.press("e")  # edit the name
    name = page.get_by_label("Name as heard")
    expect(name).to_be_focused()
    name.fill("Luc Martin-Dubois")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_text("Name saved.")).to_be_visible()
    expect(page.get_by_label("Name as heard")).to_have_value("Luc Martin-Dubois")
    page.keyboard.press("a")  # accept: the last one, back to the (now empty) queue
    expect(page.get_by_text("Accepted and counted.")).to_be_visible()
    expect(page.get_by_text("That was the last one in this queue.")).to_be_visible()
    shot(page, "05-queue-done")

    page.get_by_role("link", name="Overview").click()
    expect(page.locator(".hero [data-live='signatures']")).to_have_text("2")
    expect(page.locator("[data-live='needs_review']")).to_have_text("0")
    shot(page, "06-overview-after-review")

    with db.session() as s:
        accepted = s.scalar(sa.select(Signature).where(Signature.name == "Luc Martin-Dubois"))
        assert accepted is not None and accepted.state == "counted" and accepted.caller_withheld
        events = s.execute(
            sa.select(AuditEvent.action, AuditEvent.actor)
            .where(AuditEvent.signature_id == accepted.id)
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(e) for e in events] == [
        ("transcribed", "worker"),
        ("name_corrected", "rita@example.org"),
        ("accepted", "rita@example.org"),
    ]


def test_a_reviewer_clears_the_queue_by_keyboard_alone(
    settings: Settings, db: Database, live_url: str, page: Page
) -> None:
    wav = phone_wav(settings.recordings_dir / "1" / "tone.wav")
    original = arrive(settings, db, "+32470000010", "Mijn naam is Els Wouters", audio=wav)
    twin = arrive(settings, db, "+32470000011", "Mijn naam is Els Wouters", audio=wav)
    withheld = arrive(settings, db, None, "Mijn naam is An Janssens", audio=wav)
    add_user(db, "rita@example.org", "reviewer")
    sign_in(page, live_url, "/staff/c/glenn/review", "rita@example.org")
    page.get_by_role("link", name="Start reviewing").click()
    expect(page.get_by_role("heading", name=f"Signature {twin.public_id}")).to_be_visible()
    expect(page.get_by_role("heading", name="Signature with the same name")).to_be_visible()
    shot(page, "07-possible-duplicate-side-by-side")
    page.keyboard.press("d")  # same person as the other one
    expect(page.get_by_text("Rejected as a duplicate.")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Signature {withheld.public_id}")).to_be_visible()
    page.keyboard.press("r")  # to the reject reasons; Enter picks the first, "Not a name"
    expect(page.get_by_role("button", name="Not a name")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Silent")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("That was the last one in this queue.")).to_be_visible()
    with db.session() as s:
        states = dict(s.execute(sa.select(Signature.id, Signature.reason)).all())
    assert states == {original.id: None, twin.id: "duplicate", withheld.id: "silent"}


def test_every_staff_page_renders_cleanly_in_dutch_and_french(
    settings: Settings, db: Database, live_url: str, page: Page
) -> None:
    wav = phone_wav(settings.recordings_dir / "1" / "tone.wav")
    arrive(settings, db, "+32470000020", "Mijn naam is Jan Peeters")
    unsure = arrive(settings, db, "+32470000021", "Je m'appelle Marie Maes", confidence=0.3)
    arrive(settings, db, None, "Mijn naam is An Janssens", audio=wav)
    add_user(db, "ann@example.org", "admin")
    sign_in(page, live_url, "/staff/", "ann@example.org")
    pages = [
        ("campaigns", "/staff/"),
        ("overview", "/staff/c/glenn/"),
        ("review", "/staff/c/glenn/review"),
        ("name-checks", "/staff/c/glenn/review?tab=names"),
        ("name-check", f"/staff/c/glenn/s/{unsure.public_id}?tab=names"),
        ("signatures", "/staff/c/glenn/signatures"),
        ("settings", "/staff/c/glenn/settings"),
        ("account", "/staff/account"),
    ]
    for lang, heading in (("nl", "Campagnes"), ("fr", "Campagnes"), ("en", "Campaigns")):
        page.goto(f"{live_url}/staff/language/{lang}?next=/staff/")
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        for name, path in pages:
            page.goto(live_url + path)
            assert page.evaluate("document.documentElement.lang") == lang
            shot(page, f"10-{lang}-{name}")
    # Keyboard users see where they are: the focused link is outlined.
    page.goto(live_url + "/staff/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline == "solid"
    page.goto(live_url + "/p/glenn/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Better online protection of minors")
    shot(page, "11-public-embed")


QUEUE_NAMES = [
    "Els Wouters", "Tom Claes", "Lies Peeters", "Ann Smets", "Bart Jacobs", "Marc Janssens",
    "Sofie Maes", "Pieter De Smet", "Nina Willems", "Koen Goossens", "Eva Mertens", "Jef Dubois",
    "Lotte Martens", "Wim Hermans", "Sara Lambert", "Dirk Michiels", "Inge Vermeulen",
    "Luc Dupont", "Hanne Aerts", "Stijn Jacobs", "Katrien Wuyts", "Bram Claeys", "Joke Leclercq",
    "Rik Segers", "Mieke Vos", "Arne Pauwels",
]  # fmt: skip


def showing(page: Page) -> str:
    """The public id of the signature on screen."""
    heading = page.get_by_role("heading", level=1).inner_text()
    return heading.rsplit(" ", 1)[-1]


def confirm_by_keyboard(page: Page, keys: list[str]) -> str:
    """Press keys on the item on screen; return its id once the page has moved on."""
    here = showing(page)
    for key in keys:
        page.keyboard.press(key)
    page.wait_for_function(
        "id => !(document.querySelector('h1')?.textContent || '').endsWith(id)", arg=here
    )
    return here


def test_reviewers_confirm_names_by_keyboard_side_by_side_and_the_export_says_so(
    settings: Settings, db: Database, live_url: str, browser: Browser, tmp_path: Path
) -> None:
    wav = phone_wav(settings.recordings_dir / "1" / "tone.wav")
    for i, name in enumerate(QUEUE_NAMES):
        # Numbers from many ranges: 26 calls from one block of numbers would be a burst.
        caller = f"+3247{i % 10}{i:02d}03{i:02d}"
        arrive(settings, db, caller, f"Mijn naam is {name}", confidence=0.3, audio=wav)
    for email, role in (("rita@example.org", "reviewer"), ("sam@example.org", "reviewer"),
                        ("ann@example.org", "admin")):  # fmt: skip
        add_user(db, email, role)
    contexts = [
        browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        for _ in range(3)
    ]
    rita, sam, ann = (context.new_page() for context in contexts)
    try:
        sign_in(ann, live_url, "/staff/c/glenn/", "ann@example.org")
        confirmed = ann.locator(".tiles [data-live='names.confirmed']")
        expect(confirmed).to_have_text("0")
        for reviewer, email in ((rita, "rita@example.org"), (sam, "sam@example.org")):
            sign_in(reviewer, live_url, "/staff/c/glenn/review", email)
            expect(reviewer.get_by_role("link", name="Name checks")).to_have_attribute(
                "aria-current", "page"
            )  # opened on the tab that has work
            reviewer.get_by_role("link", name="Start reviewing").click()
        expect(rita.get_by_label("Name as heard")).to_be_focused()
        shot(rita, "20-name-check-keyboard")
        seen: dict[str, list[str]] = {"rita": [], "sam": []}
        seen["rita"].append(confirm_by_keyboard(rita, ["1", "Enter"]))  # a suggestion
        seen["sam"].append(confirm_by_keyboard(sam, ["Enter"]))
        rita.keyboard.type("Lies Peters")  # typing replaces the selected reading
        seen["rita"].append(confirm_by_keyboard(rita, ["Enter"]))
        seen["rita"].append(confirm_by_keyboard(rita, ["0"]))  # no name given
        while len(seen["rita"]) < 20:
            seen["rita"].append(confirm_by_keyboard(rita, ["Enter"]))
            if len(seen["sam"]) < 4:
                seen["sam"].append(confirm_by_keyboard(sam, ["Enter"]))
        assert not set(seen["rita"]) & set(seen["sam"])  # never the same item
        expect(confirmed).to_have_text("23", timeout=15_000)  # the overview polls; 1 no-name
        expect(ann.locator("[data-live='names.missing']")).to_have_text("1")
        shot(ann, "21-overview-names")
        with db.session() as s:
            statuses = dict(
                s.execute(
                    sa.select(Signature.name_status, sa.func.count()).group_by(
                        Signature.name_status
                    )
                ).all()
            )
        assert statuses == {"confirmed": 23, "missing": 1, "to_check": 2}

        ann.goto(f"{live_url}/staff/c/glenn/export")
        with ann.expect_download() as download:
            ann.locator("a[href$='export.pdf']").click()
        pdf = tmp_path / "glenn.pdf"
        download.value.save_as(pdf)
        cover = subprocess.run(
            ["pdftotext", "-l", "1", "-layout", str(pdf), "-"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        assert "23 of 26 names confirmed by a person" in cover
        subprocess.run(
            ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "3", str(pdf),
             str(ARTIFACTS / "22-pdf")],
            check=True,
        )  # fmt: skip
    finally:
        for context in contexts:
            context.close()


def test_a_reviewer_listens_to_a_same_audio_group_rejects_it_and_previews_a_bulk_invalidation(
    settings: Settings, db: Database, live_url: str, page: Page, clips: Clips
) -> None:
    sign(settings, db, "+32470120001", clips.original)
    for i, clip in enumerate(clips.replays[:4]):
        sign(settings, db, f"+3247012010{i}", clip)
    sign(settings, db, "+32485000109", clips.ordinary[0], postcode="1000")
    sign(settings, db, "+32470120011", clips.ordinary[1], postcode="9000")
    add_user(db, "rita@example.org", "reviewer")
    sign_in(page, live_url, "/staff/c/glenn/review", "rita@example.org")
    expect(page.get_by_role("link", name="One voice from 5 numbers")).to_be_visible()
    shot(page, "30-review-queue-with-a-same-audio-group")
    page.get_by_role("link", name="Start reviewing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("5 recordings, one voice")
    players = page.locator("audio")
    expect(players).to_have_count(5)
    for i in (0, 3):  # listen to two of them: they really play
        players.nth(i).evaluate("a => { a.muted = true; return a.play(); }")
        page.wait_for_function(
            "i => { const a = document.querySelectorAll('audio')[i];"
            " return a.readyState >= 2 && a.duration > 0.5 && a.currentTime > 0; }",
            arg=i,
            timeout=10_000,
        )
    shot(page, "31-same-audio-group")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Reject all 5 as one voice replayed").click()
    expect(page.get_by_text("Rejected as one voice: 5.")).to_be_visible()
    expect(page.get_by_role("button", name="Undo")).to_have_count(1)
    shot(page, "32-group-rejected-bulk-page")
    with db.session() as s:
        reasons = s.execute(
            sa.select(Signature.state, Signature.reason, sa.func.count()).group_by(
                Signature.state, Signature.reason
            )
        ).all()
    assert sorted(tuple(r) for r in reasons) == [
        ("counted", None, 2),
        ("rejected", "same_audio", 5),
    ]

    page.get_by_label("Number range").fill("+32 470 12")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Would be rejected: 1 (in the count now: 1;")
    expect(preview.get_by_role("row", name="Flemish Region")).to_contain_text("−1")
    expect(page.get_by_label("Reason for the invalidation")).to_have_value("burst")
    shot(page, "33-bulk-preview")
