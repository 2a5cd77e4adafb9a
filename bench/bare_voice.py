"""The floor for /ivr/voice: a bare Flask + twilio app that checks the signature and answers.

No database, no queue, no campaign: what any webhook written with these two libraries costs.
bench/webhook_floor.py runs it under the same gunicorn as the product, for comparison.
"""

from __future__ import annotations

import os

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

app = Flask(__name__)
validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
PUBLIC_BASE_URL = os.environ["PUBLIC_BASE_URL"]


@app.post("/ivr/voice")
def voice() -> Response:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not validator.validate(PUBLIC_BASE_URL + request.path, request.form, signature):
        abort(403)
    response = VoiceResponse()
    response.say("Zeg uw naam na de piep.", language="nl-NL")
    response.record(max_length=10, timeout=3, play_beep=True)
    return Response(str(response), mimetype="text/xml")
