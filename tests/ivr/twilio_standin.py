"""A stand-in for the carrier's REST API on loopback, in Twilio's JSON shapes.

It serves what the product uses (Account fetch, IncomingPhoneNumbers list, fetch and update,
Calls create, Monitor Alerts list), checks HTTP basic auth, records every request, and can be
told to answer an error or to hang (a timeout) for the next requests.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, str]
    authorization: str


@dataclass
class StandIn:
    account_sid: str
    auth_token: str
    numbers: dict[str, dict[str, Any]] = field(default_factory=dict)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    # (status or "hang", how many requests, path pattern or None for all)
    failures: list[tuple[int | str, int, str | None]] = field(default_factory=list)
    url: str = ""
    hang_seconds: float = 3.0
    # Seconds each update of a number takes (two connects at once then overlap).
    update_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_number(self, phone_number: str, voice_url: str = "", **fields: str) -> str:
        sid = "PN" + f"{len(self.numbers) + 1:032x}"
        self.numbers[sid] = {
            "sid": sid,
            "account_sid": self.account_sid,
            "phone_number": phone_number,
            "friendly_name": fields.get("friendly_name", phone_number),
            "voice_url": voice_url,
            "voice_method": fields.get("voice_method", "POST"),
            "status_callback": fields.get("status_callback", ""),
            "status_callback_method": fields.get("status_callback_method", "POST"),
            "voice_fallback_url": None,
            "sms_url": "",
            "capabilities": {"voice": True, "sms": True, "mms": False, "fax": False},
            "status": "in-use",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/IncomingPhoneNumbers/{sid}.json",
        }
        return sid

    def fail(self, status: int | str, times: int = 1, path: str | None = None) -> None:
        """The next `times` requests matching `path` ("POST /2010-04-01/...", a regular
        expression) answer `status`, or hang."""
        self.failures.append((status, times, path))

    def writes(self, path_part: str = "IncomingPhoneNumbers/") -> list[Seen]:
        return [r for r in self.requests if r.method == "POST" and path_part in r.path]


def _page(key: str, items: list[dict[str, Any]], uri: str) -> dict[str, Any]:
    return {
        key: items,
        "end": max(len(items) - 1, 0),
        "first_page_uri": uri,
        "next_page_uri": None,
        "page": 0,
        "page_size": 50,
        "previous_page_uri": None,
        "start": 0,
        "uri": uri,
    }


def make_handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    acc = re.escape(state.account_sid)
    number_path = re.compile(rf"^/2010-04-01/Accounts/{acc}/IncomingPhoneNumbers/(PN\w+)\.json$")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, code: int, message: str) -> None:
            self._answer(
                status,
                {"code": code, "message": message, "more_info": "", "status": status},
            )

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            auth = self.headers.get("Authorization", "")
            with state.lock:
                state.requests.append(Seen(method, parts.path, parse_qs(parts.query), form, auth))
                failure = None
                for i, (status, times, pattern) in enumerate(state.failures):
                    if pattern is None or re.search(pattern, f"{method} {parts.path}"):
                        failure = status
                        if times <= 1:
                            state.failures.pop(i)
                        else:
                            state.failures[i] = (status, times - 1, pattern)
                        break
            if failure == "hang":
                time.sleep(state.hang_seconds)
                return
            if isinstance(failure, int):
                self._error(failure, 20003 if failure == 401 else 20500, "stand-in failure")
                return
            expected = (
                "Basic "
                + base64.b64encode(f"{state.account_sid}:{state.auth_token}".encode()).decode()
            )
            if auth != expected:
                self._error(401, 20003, "Authenticate")
                return
            self._route(method, parts.path, form)

        def _route(self, method: str, path: str, form: dict[str, str]) -> None:
            base = f"/2010-04-01/Accounts/{state.account_sid}"
            if method == "GET" and path == f"{base}.json":
                self._answer(
                    200,
                    {
                        "sid": state.account_sid,
                        "status": "active",
                        "friendly_name": "Stand-in account",
                        "type": "Full",
                    },
                )
            elif method == "GET" and path == f"{base}/IncomingPhoneNumbers.json":
                with state.lock:
                    items = list(state.numbers.values())
                self._answer(200, _page("incoming_phone_numbers", items, path))
            elif (m := number_path.match(path)) is not None:
                with state.lock:
                    number = state.numbers.get(m.group(1))
                    if number is None:
                        self._error(404, 20404, "The requested resource was not found")
                        return
                    if method == "POST" and state.update_seconds:
                        state.lock.release()
                        try:
                            time.sleep(state.update_seconds)
                        finally:
                            state.lock.acquire()
                    if method == "POST":
                        for key in (
                            "VoiceUrl",
                            "VoiceMethod",
                            "StatusCallback",
                            "StatusCallbackMethod",
                        ):
                            if key in form:
                                snake = re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()
                                number[snake] = form[key]
                    body = dict(number)
                self._answer(200, body)
            elif method == "POST" and path == f"{base}/Calls.json":
                sid = "CA" + f"{len(state.calls) + 1:032x}"
                call = {
                    "sid": sid,
                    "to": form.get("To"),
                    "from": form.get("From"),
                    "status": "queued",
                    "account_sid": state.account_sid,
                }
                with state.lock:
                    state.calls.append({**call, "url": form.get("Url"), "form": form})
                self._answer(201, call)
            elif method == "GET" and path == "/v1/Alerts":
                with state.lock:
                    items = list(state.alerts)
                self._answer(
                    200,
                    {
                        "alerts": items,
                        "meta": {
                            "key": "alerts",
                            "page": 0,
                            "page_size": 50,
                            "first_page_url": "",
                            "next_page_url": None,
                            "previous_page_url": None,
                            "url": "",
                        },
                    },
                )
            else:
                self._error(404, 20404, "The requested resource was not found")

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self._handle("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._handle("POST")

    return Handler


def start(account_sid: str, auth_token: str) -> tuple[StandIn, ThreadingHTTPServer]:
    state = StandIn(account_sid, auth_token)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_port}"
    return state, server
