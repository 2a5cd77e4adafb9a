"""The product in nl, fr, de and en: complete catalogs, numbers and dates per locale, the
public page and badge in the visitor's language, and API errors a program can read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from petition.catalogs import problems
from petition.db import Database
from petition.i18n import Localizer
from petition.models import Campaign
from tests.counting.test_counting import arrive, hear

ROOT = Path(__file__).resolve().parents[2]


def test_every_catalog_translates_every_text_of_the_code_and_is_compiled() -> None:
    # Extracts every marked text from the code and the templates, as `python -m
    # petition.catalogs update` does, and checks nl, fr and de against it.
    assert problems() == []


def test_the_domain_package_imports_no_web_framework() -> None:
    for path in (ROOT / "petition").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )  # fmt: skip
            for name in names:
                assert not name.startswith(("flask", "ivr")), (path, name)


@pytest.mark.parametrize(
    ("language", "written"),
    [("nl", "25.000"), ("fr", "25\u202f000"), ("de", "25.000"), ("en", "25,000")],
)
def test_numbers_are_written_the_way_each_language_writes_them(language: str, written: str) -> None:
    assert Localizer(language).number(25_000) == written


def test_plurals_follow_each_languages_rules() -> None:
    one, many = "%(num)s day", "%(num)s days"
    assert Localizer("en").ngettext(one, many, 1) == "1 day"
    assert Localizer("nl").ngettext(one, many, 2) == "2 dagen"
    assert Localizer("fr").ngettext(one, many, 0) == "0 jour"  # French: 0 is singular
    assert Localizer("de").ngettext(one, many, 1) == "1 Tag"


@pytest.mark.usefixtures("campaign")
def test_the_public_page_recruits_in_the_visitors_language(
    client: FlaskClient, db: Database
) -> None:
    with db.session() as s:
        campaign = s.query(Campaign).one()
        campaign.description = "Pour une meilleure protection des mineurs en ligne."
    hear(db, arrive(db, "+32470000301"), "Je m'appelle Sophie Dubois")
    page = client.get("/p/glenn/?lang=fr").data.decode()
    assert '<html lang="fr">' in page
    assert "Pour une meilleure protection des mineurs en ligne." in page
    assert 'href="tel:+3220000001"' in page and "+32 2 000 00 01" in page
    assert "sur 25\u202f000" in page and '"signatures">1</strong>' in page
    assert 'data-other="signatures">signature</span>' in page  # French: 1 signature
    assert 'value="1.5"' in page  # one signature is a bar one can see
    # Accept-Language when there is no ?lang=
    dutch = client.get("/p/glenn/", headers={"Accept-Language": "nl-BE,nl;q=0.9"})
    assert "van 25.000" in dutch.data.decode() and dutch.headers["Vary"] == "Accept-Language"


@pytest.mark.usefixtures("campaign")
def test_the_public_page_says_why_regions_stay_empty_without_the_postcode_step(
    client: FlaskClient,
) -> None:
    page = client.get("/p/glenn/?lang=en").data.decode()
    assert "Flemish Region" in page
    assert "does not ask callers for their postcode" in page


@pytest.mark.usefixtures("campaign")
def test_the_badge_says_signatures_in_its_language_and_the_campaign_when_asked(
    client: FlaskClient, db: Database
) -> None:
    hear(db, arrive(db, "+32470000302"), "Je m'appelle Sophie Dubois")
    hear(db, arrive(db, "+32470000303"), "Mijn naam is Jan Peeters")
    badge = client.get("/p/glenn/badge.svg?lang=nl").data.decode()
    assert "2 / 25.000 handtekeningen" in badge
    assert "Better online protection" not in badge
    named = client.get("/p/glenn/badge.svg?lang=fr&title=1").data.decode()
    assert "Better online protection of minors" in named and "signatures" in named


@pytest.mark.usefixtures("campaign")
def test_api_errors_are_json(client: FlaskClient) -> None:
    missing = client.get("/api/campaigns/glenn/stats")
    assert missing.status_code == 401 and missing.is_json
    assert missing.get_json() == {"error": "Unauthorized", "status": 401}
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    nowhere = client.get("/api/nothing/here")
    assert nowhere.status_code == 404 and nowhere.get_json()["status"] == 404
    assert client.post("/api/campaigns/glenn/stats").get_json()["status"] == 405
    # Elsewhere the pages stay pages.
    assert not client.get("/nothing/here").is_json
