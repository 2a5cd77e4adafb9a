"""Beyond one machine: the web app on one host, two workers on two others, in network namespaces.

Each host is a Linux network namespace (and UTS namespace, for its own hostname) wired to a
bridge by a veth pair. PostgreSQL and Redis are reached over the bridge: a Redis server of the
test's own listens on the bridge address, and a small TCP forwarder there leads to the
machine's PostgreSQL (which listens on 127.0.0.1 only; nothing of its configuration changes).
The test process plays the carrier and Prometheus from the bridge address.

While calls come in, one worker host dies whole, mid-job: its downloads stall (so it surely
holds a recording), then every process on it is killed and its link goes down. After the lease
its recording is handed out again; every recording is decided exactly once, and every call,
also those made while the host was dead, is counted.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import requests
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from ivr.simulator import RecordingServer, simulate_call
from petition.db import Database
from petition.models import AuditEvent, Recording, Signature
from tests.conftest import ACCOUNT_SID, ADMIN_PG_URL, AUTH_TOKEN, CAMPAIGN_NUMBER, add_campaign
from tests.conftest import make_settings as settings_for
from workers.embedded_redis import server_binary

pytestmark = pytest.mark.whisper

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = "10"
NAMES = [
    "Sophie Dubois",
    "Marc Lambert",
    "Julie Martin",
    "Pierre Leroy",
    "Claire Simon",
    "Louis Bernard",
]


def run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=30)


def free_subnet() -> ipaddress.IPv4Network:
    routes = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout
    while True:
        net = ipaddress.ip_network(
            f"10.{secrets.randbelow(50) + 200}.{secrets.randbelow(250)}.0/24"
        )
        if str(net.network_address).rsplit(".", 1)[0] + "." not in routes:
            return net


@dataclass
class Hosts:
    """Hosts in network namespaces on one bridge; the root namespace sits on the bridge too."""

    prefix: str = field(default_factory=lambda: "pt" + secrets.token_hex(2))
    subnet: ipaddress.IPv4Network = field(default_factory=free_subnet)
    addresses: dict[str, str] = field(default_factory=dict)

    @property
    def bridge(self) -> str:
        return f"{self.prefix}br"

    @property
    def gateway(self) -> str:
        return str(self.subnet.network_address + 1)

    def create_bridge(self) -> None:
        run("ip", "link", "add", self.bridge, "type", "bridge")
        run("ip", "addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        run("ip", "link", "set", self.bridge, "up")

    def add(self, name: str) -> str:
        ns, address = (
            f"{self.prefix}-{name}",
            str(self.subnet.network_address + 2 + len(self.addresses)),
        )
        run("ip", "netns", "add", ns)
        run(
            "ip",
            "link",
            "add",
            f"{self.prefix}{name}",
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            ns,
        )
        run("ip", "link", "set", f"{self.prefix}{name}", "master", self.bridge)
        run("ip", "link", "set", f"{self.prefix}{name}", "up")
        run("ip", "-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
        run("ip", "-n", ns, "link", "set", "eth0", "up")
        run("ip", "-n", ns, "link", "set", "lo", "up")
        self.addresses[name] = address
        return address

    def start(
        self, name: str, argv: list[str], env: dict[str, str], log: Path
    ) -> subprocess.Popen[bytes]:
        """Run argv on host `name`, under its own hostname."""
        with open(log, "wb") as out:
            return subprocess.Popen(
                [
                    "ip",
                    "netns",
                    "exec",
                    f"{self.prefix}-{name}",
                    "unshare",
                    "--uts",
                    "sh",
                    "-c",
                    'hostname "$0" && exec "$@"',
                    f"{self.prefix}-{name}",
                    *argv,
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )

    def kill(self, name: str) -> None:
        """The host dies: every process on it is killed, then its link goes down."""
        pids = subprocess.run(
            ["ip", "netns", "pids", f"{self.prefix}-{name}"], capture_output=True, text=True
        ).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        run("ip", "link", "set", f"{self.prefix}{name}", "down")

    def remove(self) -> None:
        for name in list(self.addresses):
            with contextlib.suppress(subprocess.CalledProcessError):
                self.kill(name)
            # Deleting our end of the veth pair deletes both ends, even if the namespace lingers.
            subprocess.run(["ip", "link", "del", f"{self.prefix}{name}"], capture_output=True)
            subprocess.run(["ip", "netns", "del", f"{self.prefix}-{name}"], capture_output=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)


def namespaces_permitted() -> str | None:
    """None if this machine lets the test make namespaces, else why not."""
    if not sys.platform.startswith("linux"):
        return "network namespaces are Linux only"
    if shutil.which("ip") is None or shutil.which("unshare") is None:
        return "needs `ip` (iproute2) and `unshare` (util-linux)"
    probe = f"pt{secrets.token_hex(2)}-probe"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"cannot make a network namespace here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


class Forwarder:
    """Accepts TCP connections on `listen` and pipes each to `target`."""

    def __init__(self, listen: tuple[str, int], target: tuple[str, int]) -> None:
        self.target = target
        self.sock = socket.create_server(listen)
        self.port = self.sock.getsockname()[1]
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.sock.close()
        for conn in self.open:
            conn.close()


@pytest.fixture
def hosts() -> Iterator[Hosts]:
    why = namespaces_permitted()
    if why:
        pytest.skip(why)
    net = Hosts()
    try:
        net.create_bridge()
        yield net
    finally:
        net.remove()


@pytest.fixture
def postgres_db() -> Iterator[str]:
    """A database of this test's own, on the machine's PostgreSQL."""
    name = f"petition_multihost_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(ADMIN_PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_until(check: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.2)


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = requests.get(url, timeout=10).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.mark.postgres
def test_a_worker_host_dies_mid_job_and_every_call_is_still_counted_exactly_once(
    hosts: Hosts,
    postgres_db: str,
    tmp_path: Path,
    whisper_model_dir: Path,
    speech: Callable[[str, str], Path],
) -> None:
    web_ip, w1_ip, w2_ip = hosts.add("web"), hosts.add("w1"), hosts.add("w2")
    forwarder = Forwarder((hosts.gateway, 0), ("127.0.0.1", make_url(ADMIN_PG_URL).port or 5432))
    with socket.create_server((hosts.gateway, 0)) as probe:
        redis_port = probe.getsockname()[1]
    redis_server = subprocess.Popen(
        [
            str(server_binary()),
            "--bind",
            hosts.gateway,
            "--port",
            str(redis_port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    admin = make_url(ADMIN_PG_URL)
    local_url = admin.set(database=postgres_db).render_as_string(hide_password=False)
    over_bridge = admin.set(host=hosts.gateway, port=forwarder.port, database=postgres_db)
    db = Database(local_url)
    db.migrate()
    add_campaign(db)
    env = {
        **os.environ,
        "DATABASE_URL": over_bridge.render_as_string(hide_password=False),
        "REDIS_URL": f"redis://{hosts.gateway}:{redis_port}/0",
        "PUBLIC_BASE_URL": f"http://{web_ip}:8000",
        "RECORDING_HOSTS": hosts.gateway,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "SECRET_KEY": "multi-host-secret",
        "PHONE_HASH_KEY": "multi-host-phone-key",
        "WHISPER_MODEL": str(whisper_model_dir),
        "JOB_LEASE_SECONDS": LEASE_SECONDS,
        "SWEEP_INTERVAL_SECONDS": "1",
        "FETCH_BACKOFF": "0.2",
        "METRICS_ALLOW": f"{hosts.gateway}/32",
        "LOG_FORMAT": "json",
    }
    settings = settings_for(
        tmp_path / "carrier", local_url, env["REDIS_URL"], PUBLIC_BASE_URL=env["PUBLIC_BASE_URL"]
    )
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    procs = [
        hosts.start(
            "web",
            [
                gunicorn,
                "-c",
                "infra/gunicorn.conf.py",
                "--bind",
                f"{web_ip}:8000",
                "--workers",
                "2",
                "ivr.app:create_app()",
            ],
            {
                **env,
                "DATA_DIR": str(tmp_path / "web"),
                "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "web-metrics"),
            },
            tmp_path / "web.log",
        ),
        *(
            hosts.start(
                name,
                [sys.executable, "-m", "ivr.cli", "worker", "--host", hosts.addresses[name]]
                + ["--port", "9100"],
                {**env, "DATA_DIR": str(tmp_path / name)},
                tmp_path / f"{name}.log",
            )
            for name in ("w1", "w2")
        ),
    ]
    stalled, w1_dead, servers = threading.Event(), threading.Event(), contextlib.ExitStack()

    def admit(client: str) -> bool:
        if client == w1_ip:  # host w1's downloads hang until it dies: it is surely mid-job
            stalled.set()
            w1_dead.wait(60)
            return False
        return True

    def call(name: str) -> str:
        server = servers.enter_context(
            RecordingServer(
                speech(f"Je m'appelle {name}", "fr"),
                ACCOUNT_SID,
                AUTH_TOKEN,
                host=hosts.gateway,
                admit=admit,
            )
        )
        sim = simulate_call(
            settings,
            base_url=env["PUBLIC_BASE_URL"],
            dialled=CAMPAIGN_NUMBER,
            caller=f"+3247{secrets.randbelow(10**7):07d}",
            language="fr",
            server=server,
            wait_for_fetch=0,
        )
        assert sim.recording_sid
        return sim.recording_sid

    try:
        for url in (
            f"http://{web_ip}:8000/readyz",
            f"http://{w1_ip}:9100/readyz",
            f"http://{w2_ip}:9100/readyz",
        ):
            wait_until(functools.partial(answers, url), f"{url} ready")
        before = [call(name) for name in NAMES[:3]]
        wait_until(stalled.is_set, "host w1 to take a recording")
        with db.session() as s:
            held = s.scalars(
                sa.select(Recording.recording_sid).where(
                    Recording.claimed_by.startswith(f"{hosts.prefix}-w1:")
                )
            ).all()
        # Its job's recording, and any other then waiting that joined its pack.
        assert 1 <= len(held) <= len(before)
        hosts.kill("w1")
        w1_dead.set()
        meanwhile = [call(name) for name in NAMES[3:]]

        def all_decided() -> bool:
            with db.session() as s:
                return not s.scalar(sa.select(sa.func.count()).where(Recording.status == "pending"))

        wait_until(all_decided, "every recording decided")
        with db.session() as s:
            decided = dict(
                s.execute(sa.select(Recording.recording_sid, Signature.state).join(Signature)).all()
            )
            decisions = s.execute(
                sa.select(Recording.recording_sid, sa.func.count())
                .join(Signature, Signature.recording_id == Recording.id)
                .join(AuditEvent, AuditEvent.signature_id == Signature.id)
                .where(AuditEvent.action == "transcribed")
                .group_by(Recording.recording_sid)
            ).all()
            retried = set(
                s.scalars(sa.select(Recording.attempts).where(Recording.recording_sid.in_(held)))
            )
        assert decided == {sid: "counted" for sid in before + meanwhile}
        assert dict(decisions) == {sid: 1 for sid in before + meanwhile}
        assert retried == {2}  # taken by w1, which died; then, after the lease, by w2

        web = scrape(f"http://{web_ip}:8000/metrics")
        counted = sum(
            v
            for (n, labels), v in web.items()
            if n == "petition_signatures" and ("state", "counted") in labels
        )
        assert counted == len(NAMES)
        # Two gunicorn workers answered; their counts are added up (multiprocess mode).
        assert web[
            ("petition_webhook_requests_total", (("endpoint", "ivr.voice"), ("status", "200")))
        ] == len(NAMES)
        assert web[("petition_recordings_waiting", ())] == 0
        w2 = scrape(f"http://{w2_ip}:9100/metrics")
        assert w2[("petition_recordings_decided_total", (("state", "counted"),))] == len(NAMES)
        assert not answers(f"http://{w1_ip}:9100/healthz")
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        w1_dead.set()
        servers.close()
        redis_server.terminate()
        redis_server.wait(10)
        forwarder.close()
        db.dispose()
