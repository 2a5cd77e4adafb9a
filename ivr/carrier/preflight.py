"""The checklist before a campaign's line goes public: each line ok, or a plain-language fix.

`petition preflight` prints it (and exits non-zero when a line fails); the campaign's line page
shows it. Every check is a plain function of what it needs, returning one Line.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
import requests
import sqlalchemy as sa
from rq import Queue, Worker
from twilio.request_validator import RequestValidator

from audio.prompts import default_prompt_path
from ivr.carrier import refusals
from ivr.carrier.connection import UNUSED_URLS, VOICE_PATH, points_here
from ivr.carrier.rest import Bytes, Carrier, CarrierError, Number, Said
from ivr.media import uploaded_prompt_file
from ivr.twiml import RECORD_MAX_SECONDS
from petition.config import Settings
from petition.counting.tally import campaign_rule
from petition.counting.thresholds import RuleError
from petition.i18n import N_
from petition.line.campaigns import rule_has_regions
from petition.models import Campaign
from petition.reporting.manifest import counted_signatures

# A name recording is at most RECORD_MAX_SECONDS of 8 kHz 16-bit mono WAV.
RECORDING_BYTES = RECORD_MAX_SECONDS * 8000 * 2
# Calls per signature at the target: repeat callers, silent recordings, test calls.
CALLS_PER_SIGNATURE = 1.5
# A worker's heartbeat older than this is a worker gone.
WORKER_STALE = timedelta(minutes=2)
REACH_TIMEOUT = 10.0
# Not a campaign number: the reachability check's call is answered "unknown number" and
# leaves no row behind.
PROBE_TO = "+0000000000"
PROBE_CALL_SID = "CA" + "0" * 32

# Each line's title, in the order the checklist shows them.
TITLES = {
    "credentials": N_("Carrier credentials"),
    "number": N_("The number points here"),
    "https": N_("PUBLIC_BASE_URL is https"),
    "reachable": N_("The carrier's signed call reaches the service"),
    "workers": N_("Workers running, model loaded"),
    "prompts": N_("Prompts in every language"),
    "rule": N_("Rule and regions"),
    "disk": N_("Room for the recordings"),
}

# What the reachability line says when the address the carrier signs and the one the service
# checks differ, by the part that differs (refusals.difference).
DIFFER = {
    "scheme": N_(
        "The service refused the signature: the carrier signs %(signed)s, the service checks "
        "%(checked)s. They differ in the scheme (http or https); set PUBLIC_BASE_URL so that "
        "both are the same."
    ),
    "host": N_(
        "The service refused the signature: the carrier signs %(signed)s, the service checks "
        "%(checked)s. They differ in the host; set PUBLIC_BASE_URL so that both are the same."
    ),
    "path": N_(
        "The service refused the signature: the carrier signs %(signed)s, the service checks "
        "%(checked)s. They differ in the path; set PUBLIC_BASE_URL so that both are the same."
    ),
    "query": N_(
        "The service refused the signature: the carrier signs %(signed)s, the service checks "
        "%(checked)s. They differ in the query; set PUBLIC_BASE_URL so that both are the same."
    ),
}


@dataclass(frozen=True)
class Line:
    key: str  # credentials | number | https | reachable | workers | prompts | rule | disk
    ok: bool
    said: Said
    # Set when the reachability check was refused: the URL signed and the one checked.
    difference: refusals.Difference | None = None


def credentials(carrier: Carrier | CarrierError) -> Line:
    if isinstance(carrier, CarrierError):
        return Line("credentials", False, carrier.said)
    try:
        status = carrier.account_status()
    except CarrierError as exc:
        return Line("credentials", False, exc.said)
    if status != "active":
        return Line(
            "credentials",
            False,
            Said(N_("The carrier account is %(status)s: it takes no calls."), {"status": status}),
        )
    return Line("credentials", True, Said(N_("The account's credentials work.")))


def campaign_numbers(carrier: Carrier | CarrierError, campaign: Campaign) -> list[Number] | Said:
    """The campaign's numbers in the account, or what stopped the carrier from saying."""
    if isinstance(carrier, CarrierError):
        return Said(N_("Not checked: the credentials do not work."))
    try:
        found = carrier.numbers()
    except CarrierError as exc:
        return exc.said
    own = {n.number for n in campaign.numbers}
    return [n for n in found if n.phone_number in own]


