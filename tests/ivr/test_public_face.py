"""The campaign's public face over HTTP: the page's words and share tags, hostile titles shown as
text, the share image's cache, the poster (its QR code read back by zxing-cpp), the campaign
image upload, `petition poster`, and the campaigns list's two review counts."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from click.testing import CliRunner
from flask.testing import FlaskClient
from PIL import Image

from ivr import public
from ivr.cli import main
from petition.config import Settings
from petition.db import Database
from petition.models import Campaign
from tests.conftest import PUBLIC_BASE_URL
from tests.ivr.test_staff import arrive, csrf, signed_in

pytestmark = pytest.mark.usefixtures("campaign")

HOSTILE = '<script>alert(1)</script> "Stop" l\'abus שלום عالم'


def _set(db: Database, **fields: object) -> None:
    with db.session() as s:
        campaign = s.query(Campaign).one()
        for name, value in fields.items():
            setattr(campaign, name, value)
    public.clear_cache()


def qr_texts(png: bytes) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def pdf_pages_png(pdf: bytes, tmp_path: Path, dpi: int = 100) -> bytes:
    source = tmp_path / "poster.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(source), str(tmp_path / "page")],
        check=True,
    )
    return (tmp_path / "page.png").read_bytes()


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "text.pdf"
    source.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_the_page_tells_what_a_call_does_and_keeps_and_carries_share_previews(
    client: FlaskClient, db: Database
) -> None:
    _set(
        db,
        description="Kinderen verdienen bescherming.",
        organisation_name="Gezinsbond",
        organisation_contact="privacy@gezinsbond.be",
        ask_postcode=True,
        retention_days=60,
    )
    page = client.get("/p/glenn/?lang=nl").data.decode()
    assert '<a class="call-button" href="tel:+3220000001">' in page
    assert "Met een vaste lijn in België belt u 02\u00a0000\u00a000\u00a001." in page
    assert "Toets uw postcode in" in page  # the steps follow the campaign's own call
    assert "Het gesprek duurt ongeveer 1 minuut." in page  # no read-back here
    assert "De opname wordt na hoogstens 60 dagen gewist." in page
    assert "Schrijf naar Gezinsbond (privacy@gezinsbond.be)" in page
    for code in ("nl", "fr", "de", "en"):
        assert (
            f'<link rel="alternate" hreflang="{code}" '
            f'href="{PUBLIC_BASE_URL}/p/glenn/?lang={code}">' in page
        )
    # Versioned by the count's step, so a network's cached copy is replaced when it moves.
    share = f"{PUBLIC_BASE_URL}/p/glenn/share.png?lang=nl&amp;v=0"
    assert f'<meta property="og:image" content="{share}">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert '<meta property="og:description" content="Kinderen verdienen bescherming.">' in page
    # Nothing from another host: every src and href is this site's, or a tel: link.
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert url.startswith(("/", f"{PUBLIC_BASE_URL}/", "tel:", "data:")), url
    resp = client.get("/p/glenn/?lang=nl")
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert "connect-src 'self'" in resp.headers["Content-Security-Policy"]
    # The campaign's languages only; a visitor asking another gets the campaign's first.
    _set(db, languages="fr,nl")
    assert '<html lang="fr">' in client.get("/p/glenn/?lang=de").data.decode()


def test_the_widget_moved_to_embed_and_the_overview_snippet_follows(
    client: FlaskClient, db: Database
) -> None:
    widget = client.get("/p/glenn/embed?lang=en")
    assert widget.status_code == 200 and "Sign by phone: call" in widget.data.decode()
    assert "frame-ancestors" not in widget.headers["Content-Security-Policy"]
    signed_in(client, db, "viewer")
    overview = client.get("/staff/c/glenn/").data.decode()
    assert f'iframe src="{PUBLIC_BASE_URL}/p/glenn/embed"' in overview
    assert "/staff/c/glenn/poster.pdf?lang=fr&amp;size=A3" in overview


def test_a_closed_campaign_says_so_with_its_final_count(
    settings: Settings, client: FlaskClient, db: Database
) -> None:
    arrive(settings, db, "+32470000401", "Mijn naam is An Peeters")
    _set(db, is_open=False)
    page = client.get("/p/glenn/?lang=en").data.decode()
    assert "This petition is closed. Final count: 1 signature." in page
    assert "call-button" not in page


def test_a_campaign_with_a_helpline_tells_visitors_and_poster_readers_how_to_reach_it(
    client: FlaskClient, db: Database, tmp_path: Path
) -> None:
    assert "help-offer" not in client.get("/p/glenn/?lang=en").data.decode()
    _set(db, helpline="+32116000", offer_helpline=True)
    page = client.get("/p/glenn/?lang=en").data.decode()
    assert "Need to talk to someone? Press 0 at any time during the call, or call 116 000." in page
    french = client.get("/p/glenn/?lang=fr").data.decode()
    assert "appelez le 116 000" in french.replace("&#39;", "'")
    signed_in(client, db, "viewer")
    poster = pdf_text(client.get("/staff/c/glenn/poster.pdf?lang=fr").data, tmp_path)
    assert "appelez le 116 000" in " ".join(poster.split())
    _set(db, offer_helpline=False)
    poster = pdf_text(client.get("/staff/c/glenn/poster.pdf?lang=fr").data, tmp_path)
    assert "116 000" not in " ".join(poster.split())


def test_titles_and_descriptions_are_text_on_the_page_the_image_and_the_poster(
    client: FlaskClient, db: Database, tmp_path: Path
) -> None:
    _set(db, title=HOSTILE, description=HOSTILE, organisation_name=HOSTILE)
    page = client.get("/p/glenn/?lang=fr").data.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;Stop&#34; l&#39;abus שלום عالم" in page
    assert '<meta property="og:title" content="&lt;script&gt;alert(1)' in page
    share = client.get("/p/glenn/share.png?lang=fr")
    assert share.status_code == 200 and share.mimetype == "image/png"
    assert Image.open(io.BytesIO(share.data)).size == (1200, 630)
    signed_in(client, db, "viewer")
    poster = client.get("/staff/c/glenn/poster.pdf?lang=fr").data
    text = pdf_text(poster, tmp_path)
    assert "<script>alert(1)</script>" in text and '"Stop"' in text
    # Hebrew and Arabic shaped and laid out right to left: pdftotext reads them in order.
    assert "שלום" in text and "عالم" in text


@pytest.mark.parametrize("size", ["A4", "A3"])
def test_the_posters_qr_code_dials_the_number(
    settings: Settings, client: FlaskClient, db: Database, tmp_path: Path, size: str
) -> None:
    signed_in(client, db, "viewer")
    for lang in ("nl", "fr"):
        resp = client.get(f"/staff/c/glenn/poster.pdf?lang={lang}&size={size}")
        assert resp.status_code == 200 and resp.mimetype == "application/pdf"
        assert qr_texts(pdf_pages_png(resp.data, tmp_path, dpi=72)) == ["tel:+3220000001"]
        text = pdf_text(resp.data, tmp_path)
        assert "+32 2 000 00 01" in text
        assert ("Bel het nummer" if lang == "nl" else "Appelez le numéro") in text
        assert f"{settings.public_base_url}/p/glenn/?lang={lang}" in text
    square = client.get("/staff/c/glenn/poster.png?lang=de")
    assert Image.open(io.BytesIO(square.data)).size == (1080, 1080)
    assert qr_texts(square.data) == ["tel:+3220000001"]
    assert client.get("/staff/c/glenn/poster.pdf?lang=xx").status_code == 404
    assert client.get("/staff/c/glenn/poster.pdf?size=A0").status_code == 404


def test_petition_poster_writes_the_pdf_and_the_square_image(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    env = {
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "PUBLIC_BASE_URL": "https://petitie.example.be",
    }
    out = tmp_path / "poster.pdf"
    result = CliRunner().invoke(
        main,
        ["poster", "--campaign", "glenn", "--language", "fr", "--size", "A3", "--out", str(out)],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "https://petitie.example.be/p/glenn/?lang=fr" in pdf_text(out.read_bytes(), tmp_path)
    square = tmp_path / "poster.png"
    result = CliRunner().invoke(
        main, ["poster", "--campaign", "glenn", "--out", str(square)], env=env
    )
    assert result.exit_code == 0 and qr_texts(square.read_bytes()) == ["tel:+3220000001"]
    result = CliRunner().invoke(
        main, ["poster", "--campaign", "nope", "--out", str(square)], env=env
    )
    assert result.exit_code == 1 and "no campaign nope" in result.output


def _upload(client: FlaskClient, data: bytes, name: str = "photo.jpg") -> str:
    resp = client.post(
        "/staff/c/glenn/image",
        data={"csrf_token": csrf(client), "image": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert resp.status_code == 200
    return resp.data.decode()


def test_the_public_image_is_checked_reencoded_and_refused_clearly(
    settings: Settings, client: FlaskClient, db: Database
) -> None:
    signed_in(client, db, "admin")
    stored = settings.data_dir / "public" / "1" / "image.jpg"
    page = _upload(client, b"<?php echo 'not an image'; ?>", "evil.jpg")
    assert "This file is not an image we can read." in page and not stored.exists()
    page = _upload(client, b"\xff\xd8\xff\xe0" + b"\0" * (20 * 1024 * 1024), "huge.jpg")
    assert "The image is larger than 5 MB." in page and not stored.exists()
    noise = Image.frombytes("RGB", (1400, 1400), bytes(range(256)) * (1400 * 1400 * 3 // 256 + 1))
    big = io.BytesIO()
    noise.save(big, format="BMP")  # a readable picture, but over 5 MB and not a web format
    page = _upload(client, big.getvalue()[: 6 * 1024 * 1024], "big.bmp")
    assert "The image is larger than 5 MB." in page and not stored.exists()
    small = io.BytesIO()
    Image.new("RGB", (80, 80), "red").save(small, format="PNG")
    assert "too small" in _upload(client, small.getvalue()) and not stored.exists()

    photo = Image.new("RGBA", (2400, 1200), (0, 120, 80, 255))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make; a phone's photo also carries GPS
    upload = io.BytesIO()
    photo.convert("RGB").save(upload, format="JPEG", exif=exif.tobytes())
    page = _upload(client, upload.getvalue(), "../../etc/passwd.png")
    assert "Image saved." in page
    with Image.open(io.BytesIO(stored.read_bytes())) as kept:
        assert kept.format == "JPEG" and kept.size == (1600, 800)
        assert not kept.getexif()
    public_page = client.get("/p/glenn/").data.decode()
    src = re.search(r'<img class="picture" src="([^"]+)"', public_page)
    assert src is not None and client.get(src.group(1)).mimetype == "image/jpeg"
    client.post("/staff/c/glenn/image/remove", data={"csrf_token": csrf(client)})
    assert not stored.exists() and 'class="picture"' not in client.get("/p/glenn/").data.decode()


def test_the_campaigns_list_counts_what_waits_for_a_person(
    settings: Settings, client: FlaskClient, db: Database
) -> None:
    arrive(settings, db, "+32470000411", "Mijn naam is An Peeters", confidence=0.3)
    arrive(settings, db, "+32470000412", "Mijn naam is Jan Claes", confidence=0.3)
    arrive(settings, db, None, "Mijn naam is Els Maes")  # withheld: held for review
    signed_in(client, db, "viewer")
    listing = client.get("/staff/").data.decode()
    held = re.search(r'tab=review">(\d+)</a>', listing)
    names = re.search(r'tab=names">(\d+)</a>', listing)
    assert held is not None and held.group(1) == "1"
    assert names is not None and names.group(1) == "2"
    live = client.get("/staff/c/glenn/live.json").get_json()
    assert (live["needs_review"], live["names_waiting"]) == (1, 2)  # as the overview counts
