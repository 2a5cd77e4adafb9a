"""Read-back in the call, measured: how many names the callers confirm themselves, how many of
those are right, what is left for people, and how long a caller waits for the read-back.

    python -m bench --only readback [--readback-calls N]

**Names** (offline, on the evaluation set's held-out half, bench/evalset.py). Each call as
Whisper heard it (the name-check bench's cached transcripts: one recording alone at beam 5,
as the live lane decodes it) goes through the read-back the way the call does
(petition.names.readback, petition.names.keypad), answered by the simulated caller of
`petition simulate-call` (ivr.simulator.Caller, "close": 1 when the surname read back is
theirs letter by letter and the given name sounds like theirs, else 2 and the surname on the
keypad; 1 on a spelling that is theirs). Beside it, in the same run, the pipeline without
read-back: the name check alone. Two pools:
- the lexicon's: the names as the set says them (all from the lexicon);
- outside the lexicon: the same calls with every caller's own surname and given name held out
  of the lexicon and the letter model, as for a caller whose name no list holds.
"Right" means the same letters as what was said, case, accents, spaces, hyphens and
apostrophes aside. Keys per review: a reviewer who knows the name (as in the review bench)
presses Enter for a right reading, a digit and Enter for a right suggestion, else types it;
with the keypad evidence the suggestions are only names that fit the caller's keys.

**Seconds added to a call** are modelled: the wait below (its median), plus the prompts the
caller heard spoken by espeak-ng at its default pace (a carrier's voice is about as fast),
1.5 s to answer each question and 0.4 s per key.

**The wait** (live): the service on this machine (waitress, one `petition worker`, SQLite,
Redis) and N simulated callers of the held-out half, one starting every 3 s (normal load: a
few calls at once), each waiting for its read-back in the one-second pauses of the call. The
wait is from the end of the recording (the record action) to the read-back's question; the
simulator does not speak, so a real caller's "one moment" (about a second) overlaps it.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis
import sqlalchemy as sa

from audio.model import resolve_model
from audio.synth import synthesize
from bench import evalset
from bench.loopback import REDIS_URL, free_port, wait_for_port
from bench.namecheck import Outcome, transcribe_all
from bench.webhooks import percentile
from ivr import twiml
from ivr.simulator import Caller, RecordingServer, simulate_call
from petition.config import load_settings
from petition.db import Database
from petition.i18n import Localizer
from petition.models import Campaign, CampaignNumber, Recording, Signature
from petition.names import keypad, lexicon, namecheck, readback

NUMBER = "+3220000001"
ANSWER_SECONDS = 1.5  # to hear a question out and press 1 or 2
KEY_SECONDS = 0.4  # per key while spelling
LIVE_GAP_SECONDS = 3.0  # normal load: a call starts every 3 s


def same_letters(a: str | None, b: str | None) -> bool:
    return bool(a and b) and keypad.letters_of(a or "") == keypad.letters_of(b or "")


@dataclass
class Ending:
    """Where one call's name ends: its status, the name, and what the caller did."""

    status: str  # caller, machine or to_check
    name: str | None
    right: bool
    keys: dict[str, str] = field(default_factory=dict)  # keys pressed per part of the name
    heard: list[str] = field(default_factory=list)  # what the read-back said, to time it
    answers: int = 0  # questions answered with 1 or 2
    typed: int = 0  # keys pressed to spell


def without_read_back(o: Outcome) -> Ending:
    result = namecheck.check(o.heard, o.call.language)
    said = o.call.name.full if o.call.name else None
    status = "machine" if result.clear else "to_check"
    return Ending(status, result.name, same_letters(result.name, said))


