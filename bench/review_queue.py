"""The name-check queue driven from the keyboard in Chromium: keys and seconds per name.

Forty calls of the evaluation set's holdout half (bench/evalset.py) arrive as Whisper heard
them (from bench/namecheck.py's transcript cache) in a campaign that sends every name to a
person. A scripted reviewer who knows what each caller said works the queue in Chromium with the
keyboard alone, as a volunteer would:
- the reading is right: Enter;
- a suggestion is right: its digit, then Enter;
- otherwise: type the name, then Enter; no name said: 0.

Printed: keypresses per confirmed name (median and mean), the tool's own seconds per name (the
decision posted and the next item on screen; a person adds the time to listen, at least the
length of the recording), and how often a recording was asked for while the previous item was
on screen (the preloading).
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from bench import evalset
from bench import namecheck as eval_bench
from ivr.app import create_app
from petition.config import load_settings
from petition.counting.rules import decide
from petition.db import Database
from petition.line import calls
from petition.models import Campaign, CampaignNumber
from petition.operations import users

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
PASSWORD = "bench password 123"  # noqa: S105 (a throwaway account in a temporary database)
NUMBER = "+3220000099"
ITEMS = 40
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _seed(db: Database, settings_key: str, recordings: Path) -> dict[str, str | None]:
    """Queue ITEMS holdout calls as heard; return each signature's true name by public id."""
    calls_ = evalset.load_manifest(split="holdout")
    outcomes = eval_bench.transcribe_all(evalset.load_manifest())
    heard = {o.call.id: o.heard for o in outcomes}
    truth: dict[str, str | None] = {}
    with db.session() as s:
        campaign = Campaign(
            slug="bench",
            title="Review queue bench",
            languages="nl,fr,de,en",
            check_every_name=True,
            numbers=[CampaignNumber(number=NUMBER)],
        )
        s.add(campaign)
        s.flush()
        for i, call in enumerate(c for c in calls_ if heard[c.id].text):
            if len(truth) == ITEMS:
                break
            arrival = calls.register_recording(
                s,
                call_sid=f"CA{i:032d}",
                recording_sid=f"RE{i:032d}",
                url=f"https://api.twilio.com/x/RE{i}",
                duration=3,
                dialled=NUMBER,
                caller=f"+3247{i:07d}",
                hash_key=settings_key,
            )
            arrival.recording.call.language = call.language
            path = recordings / str(campaign.id) / call.file
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(Path(call.directory or evalset.default_dir()) / call.file, path)
            arrival.recording.storage_path = str(path)
            sig = decide(s, arrival.signature, heard[call.id], actor="worker")
            if sig.state == "counted":
                truth[sig.public_id] = call.name.full if call.name else None
    return truth


def _keys_for(reading: str, suggestions: list[str], said: str | None) -> list[str]:
    if said is None:
        return ["0"]
    if reading == said:
        return ["Enter"]
    if said in suggestions:
        return [str(suggestions.index(said) + 1), "Enter"]
    # The reading is selected: typing replaces it.
    return [*said, "Enter"]


def run() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="petition-bench-review-"))
    settings = load_settings(
        {
            "DATA_DIR": str(tmp),
            "REDIS_URL": REDIS_URL,
            "PUBLIC_BASE_URL": "",
            "SECRET_KEY": "bench",
            "PHONE_HASH_KEY": "bench",
        }
    )
    db = Database(settings.database_url)
    db.migrate()
    truth = _seed(db, settings.phone_hash_key, settings.recordings_dir)
    with db.session() as s:
        users.create_user(s, "reviewer@example.org", "reviewer", PASSWORD)
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    keys: list[int] = []
    seconds: list[float] = []
    preloaded = 0
    kinds = {"as heard": 0, "suggestion": 0, "typed": 0, "no name": 0}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        # When each recording was first asked for: before its page, it was preloaded.
        asked: dict[str, float] = {}
        page.on(
            "request",
            lambda request: asked.setdefault(request.url.split("?")[0], time.perf_counter()),
        )
        page.goto(f"{base}/staff/login")
        page.get_by_label("E-mail address").fill("reviewer@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        arrived = time.perf_counter()
        page.goto(f"{base}/staff/c/bench/review/next?tab=names")
        while True:
            heading = page.get_by_role("heading", level=1).inner_text()
            if not heading.startswith("Signature "):
                break
            here = heading.rsplit(" ", 1)[-1]
            audio = f"{base}/staff/c/bench/s/{here}/audio"
            preloaded += audio in asked and asked[audio] < arrived
            reading = page.get_by_label("Name as heard").input_value()
            options = page.locator("[data-suggestion]").evaluate_all(
                "els => els.map(e => e.dataset.suggestion)"
            )
            pressed = _keys_for(reading, options, truth.get(here))
            kinds[
                "no name"
                if pressed == ["0"]
                else "as heard"
                if pressed == ["Enter"]
                else "suggestion"
                if len(pressed) == 2 and pressed[0].isdigit()
                else "typed"
            ] += 1
            t0 = time.perf_counter()
            for key in pressed:
                # One character at a time; type() also takes letters with accents.
                if len(key) == 1 and not key.isdigit():
                    page.keyboard.type(key)
                else:
                    page.keyboard.press(key)
            page.wait_for_function(
                "id => !(document.querySelector('h1')?.textContent || '').endsWith(id)", arg=here
            )
            arrived = time.perf_counter()
            seconds.append(arrived - t0)
            keys.append(len(pressed))
        browser.close()
    server.shutdown()
    done = len(keys)
    print(f"\nreview queue: {done} names confirmed from the keyboard in Chromium")
    print(
        f"  keypresses per name: median {statistics.median(keys):.0f}, mean "
        f"{statistics.mean(keys):.1f} ({', '.join(f'{k} {v}' for k, v in kinds.items())})"
    )
    print(
        f"  seconds per name, the tool's own (post + next page): median "
        f"{statistics.median(seconds):.2f}, max {max(seconds):.2f}"
    )
    print(f"  recording asked for before its page appeared (preloaded): {preloaded} of {done}")
    shutil.rmtree(tmp, ignore_errors=True)