def number(found: list[Number] | Said, base: str | None) -> Line:
    if isinstance(found, Said):
        return Line("number", False, found)
    here = [n for n in found if points_here(n, base)]
    if here:
        return Line(
            "number",
            True,
            Said(
                N_("%(numbers)s sends its calls here."),
                {"numbers": ", ".join(n.phone_number for n in here)},
            ),
        )
    if not found:
        return Line(
            "number",
            False,
            Said(
                N_(
                    "None of the campaign's numbers is in this carrier account: connect one "
                    "(button above, or `petition number connect`)."
                )
            ),
        )
    n = found[0]
    if n.voice_url in UNUSED_URLS:
        return Line(
            "number",
            False,
            Said(
                N_("%(number)s sends its calls nowhere yet: connect it."),
                {"number": n.phone_number},
            ),
        )
    ours = (base or "") + VOICE_PATH
    if base and n.voice_url.endswith(VOICE_PATH):
        # This service's path at another address: PUBLIC_BASE_URL or the number is wrong.
        return Line(
            "number",
            False,
            Said(
                N_(
                    "The calls of %(number)s go to %(url)s, but PUBLIC_BASE_URL gives %(ours)s. "
                    "If the number's address is the right one, correct PUBLIC_BASE_URL; "
                    "otherwise connect the number again."
                ),
                {"number": n.phone_number, "url": n.voice_url, "ours": ours},
            ),
        )
    return Line(
        "number",
        False,
        Said(
            N_("The calls of %(number)s go to %(url)s (%(method)s), not here: connect it."),
            {"number": n.phone_number, "url": n.voice_url, "method": n.voice_method},
        ),
    )


def https(base: str | None) -> Line:
    if not base:
        return Line(
            "https",
            False,
            Said(N_("Set PUBLIC_BASE_URL to the https address the carrier reaches this at.")),
        )
    if not base.startswith("https://"):
        return Line(
            "https",
            False,
            Said(
                N_(
                    "PUBLIC_BASE_URL is %(url)s: callers' names would cross the internet "
                    "unencrypted. Serve it over https (a certificate at the proxy) and set "
                    "PUBLIC_BASE_URL to the https address."
                ),
                {"url": base},
            ),
        )
    return Line("https", True, Said(N_("PUBLIC_BASE_URL is https: %(url)s."), {"url": base}))


def voice_target(found: list[Number] | Said, base: str | None) -> str | None:
    """Where the carrier sends the campaign's calls: the voice URL its number has, else
    PUBLIC_BASE_URL's."""
    if not isinstance(found, Said):
        for n in found:
            if n.voice_url not in UNUSED_URLS:
                return n.voice_url
    return base + VOICE_PATH if base else None


