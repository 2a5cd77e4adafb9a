"""`petition simulate-call`: play the carrier against our own webhooks, with a synthesized voice.

It does what Twilio does on a real call: signed webhook requests, following the TwiML it gets
back (language menu, keypad steps, <Record>), a recording served over HTTP with basic auth, and
the record action, recording status and call status callbacks. No carrier account needed.
"""

from __future__ import annotations

import base64
import re
import secrets
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

import requests
from twilio.request_validator import RequestValidator

from ivr.twiml import MENU_KEYS
from petition.config import Settings
from petition.names.keypad import key_pairs, letters_to_keys, split_heard
from petition.names.lexicon import fold, phonetic_key

Request = tuple[str, dict[str, str]]  # (webhook URL, form fields)


# How a simulated caller answers the read-back: "close" presses 1 when the name read back is
# theirs (case and accents aside) and otherwise spells the surname; "always" and "never" press
# 1 or 2 whatever they hear; "hangup" hangs up at the read-back; "spell-wrong" presses 2 and
# spells a surname that is not theirs.
LISTENERS = ("close", "always", "never", "hangup", "spell-wrong")
# The webhook each question posts to, by the step a caller presses 0 at.
_STEP_OF_ACTION = {
    "/greeting-key": "greeting",
    "/language": "language",
    "/postcode": "postcode",
    "/declaration": "declaration",
    "/consent": "consent",
    "/read-back/answer": "read-back",
    "/spelled/answer": "read-back",
    "/given/answer": "read-back",
    "/spelled": "spelling",
}
_LETTERS = re.compile(r"(?<![\w'’])\w(?:, \w)+(?!\w)")


@dataclass
class Caller:
    """Who is on the line: the language, the name they said, and how they answer.

    A "close" listener knows how their name is written and hears the read-back as a person
    does: the surname letter by letter, the given name by its sound (Jan and Jann sound the
    same; Jan and John do not).
    """

    language: str
    name: str | None = None
    listener: str = "close"
    postcode: str | None = None
    # Their name's parts when the name alone does not tell (Dirk + Verbeeck De Ridder).
    given: str | None = None
    surname: str | None = None
    # The step at which they press 0 for the helpline (HELP_STEPS), and how that call goes
    # (the carrier's DialCallStatus).
    press_help: str | None = None
    helpline_outcome: str = "completed"

    def part(self, part: str) -> str:
        given, surname = split_heard(self.name)
        if part == "surname":
            return self.surname or surname or ""
        return self.given or given or ""

    def is_theirs(self, part: str, spelled: Sequence[str]) -> bool:
        """The letters read back are those of their surname or given name."""
        return _letters(spelled) == _letters(self.part(part))

    def answers_read_back(self, heard_name: str, spelled_surname: Sequence[str]) -> str | None:
        """1 or 2 at "We heard: Jan Maas, M, A, A, S"; None: hangs up."""
        if self.listener == "hangup":
            return None
        if self.listener == "always":
            return "1"
        if self.listener in ("never", "spell-wrong"):
            return "2"
        given = split_heard(heard_name)[0] or ""
        sounds_right = phonetic_key(given) == phonetic_key(self.part("given"))
        return "1" if sounds_right and self.is_theirs("surname", spelled_surname) else "2"

    def answers_spelling(self, part: str, spelled: Sequence[str]) -> str:
        """1 or 2 at a spelling read back letter by letter."""
        if self.listener == "always":
            return "1"
        return "1" if self.is_theirs(part, spelled) else "2"

    def keys(self, part: str, *, exact: bool = False) -> str:
        """The keys they press for a part of their name; `exact`: two keys a letter."""
        if exact:  # a caller who spells wrong gets these wrong too: the letters backwards
            letters = self.part(part)
            return key_pairs(letters[::-1] if self.listener == "spell-wrong" else letters)
        keys = letters_to_keys(self.part(part))
        if self.listener == "spell-wrong":
            # Keys for letters that are not theirs: the same length, every key moved by one.
            return "".join(str(int(k) % 8 + 2) for k in keys)
        return keys


def _letters(letters: Sequence[str] | str) -> str:
    return "".join(fold(c) for c in letters if c.isalpha())


def read_back_heard(text: str) -> tuple[str, list[str]] | None:
    """What a read-back said: the name, and the letters spelled after it ("We heard: Jan Maas,
    M, A, A, S. Press 1 ..." gives ("Jan Maas", ["M", "A", "A", "S"]))."""
    found = list(_LETTERS.finditer(text))
    if not found:
        return None
    last = found[-1]
    before = text[: last.start()].rstrip(" ,")
    name = before.rsplit(":", 1)[-1].strip()
    return name, last.group(0).split(", ")


