"""The public page in real Chromium at 360 px and 1280 px: the call button dials, the count moves
after a call without a reload, the language links, no request to another host, and no serious
or critical accessibility violation (axe-core, injected by Playwright)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from ivr import public
from petition.config import Settings
from petition.db import Database
from petition.models import Campaign
from tests.ivr.test_browser import ARTIFACTS, browser, database_url, settings, shot  # noqa: F401
from tests.ivr.test_staff import arrive

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("campaign")]

WIDTHS = [360, 1280]


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def width(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def visitor(browser: Browser, width: int) -> Iterator[tuple[Page, list[str]]]:  # noqa: F811
    """A phone-sized or desktop tab, and every URL it requests."""
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="nl-BE")
    tab = context.new_page()
    requested: list[str] = []
    errors: list[str] = []
    tab.on("request", lambda req: requested.append(req.url))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab, requested
    context.close()
    assert errors == []


def _campaign(db: Database) -> None:
    with db.session() as s:
        c = s.query(Campaign).one()
        c.description = (
            "Kinderen zijn online te weinig beschermd. Met uw stem vragen we het parlement "
            "om duidelijke regels voor platformen."
        )
        c.organisation_name = "Gezinsbond"
        c.organisation_contact = "privacy@gezinsbond.be"
    public.clear_cache()


def test_the_page_dials_counts_live_switches_language_and_stays_on_its_host(
    settings: Settings,  # noqa: F811
    db: Database,
    live_url: str,
    visitor: tuple[Page, list[str]],
    width: int,
) -> None:
    _campaign(db)
    page, requested = visitor
    page.goto(f"{live_url}/p/glenn/")
    assert page.evaluate("document.documentElement.lang") == "nl"  # the browser's language
    button = page.locator("a.call-button")
    expect(button).to_have_attribute("href", "tel:+3220000001")
    expect(button).to_contain_text("+32 2 000 00 01")
    # The call button is on the first screen, also on a phone.
    box = button.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 800
    # Nothing runs sideways off a phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"public-nl-{width}")

    count = page.locator("[data-live='signatures']")
    expect(count).to_have_text("0")
    arrive(settings, db, "+32470000501", "Mijn naam is An Peeters")
    public.clear_cache()  # progress.json's own 10-second cache is not what this test waits for
    expect(count).to_have_text("1", timeout=30_000)  # the page polls; nobody reloads it
    expect(page.locator("[data-live-words]")).to_have_text("handtekening")

    page.get_by_role("navigation", name="Talen").get_by_role("link", name="Français").click()
    expect(page).to_have_url(f"{live_url}/p/glenn/?lang=fr")
    assert page.evaluate("document.documentElement.lang") == "fr"
    expect(page.get_by_role("heading", name="Comment ça marche")).to_be_visible()
    current = page.get_by_role("link", name="Français")
    expect(current).to_have_attribute("aria-current", "page")
    shot(page, f"public-fr-{width}")

    own = urlsplit(live_url).netloc
    assert requested and all(urlsplit(url).netloc == own for url in requested), requested

    # axe-core on the page as a visitor sees it: no serious or critical violation.
    results = Axe().run(page)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == []
