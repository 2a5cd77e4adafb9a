"""Export for parliament from the dashboard."""

from __future__ import annotations

import csv
import io
import zipfile

from flask.testing import FlaskClient

from petition.config import Settings
from petition.db import Database
from tests.ivr.test_staff import arrive, signed_in


def download(client: FlaskClient, path: str) -> bytes:
    """A streamed download, read whole and closed (which removes its temporary file)."""
    with client.get(path) as response:
        assert response.status_code == 200
        return response.get_data()


def test_a_reviewer_downloads_the_petition_without_phone_numbers(
    client: FlaskClient, db: Database, settings: Settings, campaign: int
) -> None:
    arrive(settings, db, "+32470000301", "Je m'appelle Sophie Dubois", language="fr")
    signed_in(client, db, "reviewer")
    assert client.get("/staff/c/glenn/export").status_code == 200
    body = client.get("/staff/c/glenn/export.csv").data.decode()  # the first language: Dutch
    assert [r["Naam"] for r in csv.DictReader(io.StringIO(body))] == ["Sophie Dubois"]
    body = client.get("/staff/c/glenn/export.csv?lang=fr").data.decode()
    assert [r["Nom"] for r in csv.DictReader(io.StringIO(body))] == ["Sophie Dubois"]
    pdf = client.get("/staff/c/glenn/export.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    bundle = download(client, "/staff/c/glenn/export.zip")
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        names = set(zf.namelist())
        assert {"glenn/glenn.pdf", "glenn/glenn.csv", "glenn/glenn.json"} <= names
        assert "glenn/manifest.json" in names
        for name in names:
            assert b"470000301" not in zf.read(name)
    # Same data, same bytes.
    assert download(client, "/staff/c/glenn/export.zip") == bundle


def test_a_viewer_cannot_export(client: FlaskClient, db: Database, campaign: int) -> None:
    signed_in(client, db, "viewer")
    assert client.get("/staff/c/glenn/export.csv").status_code == 403
    assert client.get("/staff/c/glenn/export").status_code == 403


def test_a_visitor_is_sent_to_sign_in(client: FlaskClient, campaign: int) -> None:
    response = client.get("/staff/c/glenn/export.pdf")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