@dataclass
class SimulatedCall:
    call_sid: str
    recording_sid: str | None = None
    transcript: list[str] = field(default_factory=list)  # what the caller heard / did
    postcode_asked: bool = False  # the service asked for a postcode
    recorded_at: float | None = None  # time.monotonic() when the recording ended
    read_back_after: float | None = None  # seconds from then to the read-back (None: none)
    read_backs: int = 0  # names read back to the caller (as heard, then spellings)
    hung_up: bool = False
    put_through_to: str | None = None  # the helpline's number, when the call was put through


class RecordingServer:
    """Serves one WAV file the way the carrier's API does: basic auth, `<url>.wav`.

    `host` is the address it listens on (and puts in recording URLs). `admit`, if given, is
    asked with each client's address before serving it; False drops the request unanswered.
    """

    def __init__(
        self,
        wav: Path,
        account_sid: str,
        auth_token: str,
        fail_first: int = 0,
        host: str = "127.0.0.1",
        admit: Callable[[str], bool] | None = None,
    ) -> None:
        self.wav = wav
        self.expected = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self.fail_first = fail_first
        self.requests = 0
        self.served = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if admit is not None and not admit(self.client_address[0]):
                    self.close_connection = True
                    return
                server.requests += 1
                if self.headers.get("Authorization") != server.expected:
                    self.send_response(401)
                    self.end_headers()
                    return
                if server.requests <= server.fail_first or not self.path.endswith(".wav"):
                    self.send_response(503 if self.path.endswith(".wav") else 404)
                    self.end_headers()
                    return
                body = server.wav.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "audio/x-wav")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                server.served += 1

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url_for(self, account_sid: str, recording_sid: str) -> str:
        host, port = self.httpd.server_address[:2]
        return (
            f"http://{host!s}:{port}/2010-04-01/Accounts/{account_sid}/Recordings/{recording_sid}"
        )

    def __enter__(self) -> RecordingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Carrier:
    """Signs and posts webhooks like Twilio, and follows the TwiML it gets back."""

    def __init__(self, settings: Settings, base_url: str, http: requests.Session | None = None):
        self.settings = settings
        self.base_url = base_url.rstrip("/")
        self.validator = RequestValidator(settings.twilio_auth_token)
        self.http = http or requests.Session()

    def post(self, url: str, params: dict[str, str]) -> requests.Response:
        """POST to a webhook URL, signed for the URL the service believes it has."""
        target = urljoin(self.base_url + "/", url)
        parsed = urlparse(target)
        signed_base = self.settings.public_base_url or f"{parsed.scheme}://{parsed.netloc}"
        path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
        signature = self.validator.compute_signature(signed_base + path, params)
        local = self.base_url + path
        return self.http.post(
            local, data=params, headers={"X-Twilio-Signature": signature}, timeout=30
        )


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def simulate_call(
    settings: Settings,
    *,
    base_url: str,
    dialled: str,
    caller: str,
    language: str,
    server: RecordingServer,
    postcode: str | None = None,
    wait_for_fetch: float = 60.0,
    name: str | None = None,
    listener: str = "close",
    press_help: str | None = None,
    helpline_outcome: str = "completed",
) -> SimulatedCall:
    """Drive one complete call, its recording served by `server`.

    `name` is the name the caller said, and `listener` how they answer the read-back (see
    LISTENERS). `press_help`: the step at which the caller presses 0 for the helpline (see
    HELP_STEPS), and `helpline_outcome` what the carrier reports of that call. Waits up to
    `wait_for_fetch` seconds for the service to fetch the recording (0: not at all).
    """
    who = Caller(
        language=language,
        name=name,
        listener=listener,
        postcode=postcode,
        press_help=press_help,
        helpline_outcome=helpline_outcome,
    )
    carrier = Carrier(settings, base_url)
    call = SimulatedCall(call_sid=new_sid("CA"))
    base = {
        "AccountSid": settings.twilio_account_sid,
        "CallSid": call.call_sid,
        "From": caller,
        "To": dialled,
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }
    todo: list[Request] = [("/ivr/voice", {**base, "CallStatus": "ringing"})]
    for _step in range(40):
        responses = [carrier.post(url, params) for url, params in todo]
        for resp in responses:
            resp.raise_for_status()
        # The first request's answer is the TwiML the caller hears next.
        todo = _follow(responses[0].text, call, base, who, server, settings)
        if not todo:
            break
    carrier.post(
        "/ivr/status", {**base, "CallStatus": "completed", "CallDuration": "25"}
    ).raise_for_status()
    if call.recording_sid:
        deadline = time.monotonic() + wait_for_fetch
        while server.served == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
    return call


