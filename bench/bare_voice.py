"""The floor for /ivr/voice: bare Flask + twilio apps that check the signature and answer.

`app`: no database, no queue, no campaign: what any webhook written with these two libraries
costs. `durable_app`: the same, plus the one thing a petition line cannot skip, the call stored
before the caller hears anything: one INSERT committed on PostgreSQL (psycopg, a connection per
thread). bench/webhook_floor.py runs both under the same gunicorn as the product, for comparison.
"""

from __future__ import annotations

import functools
import os
import threading

import psycopg
from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

CREATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS floor_calls "
    "(call_sid text PRIMARY KEY, caller text, started_at timestamptz NOT NULL DEFAULT now())"
)


@functools.cache
def _carrier() -> tuple[RequestValidator, str]:
    return RequestValidator(os.environ["TWILIO_AUTH_TOKEN"]), os.environ["PUBLIC_BASE_URL"]


def _answer() -> Response:
    signature = request.headers.get("X-Twilio-Signature", "")
    validator, base_url = _carrier()
    if not validator.validate(base_url + request.path, request.form, signature):
        abort(403)
    response = VoiceResponse()
    response.say("Zeg uw naam na de piep.", language="nl-NL")
    response.record(max_length=10, timeout=3, play_beep=True)
    return Response(str(response), mimetype="text/xml")


app = Flask(__name__)
app.post("/ivr/voice")(_answer)

durable_app = Flask(__name__)
_connections = threading.local()


@durable_app.post("/ivr/voice")
def durable_voice() -> Response:
    response = _answer()
    conn = getattr(_connections, "conn", None)
    if conn is None:
        conn = _connections.conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    conn.execute(
        "INSERT INTO floor_calls (call_sid, caller) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (request.form["CallSid"], request.form.get("From")),
    )
    return response
