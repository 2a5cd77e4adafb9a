"""The staff pages in real Chromium: sign in, watch the count, review a withheld caller by ear.

A live server, simulated calls (espeak-ng voice, signed webhooks) and an in-process worker with
the real Whisper model, as in test_pipeline.py. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from ivr.simulator import RecordingServer, SimulatedCall, simulate_call
from petition.config import Settings
from petition.db import Database
from petition.models import AuditEvent, Campaign, Signature
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, CAMPAIGN_NUMBER, make_settings, run_worker
from tests.conftest_audio import Clips
from tests.integrity.test_integrity import sign
from tests.ivr.test_staff import PASSWORD, add_user, arrive, phone_wav

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("campaign")]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
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


def call(  # type: ignore[no-untyped-def]
    settings: Settings,
    live_url: str,
    wav: Path,
    caller: str,
    transcriber,
    *,
    dialled: str = CAMPAIGN_NUMBER,
    language: str = "fr",
    postcode: str | None = None,
) -> SimulatedCall:
    """A simulated call; the worker (when given a transcriber) transcribes and decides it while
    its recording is served."""
    with RecordingServer(wav, ACCOUNT_SID, AUTH_TOKEN) as server:
        heard = simulate_call(
            settings,
            base_url=live_url,
            dialled=dialled,
            caller=caller,
            language=language,
            server=server,
            postcode=postcode,
            wait_for_fetch=0,
        )
        if transcriber is not None:
            run_worker(settings, transcriber)
    return heard


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
    count = page.locator(".big [data-live='signatures']")
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
    expect(page.locator(".big [data-live='signatures']")).to_have_text("2")
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
        ("new-campaign", "/staff/campaigns/new"),
        ("overview", "/staff/c/glenn/"),
        ("details", "/staff/c/glenn/details"),
        ("review", "/staff/c/glenn/review"),
        ("name-checks", "/staff/c/glenn/review?tab=names"),
        ("name-check", f"/staff/c/glenn/s/{unsure.public_id}?tab=names"),
        ("signatures", "/staff/c/glenn/signatures"),
        ("settings", "/staff/c/glenn/settings"),
        ("export", "/staff/c/glenn/export"),
        ("audit", "/staff/c/glenn/audit"),
        ("account", "/staff/account"),
    ]
    languages = (("nl", "Campagnes"), ("fr", "Campagnes"), ("de", "Kampagnen"), ("en", "Campaigns"))
    for lang, heading in languages:
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
    for lang in ("nl", "fr", "de", "en"):
        page.goto(f"{live_url}/p/glenn/?lang={lang}")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Better online protection of minors"
        )
        shot(page, f"11-public-{lang}")


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
        confirmed = ann.locator("dd[data-live='names.confirmed']")
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
        expect(ann.locator("dd[data-live='names.missing']")).to_have_text("1")
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
            ann.locator("a[href*='export.pdf']").click()
        pdf = tmp_path / "glenn.pdf"
        download.value.save_as(pdf)
        cover = subprocess.run(
            ["pdftotext", "-l", "1", "-layout", str(pdf), "-"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        assert "23 van 26 namen bevestigd door een mens" in cover  # the first language: Dutch
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
    shot(page, "40-review-queue-with-a-same-audio-group")
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
    shot(page, "41-same-audio-group")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Reject all 5 as one voice replayed").click()
    expect(page.get_by_text("Rejected as one voice: 5.")).to_be_visible()
    expect(page.get_by_role("button", name="Undo")).to_have_count(1)
    shot(page, "42-group-rejected-bulk-page")
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
    shot(page, "43-bulk-preview")


# --- launching a campaign from the staff pages ------------------------------------------------

KAMER_NUMBER = "+3220000005"


def launch(page: Page, live_url: str) -> None:
    """An admin creates a campaign for the Chamber in the staff pages."""
    page.goto(live_url + "/staff/")
    page.get_by_role("link", name="New campaign").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New campaign")
    page.get_by_label("Title").fill("Bescherm minderjarigen online")
    page.get_by_label("Description").fill(
        "Wij vragen de Kamer om minderjarigen beter te beschermen tegen het delen van beelden."
    )
    page.get_by_label("Short name").fill("kamer")
    page.get_by_label("Phone numbers").fill("02 000 00 05")
    page.get_by_label("Organisation").fill("Child Focus")
    page.get_by_label("Contact").fill("info@childfocus.be")
    page.get_by_role("button", name="Create the campaign").click()
    expect(page).to_have_url(live_url + "/staff/c/kamer/")
    expect(page.get_by_text("Campaign created. Its line is open.")).to_be_visible()


@pytest.mark.whisper
def test_an_admin_launches_a_chamber_campaign_and_a_call_from_2000_moves_the_flemish_bar(
    settings: Settings,
    db: Database,
    live_url: str,
    page: Page,
    transcriber,
    speech,  # type: ignore[no-untyped-def]
) -> None:
    add_user(db, "ann@example.org", "admin")
    sign_in(page, live_url, "/staff/", "ann@example.org")
    page.get_by_role("link", name="New campaign").click()
    rule = page.get_by_label("Rule", exact=True)
    expect(rule).to_have_value("be-chamber")  # the Chamber is the first choice
    postcode = page.get_by_label("Ask for the postcode (4 digits on the keypad)")
    expect(postcode).to_be_checked()  # its regional minimums need a postcode
    rule.select_option("flemish-parliament")
    expect(postcode).not_to_be_checked()  # no regions, no postcode by default
    rule.select_option("be-chamber")
    expect(postcode).to_be_checked()
    shot(page, "30-new-campaign")
    launch(page, live_url)
    with db.session() as s:
        kamer = s.scalar(sa.select(Campaign).where(Campaign.slug == "kamer"))
        assert kamer is not None and kamer.ask_postcode and kamer.rule_key == "be-chamber"
        assert [n.number for n in kamer.numbers] == [KAMER_NUMBER]
        created = s.scalar(sa.select(AuditEvent).where(AuditEvent.action == "campaign_created"))
        assert created is not None and created.actor == "ann@example.org"

    flemish = page.locator("progress[data-region='flanders']")
    expect(flemish).to_have_js_property("value", 0)
    shot(page, "31-overview-before-the-call")
    wav = speech("Mijn naam is Jan Peeters", "nl")
    heard = call(settings, live_url, wav, "+32470555001", transcriber,
                 dialled=KAMER_NUMBER, language="nl", postcode="2000")  # fmt: skip
    assert heard.postcode_asked and "keys: 2000" in heard.transcript
    # The page polls; nobody reloads it. One signature of 14,500 still shows on the bar.
    page.wait_for_function(
        "() => document.querySelector(\"progress[data-region='flanders']\").value > 0",
        timeout=20_000,
    )
    expect(page.locator("[data-live='region.flanders.count']")).to_have_text("1")
    shot(page, "32-overview-after-a-call-from-2000")
    with db.session() as s:
        signed = s.scalar(sa.select(Signature).where(Signature.postcode == "2000"))
        assert signed is not None and signed.region == "flanders" and signed.state == "counted"


def test_the_dutch_export_page_gives_a_dutch_pdf_and_the_french_public_page_a_number_to_call(
    settings: Settings, db: Database, live_url: str, browser: Browser, tmp_path: Path
) -> None:
    add_user(db, "ann@example.org", "admin")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, live_url, "/staff/", "ann@example.org")
        launch(page, live_url)
        for i, (name, postcode) in enumerate(
            [("Els Wouters", "2000"), ("Luc Dupont", "4000"), ("Sofie Maes", "1000")]
        ):
            arrive(settings, db, f"+3247055501{i}", f"Mijn naam is {name}",
                   dialled=KAMER_NUMBER, postcode=postcode)  # fmt: skip
        page.goto(f"{live_url}/staff/language/nl?next=/staff/c/kamer/export")
        expect(page.get_by_role("heading", level=1)).to_have_text("Export voor het parlement")
        expect(page.get_by_label("Taal van de pdf en het rekenblad")).to_have_value("nl")
        shot(page, "33-nl-export")
        covers = {}
        for lang in ("nl", "fr"):
            page.get_by_label("Taal van de pdf en het rekenblad").select_option(lang)
            page.get_by_role("button", name="Kiezen").click()
            with page.expect_download() as download:
                page.get_by_role("link", name="Petitie als pdf").click()
            pdf = tmp_path / f"kamer-{lang}.pdf"
            download.value.save_as(pdf)
            covers[lang] = " ".join(
                subprocess.run(
                    ["pdftotext", "-l", "1", str(pdf), "-"],
                    check=True, capture_output=True, text=True,
                ).stdout.split()
            )  # fmt: skip
            subprocess.run(
                ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf),
                 str(ARTIFACTS / f"34-pdf-cover-{lang}")],
                check=True,
            )  # fmt: skip
        for words in ("Getelde telefonische handtekeningen", "Vlaams Gewest", "Gemaakt door Child "
                      "Focus", "Geëxporteerd door ann@example.org", "Belgische Kamer van "
                      "volksvertegenwoordigers", "Hoe de handtekeningen verzameld"):  # fmt: skip
            assert words in covers["nl"], words
        assert "Signatures par téléphone comptées" in covers["fr"]
        assert "Région flamande" in covers["fr"] and "Réalisé par Child Focus" in covers["fr"]

        page.goto(f"{live_url}/p/kamer/?lang=fr")
        expect(page.get_by_role("heading", level=1)).to_have_text("Bescherm minderjarigen online")
        tel = page.locator(f"a[href='tel:{KAMER_NUMBER}']")
        expect(tel).to_contain_text("+32 2 000 00 05")
        expect(page.locator(".count")).to_contain_text("25\u202f000")  # as French writes it
        expect(page.locator(".count")).to_contain_text("sur 25")
        shot(page, "35-fr-public-page")
        page.goto(f"{live_url}/p/kamer/?lang=nl")
        expect(page.locator(".count")).to_contain_text("van 25.000")
        shot(page, "35-nl-public-page")
    finally:
        context.close()


def test_a_closing_date_in_the_past_closes_the_line_for_the_next_call(
    settings: Settings, db: Database, live_url: str, page: Page, tmp_path: Path
) -> None:
    add_user(db, "ann@example.org", "admin")
    sign_in(page, live_url, "/staff/c/glenn/details", "ann@example.org")
    closes = page.get_by_label("Closes on")
    closes.fill("2020-01-01T12:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Campaign details saved.")).to_be_visible()
    expect(closes).to_have_value("2020-01-01T12:00")  # typed in Brussels time, shown so again
    with db.session() as s:
        glenn = s.scalar(sa.select(Campaign).where(Campaign.slug == "glenn"))
        assert glenn is not None and glenn.closes_at == datetime(2020, 1, 1, 11, 0)  # UTC
        changed = s.scalar(sa.select(AuditEvent).where(AuditEvent.action == "campaign_changed"))
        assert changed is not None and changed.after == {"closes_at": "2020-01-01T11:00:00"}
    page.get_by_role("link", name="Overview", exact=True).click()
    expect(page.locator(".title-row .badge")).to_have_text("Ended")
    shot(page, "36-overview-closed-by-its-date")

    heard = call(settings, live_url, phone_wav(tmp_path / "tone.wav"), "+32470555003", None)
    assert heard.recording_sid is None  # no beep, no recording
    played = [line for line in heard.transcript if line.startswith("Play:")]
    assert played and all(line.endswith("/closed.wav") for line in played)