def through_read_back(o: Outcome, held_out: frozenset[str], *, exact: bool = True) -> Ending:
    """The call's read-back, step by step as ivr/readback.py takes it, with a listening caller
    (who, with `exact` False, hangs up rather than key the letters two keys a letter)."""
    before = without_read_back(o)
    truth = o.call.name
    said = truth.full if truth else None
    caller = Caller(
        language=o.call.language,
        name=said,
        given=truth.given if truth else None,
        surname=truth.surname if truth else None,
    )
    loc = Localizer(o.call.language)
    end = Ending(before.status, before.name, before.right)
    name = before.name
    if name is not None:
        surname_letters = readback.letters(readback.surname_of(name))
        end.heard.append(
            loc.gettext(twiml.READ_BACK, name=name, letters=twiml.spelled_out(surname_letters))
        )
        end.answers += 1
        if caller.answers_read_back(name, surname_letters) == "1":
            end.status, end.right = "caller", same_letters(name, said)
            return end
    else:  # the caller spoke, but no name came out of it: the letters at once
        end.heard.append(loc.gettext(twiml.SPELL_UNHEARD))
    for part in readback.PARTS:
        if part == readback.GIVEN:
            given = readback.given_name_of(name)
            if given:
                end.heard.append(
                    loc.gettext(
                        twiml.GIVEN_NAME_CHECK,
                        name=given,
                        letters=twiml.spelled_out(readback.letters(given)),
                    )
                )
                end.answers += 1
                if caller.answers_spelling(part, readback.letters(given)) == "1":
                    break
            end.heard.append(loc.gettext(twiml.SPELL[part]))
        elif name is not None:
            end.heard.append(loc.gettext(twiml.SPELL[part]))
        keys = caller.keys(part)
        end.keys[part], end.typed = keys, end.typed + len(keys) + 1
        found = readback.spellings_of(name, o.call.language, part, keys, held_out=held_out)
        spelling = _offer(end, caller, part, found, loc)
        if spelling is None and exact:  # none was theirs: the letters, two keys a letter
            end.heard.append(loc.gettext(twiml.SPELL_EXACT))
            pairs = caller.keys(part, exact=True)
            end.typed += len(pairs) + 1
            exact = readback.exact_spelling(pairs)
            spelling = _offer(end, caller, part, [exact] if exact else [], loc)
        if spelling is None:  # a person checks, with the keys
            end.status, end.name, end.right = "to_check", name, same_letters(name, said)
            return end
        name = readback.with_part(name, part, spelling)
        end.status, end.name = "caller", name
    end.right = same_letters(end.name, said)
    return end


def _offer(end: Ending, caller: Caller, part: str, found: list[str], loc: Localizer) -> str | None:
    """Spellings read back one by one until the caller presses 1 on one (returned)."""
    for spelling in found:
        letters = readback.letters(spelling)
        end.heard.append(loc.gettext(twiml.SPELLED_CANDIDATE, letters=twiml.spelled_out(letters)))
        end.answers += 1
        if caller.answers_spelling(part, letters) == "1":
            return spelling
    return None


def review_keys(o: Outcome, end: Ending, *, with_keys: bool, held_out: frozenset[str]) -> int:
    """Keys a reviewer who knows the name presses to settle it (as the review bench counts)."""
    said = o.call.name.full if o.call.name else ""
    if same_letters(end.name, said):
        return 1  # Enter
    if with_keys and end.keys.get("surname"):
        options = [
            readback.with_part(end.name, "surname", s)
            for s in readback.spellings_of(
                end.name, o.call.language, "surname", end.keys["surname"], held_out=held_out
            )
        ]
    else:
        options = lexicon.suggest(end.name or "", o.call.language, limit=3)
    if any(same_letters(option, said) for option in options[:3]):
        return 2
    return len(said) + 1


def spoken_seconds(texts: list[str], language: str, cache: dict[str, float]) -> float:
    total = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for text in texts:
            if text not in cache:
                wav = synthesize(text, language, Path(tmp) / "prompt.wav")
                cache[text] = _duration(wav)
            total += cache[text]
    return total


def _duration(wav: Path) -> float:
    import wave

    with wave.open(str(wav)) as w:
        return w.getnframes() / w.getframerate()


def _share(n: int, total: int) -> str:
    return f"{n} ({100 * n / total:.0f} %)" if total else "0"


def names_part(outcomes: list[Outcome], wait_median: float | None) -> None:
    named = [o for o in outcomes if o.call.name is not None]
    pools: dict[str, Callable[[Outcome], frozenset[str]]] = {
        "names from the lexicon": lambda o: frozenset(),
        "names outside the lexicon": lambda o: frozenset(
            p for p in (o.call.name.given, o.call.name.surname) if o.call.name and p
        ),
    }
    durations: dict[str, float] = {}
    for label, held in pools.items():
        before = [without_read_back(o) for o in named]
        after = [through_read_back(o, held(o)) for o in named]
        no_exact = [through_read_back(o, held(o), exact=False) for o in named]
        n = len(named)
        print(f"\n  {label}: {n} held-out calls that said a name")
        ways = (
            ("without read-back", before),
            ("with read-back", after),
            ("  but no exact keys", no_exact),
        )
        for way, ends in ways:
            own = [e for e in ends if e.status in ("caller", "machine")]
            right = sum(e.right for e in own)
            person = [e for e in ends if e.status == "to_check"]
            print(
                f"    {way:18} no staff needed: {_share(len(own), n)}, of those right: "
                f"{_share(right, len(own))}; caller {sum(e.status == 'caller' for e in ends)}, "
                f"machine {sum(e.status == 'machine' for e in ends)}; to a person: "
                f"{_share(len(person), n)}"
            )
        # Left to a person: by the callers who would not key the letters exactly.
        waiting = [(o, e) for o, e in zip(named, no_exact, strict=True) if e.status == "to_check"]
        if waiting:
            plain = [review_keys(o, e, with_keys=False, held_out=held(o)) for o, e in waiting]
            keyed = [review_keys(o, e, with_keys=True, held_out=held(o)) for o, e in waiting]
            print(
                f"    keys per review for the {len(waiting)} left to a person: "
                f"{statistics.mean(plain):.1f} without the keypad evidence, "
                f"{statistics.mean(keyed):.1f} with it (median {statistics.median(plain):.0f} "
                f"/ {statistics.median(keyed):.0f})"
            )
        added = []
        for o, e in zip(named, after, strict=True):
            if not e.heard:
                continue
            talk = spoken_seconds(e.heard, o.call.language, durations)
            added.append(
                (wait_median or 0.0) + talk + ANSWER_SECONDS * e.answers + KEY_SECONDS * e.typed
            )
        if added:
            print(
                f"    seconds the read-back adds to a call (modelled): median "
                f"{statistics.median(added):.1f} s, p95 {percentile(added, 95):.1f} s"
            )


@contextmanager
def _service(tmp: Path) -> Iterator[tuple[str, Database, dict[str, str]]]:
    """Web (waitress) and one worker on this machine, SQLite, the bench's Redis database."""
    redis.Redis.from_url(REDIS_URL).flushdb()
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp / "data"),
        "REDIS_URL": REDIS_URL,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TWILIO_AUTH_TOKEN": "bench-auth-token",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "RECORDING_HOSTS": "127.0.0.1",
        "PETITION_CONFIG": str(tmp / "config.toml"),
        "WHISPER_MODEL": resolve_model(
            "bundled", Path(__file__).resolve().parents[1] / ".cache" / "bench"
        ),
        "LOG_LEVEL": "warning",
    }
    settings = load_settings(env)
    db = Database(settings.database_url)
    db.migrate()
    with db.session() as s:
        s.add(
            Campaign(
                slug="bench",
                title="Bench",
                languages="nl,fr,de,en",
                numbers=[CampaignNumber(number=NUMBER)],
            )
        )
    petition = str(Path(sys.executable).with_name("petition"))
    procs = [
        subprocess.Popen(
            [petition, *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for args in (["serve", "--port", str(port)], ["worker"])
    ]
    try:
        wait_for_port(port)
        time.sleep(5)  # the worker loads its model
        yield f"http://127.0.0.1:{port}", db, env
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(60)
        db.dispose()


def wait_part(outcomes: list[Outcome], count: int) -> float | None:
    """Live: the wait for the read-back at normal load. Returns its median."""
    named = [o for o in outcomes if o.call.name is not None][:count]
    tmp = Path(tempfile.mkdtemp(prefix="petition-bench-readback-"))
    results: list[tuple[Outcome, float | None, str]] = []
    with _service(tmp) as (base, db, env):
        settings = load_settings(env)
        threads = []

        def one(i: int, o: Outcome) -> None:
            with RecordingServer(
                o.call.path, settings.twilio_account_sid, "bench-auth-token"
            ) as srv:
                sim = simulate_call(
                    settings,
                    base_url=base,
                    dialled=NUMBER,
                    caller=f"+3247{1000000 + i:07d}",
                    language=o.call.language,
                    server=srv,
                    wait_for_fetch=30,
                    name=o.call.name.full if o.call.name else None,
                )
            with db.session() as s:
                status = s.scalar(
                    sa.select(Signature.name_status)
                    .join(Recording)
                    .where(Recording.recording_sid == sim.recording_sid)
                )
            results.append((o, sim.read_back_after, str(status)))

        start = time.monotonic()
        for i, o in enumerate(named):
            delay = start + i * LIVE_GAP_SECONDS - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            thread = threading.Thread(target=one, args=(i, o))
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join(120)
    waits = [w for _, w, _ in results if w is not None]
    print(
        f"\n  the wait for the read-back, {len(results)} calls one every {LIVE_GAP_SECONDS:.0f} s "
        f"(waitress, one worker, SQLite): {len(waits)} read back"
    )
    if waits:
        print(
            f"    p50 {percentile(waits, 50):.2f} s, p95 {percentile(waits, 95):.2f} s, "
            f"max {max(waits):.2f} s"
        )
    statuses = sorted({s for _, _, s in results})
    print(
        "    name statuses: "
        + ", ".join(f"{s} {sum(r[2] == s for r in results)}" for s in statuses)
    )
    return statistics.median(waits) if waits else None


def run(calls: int = 40) -> None:
    directory = evalset.default_dir()
    if not (directory / evalset.MANIFEST).exists():
        print(f"\nread-back: generating the evaluation set in {directory}")
        evalset.generate(directory)
    holdout = evalset.load_manifest(directory, split="holdout")
    print(f"\nread-back: the evaluation set's held-out half, {len(holdout)} calls")
    outcomes = transcribe_all(holdout)
    wait = wait_part(outcomes, calls) if calls else None
    names_part(outcomes, wait)
