"""/ivr/voice for new calls: the product against a bare Flask + twilio app, side by side.

    python -m bench --only floor

Both run under `gunicorn -w 2 -k gthread --threads 4` on this machine; the product on
PostgreSQL and Redis. The same load tool (wrk, from Debian), the same connections and the same
signed requests, each for a new call (a CallSid never seen): requests per second and p99 for
all, in alternating rounds, and the product's share of the floor. The bare app
(bench/bare_voice.py) checks the signature and answers TwiML, nothing else; the bare durable app
also stores the call with one INSERT, the least a line that keeps its calls must do.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from twilio.request_validator import RequestValidator

from bench.bare_voice import CREATE_TABLE
from bench.loopback import REDIS_URL, campaign_database, free_port, wait_for_port

TOKEN = "bench-auth-token"  # noqa: S105 (a throwaway token for a local benchmark)
NUMBER = "+3220000001"
CONNECTIONS = 16
SECONDS = 10
ROUNDS = 2
# Before the rounds, each server gets WARMUP_SECONDS of the same load, not counted: a worker's
# first requests import code and open connections, which is a restart's cost, not a call's
# (uncounted, the first round's p99 was over a second for the product and 60 ms for the bare
# app: it measured gunicorn's workers booting).
WARMUP_SECONDS = 3
# Distinct new calls: an equal part for each wrk thread in the warm-up and in each round.
REQUESTS = 180_000

LUA = """
-- Each thread of each run takes its own part of the signed requests: every call is new.
local threads = 0
setup = function(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local requests = {}
local n = 0
local first = 0
init = function(args)
  for line in io.lines(args[1]) do
    local sig, body = line:match("([^\\t]+)\\t(.*)")
    n = n + 1
    requests[n] = {sig = sig, body = body}
  end
  first = (tonumber(args[2]) * 2 + tid) * math.floor(n / (2 * tonumber(args[3])))
end
local i = 0
request = function()
  local r = requests[(first + i) % n + 1]
  i = i + 1
  return wrk.format("POST", "/ivr/voice", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = r.sig,
  }, r.body)
end
local bad = 0
response = function(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %.3f %.3f %d\\n", summary.requests,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
"""


def _requests_file(path: Path, base_url: str) -> None:
    """Signed form bodies for REQUESTS new calls, one per line: signature, tab, body."""
    validator = RequestValidator(TOKEN)
    with path.open("w") as out:
        for i in range(REQUESTS):
            params = {
                "AccountSid": "AC" + "0" * 32,
                "CallSid": f"CA{secrets.token_hex(16)}",
                "From": f"+32470{i:06d}",
                "To": NUMBER,
                "CallStatus": "ringing",
                "Direction": "inbound",
            }
            signature = validator.compute_signature(base_url + "/ivr/voice", params)
            out.write(f"{signature}\t{urlencode(params)}\n")


def _serve(app: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen(
        [gunicorn, "-w", "2", "-k", "gthread", "--threads", "4", "-b", f"127.0.0.1:{port}", app],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for_port(port)
    return proc


def _load(
    port: int, script: Path, requests_file: Path, run: int, seconds: int = SECONDS
) -> tuple[float, float, float]:
    """requests/s, p50 ms, p99 ms from one wrk run (run 0 is the warm-up)."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", str(script),
         f"http://127.0.0.1:{port}/ivr/voice", "--", str(requests_file), str(run),
         str(ROUNDS + 1)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    found = re.search(r"RESULT (\d+) ([\d.]+) ([\d.]+) (\d+)", out)
    assert found is not None, out
    requests, p50, p99, errors = found.groups()
    if int(errors):
        raise SystemExit(f"{errors} failed requests:\n{out}")
    return int(requests) / seconds, float(p50), float(p99)


def run() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (./dev bench installs it)")
    tmp = Path(tempfile.mkdtemp(prefix="petition-bench-floor-"))
    apps = {
        "product": "ivr.app:create_app()",
        "bare": "bench.bare_voice:app",
        "bare + INSERT": "bench.bare_voice:durable_app",
    }
    ports = {which: free_port() for which in apps}
    script = tmp / "signed.lua"
    script.write_text(LUA)
    files = {}
    for i, (which, port) in enumerate(ports.items()):
        files[which] = tmp / f"requests-{i}.txt"
        _requests_file(files[which], f"http://127.0.0.1:{port}")
    servers = {}
    results: dict[str, list[tuple[float, float, float]]] = {which: [] for which in apps}
    with campaign_database("bench", "nl,fr", NUMBER) as database_url:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(CREATE_TABLE)
        try:
            for which, app in apps.items():
                env = {
                    **os.environ,
                    "DATABASE_URL": database_url,
                    "REDIS_URL": REDIS_URL,
                    "PUBLIC_BASE_URL": f"http://127.0.0.1:{ports[which]}",
                    "TWILIO_AUTH_TOKEN": TOKEN,
                    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
                    "DATA_DIR": str(tmp / "data"),
                    "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
                }
                servers[which] = _serve(app, ports[which], env)
            for which in apps:
                _load(ports[which], script, files[which], 0, WARMUP_SECONDS)
            for round_ in range(1, ROUNDS + 1):
                for which in apps:
                    results[which].append(_load(ports[which], script, files[which], round_))
        finally:
            for proc in servers.values():
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(20)
    print(
        f"\n/ivr/voice, new calls: gunicorn -w 2 -k gthread --threads 4, wrk {CONNECTIONS} "
        f"connections, {SECONDS} s x {ROUNDS} rounds each (median) after {WARMUP_SECONDS} s "
        "of warm-up, PostgreSQL"
    )
    summary = {}
    for which in apps:
        rps = statistics.median(r[0] for r in results[which])
        p50 = statistics.median(r[1] for r in results[which])
        p99 = statistics.median(r[2] for r in results[which])
        summary[which] = (rps, p99)
        print(f"  {which:13} {rps:7.0f} requests/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")
    rps, p99 = summary["product"]
    for floor in ("bare", "bare + INSERT"):
        floor_rps, floor_p99 = summary[floor]
        print(
            f"  product / {floor}: {100 * rps / floor_rps:.0f} % of the throughput, "
            f"p99 x{p99 / floor_p99:.1f}"
        )