def _follow(
    twiml: str,
    call: SimulatedCall,
    base: dict[str, str],
    who: Caller,
    server: RecordingServer,
    settings: Settings,
) -> list[Request]:
    """Play one TwiML document as a caller would; return the next requests to make."""
    root = ET.fromstring(twiml)  # noqa: S314 (our own service's TwiML, not untrusted input)
    for verb in root:
        if verb.tag in ("Say", "Play"):
            call.transcript.append(f"{verb.tag}: {(verb.text or '').strip()}")
        elif verb.tag == "Pause":
            time.sleep(float(verb.get("length", "1")))
        elif verb.tag == "Gather":
            heard = " ".join((inner.text or "").strip() for inner in verb)
            for inner in verb:
                call.transcript.append(f"{inner.tag}: {(inner.text or '').strip()}")
            action = verb.get("action", "")
            call.postcode_asked |= urlparse(action).path.endswith("/postcode")
            if call.recorded_at is not None and call.read_back_after is None:
                # The first question after the beep: the read-back, or the spelling at once.
                call.read_back_after = time.monotonic() - call.recorded_at
            digits = _keys_for(action, who, heard, call)
            if call.hung_up:
                call.transcript.append("(hangs up)")
                return []
            call.transcript.append(f"keys: {digits or '(none)'}")
            if digits is None:
                continue  # let it time out: the next verb (a Redirect) runs
            return [(action, {**base, "CallStatus": "in-progress", "Digits": digits})]
        elif verb.tag == "Redirect":
            return [((verb.text or "").strip(), {**base, "CallStatus": "in-progress"})]
        elif verb.tag == "Record":
            call.recorded_at = time.monotonic()
            call.recording_sid = new_sid("RE")
            recording = {
                **base,
                "CallStatus": "in-progress",
                "RecordingSid": call.recording_sid,
                "RecordingUrl": server.url_for(settings.twilio_account_sid, call.recording_sid),
                "RecordingDuration": "3",
            }
            action = verb.get("action", "")
            status_cb = verb.get("recordingStatusCallback", "")
            call.transcript.append("Record: (caller speaks)")
            # The key that ended the recording: 0 for the helpline, else the caller hung up.
            ended_by = "0" if who.press_help == "recording" else "hangup"
            if ended_by == "0":
                call.transcript.append("keys: 0")
            callbacks = [(action, {**recording, "Digits": ended_by})]
            if status_cb:
                callbacks.append(
                    (
                        status_cb,
                        {**recording, "RecordingStatus": "completed", "RecordingChannels": "1"},
                    )
                )
            return callbacks
        elif verb.tag == "Dial":
            call.put_through_to = (verb.findtext("Number") or verb.text or "").strip()
            call.transcript.append(
                f"Dial: {call.put_through_to} (caller ID {verb.get('callerId')}): "
                f"{who.helpline_outcome}"
            )
            status = {"DialCallStatus": who.helpline_outcome, "CallStatus": "in-progress"}
            return [(verb.get("action", ""), {**base, **status})]
        elif verb.tag == "Hangup":
            return []
    return []


def _keys_for(action: str, who: Caller, heard: str, call: SimulatedCall) -> str | None:
    """The keys the caller presses on a question (None: none, the question times out)."""
    url = urlparse(action)
    path, part = url.path, parse_qs(url.query).get("p", ["surname"])[0]
    step = next((step for end, step in _STEP_OF_ACTION.items() if path.endswith(end)), None)
    if who.press_help is not None and step == who.press_help:
        return "0"
    if step == "greeting":
        return None  # listens to the end of the greeting
    if path.endswith("/language"):
        return next(key for key, lang in MENU_KEYS.items() if lang == who.language)
    if path.endswith("/postcode"):
        return who.postcode
    if path.endswith(("/declaration", "/consent")):
        return "1"
    if path.endswith("/spelled"):
        return who.keys(part, exact=parse_qs(url.query).get("x") == ["1"])
    said = read_back_heard(heard)
    if said is None:
        return None
    call.read_backs += 1
    if path.endswith("/read-back/answer"):
        digits = who.answers_read_back(*said)
        call.hung_up = digits is None
        return digits
    if path.endswith("/spelled/answer"):
        return who.answers_spelling(part, said[1])
    if path.endswith("/given/answer"):
        return who.answers_spelling("given", said[1])
    return None


def synthesize_to_temp(text: str, language: str) -> Path:
    from audio.synth import synthesize

    out = Path(tempfile.mkdtemp(prefix="petition-sim-")) / "name.wav"
    return synthesize(text, language, out)