def reachable(
    target: str | None,
    checked: str | None,
    auth_token: str,
    last_refusal: Callable[[], refusals.Refusals | None] = lambda: None,
) -> Line:
    """Post to `target` a call signed as the carrier would sign it, and see the service take
    it. `checked` is what this service checks signatures against (PUBLIC_BASE_URL's address);
    when the service refuses, the line names where the two differ."""
    if target is None or checked is None:
        return Line("reachable", False, Said(N_("Not checked: PUBLIC_BASE_URL is not set.")))
    params = {
        "CallSid": PROBE_CALL_SID,
        "AccountSid": "preflight",
        "From": "+32000000000",
        "To": PROBE_TO,
        "CallStatus": "ringing",
        "Direction": "inbound",
    }
    signature = RequestValidator(auth_token).compute_signature(target, params)
    try:
        resp = requests.post(
            target,
            data=params,
            headers={"X-Twilio-Signature": signature},
            timeout=REACH_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return Line(
            "reachable",
            False,
            Said(
                N_("%(url)s cannot be reached (%(error)s)."),
                {"url": target, "error": _reason(exc)},
            ),
        )
    if resp.status_code == 200 and "<Response" in resp.text:
        return Line(
            "reachable",
            True,
            Said(N_("%(url)s answers a signed call."), {"url": target}),
        )
    if resp.status_code == 403:
        last = last_refusal()
        if last is not None and last.signed == target and last.checked:
            checked = last.checked
        if checked != target:
            diff = refusals.difference(target, checked)
            return Line(
                "reachable",
                False,
                Said(DIFFER.get(diff.part, DIFFER["path"]), {"signed": target, "checked": checked}),
                diff,
            )
        return Line(
            "reachable",
            False,
            Said(
                N_(
                    "The service refused the signature at %(url)s: its TWILIO_AUTH_TOKEN is not "
                    "this one, or a proxy changes the request on the way."
                ),
                {"url": target},
            ),
        )
    if resp.status_code in (301, 302, 303, 307, 308):
        return Line(
            "reachable",
            False,
            Said(
                N_(
                    "%(url)s redirects to %(location)s: the carrier does not follow it. Use "
                    "the final address."
                ),
                {"url": target, "location": resp.headers.get("Location", "?")},
            ),
        )
    if resp.status_code == 404:
        return Line(
            "reachable",
            False,
            Said(
                N_(
                    "Nothing answers at %(url)s (404): is there a path in PUBLIC_BASE_URL that "
                    "the server does not serve?"
                ),
                {"url": target},
            ),
        )
    return Line(
        "reachable",
        False,
        Said(N_("%(url)s answered %(status)s."), {"url": target, "status": resp.status_code}),
    )


def _reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS certificate not accepted"
    if isinstance(exc, requests.Timeout):
        return "no answer in time"
    return type(exc).__name__


def workers(queue: Queue | None, now: datetime) -> Line:
    """A worker registers on the queue only after it has loaded the model (workers/worker.py),
    so a live registered worker is a loaded model."""
    if queue is None:
        return Line("workers", False, Said(N_("Not checked: Redis cannot be reached.")))
    try:
        alive = [
            w
            for w in Worker.all(queue=queue)
            if w.last_heartbeat is not None
            and now - w.last_heartbeat.replace(tzinfo=UTC) < WORKER_STALE
        ]
    except (redis.RedisError, OSError) as exc:
        return Line(
            "workers",
            False,
            Said(N_("Redis cannot be reached (%(error)s)."), {"error": type(exc).__name__}),
        )
    if not alive:
        return Line(
            "workers",
            False,
            Said(
                N_(
                    "No worker is running: names would wait. Start `petition worker` (or "
                    "`petition run`)."
                )
            ),
        )
    return Line(
        "workers",
        True,
        Said(N_("Workers running: %(n)s, each with the model loaded."), {"n": len(alive)}),
    )


def prompt_names(campaign: Campaign) -> list[str]:
    names = ["greeting", "thanks", "no_recording", "closed", "technical_problem"]
    if len(campaign.language_list) > 1:
        names.append("language_menu")
    for step, name in (
        (campaign.ask_postcode, "postcode"),
        (campaign.ask_declaration, "declaration"),
        (campaign.ask_consent, "consent"),
    ):
        if step:
            names.append(name)
    return names


def prompts(campaign: Campaign, data_dir: Path) -> Line:
    missing = [
        f"{name} ({lang})"
        for lang in campaign.language_list
        for name in prompt_names(campaign)
        if not uploaded_prompt_file(data_dir, campaign, name, lang).exists()
        and default_prompt_path(name, lang) is None
    ]
    if missing:
        return Line(
            "prompts",
            False,
            Said(
                N_(
                    "No recording for %(missing)s: callers would hear a synthetic voice. "
                    "Upload them in the campaign's settings."
                ),
                {"missing": ", ".join(missing)},
            ),
        )
    return Line(
        "prompts",
        True,
        Said(
            N_("Every prompt has a recording in %(languages)s."),
            {"languages": ", ".join(campaign.language_list)},
        ),
    )


def rule(campaign: Campaign) -> Line:
    try:
        chosen = campaign_rule(campaign)
    except RuleError as exc:
        return Line(
            "rule", False, Said(N_("The rule is not valid: %(error)s."), {"error": str(exc)})
        )
    if rule_has_regions(campaign.rule_key) and not campaign.ask_postcode:
        return Line(
            "rule",
            False,
            Said(
                N_(
                    "The rule counts by region, but callers are not asked for their postcode: "
                    "switch on the postcode step in the campaign's details."
                )
            ),
        )
    return Line(
        "rule",
        True,
        Said(
            N_("Rule %(rule)s, %(total)s signatures."),
            {"rule": campaign.rule_key, "total": chosen.total},
        ),
    )


def disk(campaign: Campaign, counted: int, folder: Path) -> Line:
    """Room for the recordings still to come at the target, with a margin for extra calls."""
    target = campaign_rule(campaign).total
    needed = int(max(target - counted, 0) * CALLS_PER_SIGNATURE * RECORDING_BYTES)
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    values = {"free": Bytes(free), "needed": Bytes(needed), "folder": str(folder)}
    if free < needed:
        return Line(
            "disk",
            False,
            Said(
                N_(
                    "%(folder)s has %(free)s free; the recordings expected at the target need "
                    "about %(needed)s. Give it more room, or shorten the retention."
                ),
                values,
            ),
        )
    return Line(
        "disk",
        True,
        Said(N_("%(free)s free for about %(needed)s of recordings at the target."), values),
    )


def run(
    settings: Settings,
    session: sa.orm.Session,
    campaign: Campaign,
    queue: Queue | None,
    now: datetime | None = None,
) -> list[Line]:
    """Every line of the checklist, in the order a launch goes."""
    now = now or datetime.now(UTC)
    base = settings.public_base_url
    try:
        carrier: Carrier | CarrierError = Carrier(settings)
    except CarrierError as exc:
        carrier = exc
    found = campaign_numbers(carrier, campaign)
    counted = counted_signatures(session, campaign)

    def last_refusal() -> refusals.Refusals | None:
        return refusals.recent_or_none(queue) if queue is not None else None

    return [
        credentials(carrier),
        number(found, base),
        https(base),
        reachable(
            voice_target(found, base),
            base + VOICE_PATH if base else None,
            settings.twilio_auth_token,
            last_refusal,
        ),
        workers(queue, now),
        prompts(campaign, settings.data_dir),
        rule(campaign),
        disk(campaign, counted, settings.recordings_dir),
    ]
