"""Settings read from the environment and the configuration file, in one place.

Every variable is optional: with none set, the service runs on one machine with a SQLite file
and an embedded Redis under DATA_DIR. Secrets that are not given are generated once and kept in
DATA_DIR/secrets.json, outside the database, so a restart keeps the same keys.

So that every `petition` command finds the same data wherever it is run from, the first
`petition run` records its DATA_DIR (as an absolute path) in a configuration file in the
platform's standard place (`~/.config/petition/config.toml` on Linux; `PETITION_CONFIG` names
another). The file holds the same names as the environment (`DATA_DIR = "/srv/petition"`);
a variable set in the environment wins over the file.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

DEFAULT_RECORDING_HOSTS = ("api.twilio.com",)
DEFAULT_TWILIO_API_BASE = "https://api.twilio.com"
# What the configuration file records when `petition run` writes it (when they are set).
REMEMBERED = ("DATA_DIR", "DATABASE_URL", "REDIS_URL")


class DataNotFound(RuntimeError):
    """A command that works on existing data found none where it looked (`where`)."""

    def __init__(self, problem: str, where: str) -> None:
        super().__init__(problem)
        self.where = where


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None  # None: the program starts an embedded Redis itself
    twilio_account_sid: str
    twilio_auth_token: str
    public_base_url: str | None  # None: trust the Host header (only for local use)
    recording_hosts: tuple[str, ...]
    whisper_model: str
    secret_key: str
    phone_hash_key: str
    delete_at_carrier: bool = False
    retention_days: int = 90
    # Queue names are this prefix and the database's deployment id (workers.queue.queue_name).
    queue_name: str = "recordings"
    # Seconds between download attempts inside one job; then RQ retries the job later.
    fetch_backoff: tuple[float, ...] = (1.0, 3.0, 9.0)
    # A job that holds a recording longer than this is presumed dead and is handed out again.
    job_lease_seconds: int = 600
    sweep_interval_seconds: float = 15.0
    # Reverse proxies in front of the web app whose X-Forwarded-* headers are trusted.
    proxy_hops: int = 0
    # Recordings of one language a worker transcribes in one Whisper pass (1: one at a time).
    pack_size: int = 8
    # While at least this many recordings wait, workers decode greedily (1.3 to 1.6 times the
    # pace, fewer names right) and send every such name to a person; 0: never (workers/jobs.py).
    catch_up_backlog: int = 100
    # CPU threads of one worker's Whisper; 0: CTranslate2 takes every core. Several workers on
    # one machine want 1 each (which is faster depends on the CPU: README, "Sizing").
    whisper_threads: int = 0
    # A reviewer holds a queue item this long; an abandoned one then goes to the next reviewer.
    review_lease_seconds: int = 300
    # While rotating the carrier's auth token: the old one, still accepted on webhooks.
    twilio_previous_auth_token: str | None = None
    # Clients that may read /metrics without a token (Prometheus servers).
    metrics_allow: tuple[Network, ...] = field(default=())
    # Where processes of one host write their metrics for one /metrics to add up (gunicorn's
    # workers, `petition run`'s children); prometheus_client reads the same variable.
    metrics_dir: Path | None = None
    # Where DATA_DIR came from ("environment", the configuration file, or the default) and
    # which configuration file was read: for messages that say where a command looked.
    data_dir_from: str = "default"
    config_file: Path | None = None
    # BACKUP_DIR: where the nightly backups go (None: DATA_DIR/backups; better another disk).
    backup_folder: Path | None = None
    # BACKUP_KEEP: how many nightly backups are kept (0: no nightly backups).
    backup_keep: int = 7
    # The carrier's REST API (numbers, calls, alerts): Twilio's, or a compatible carrier's.
    twilio_api_base: str = DEFAULT_TWILIO_API_BASE
    # Seconds a REST request may take before the carrier is called unreachable.
    twilio_api_timeout: float = 10.0

    @property
    def recordings_dir(self) -> Path:
        return self.data_dir / "recordings"

    @property
    def backup_dir(self) -> Path:
        return self.backup_folder or self.data_dir / "backups"

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _secrets_file(data_dir: Path) -> dict[str, str]:
    """Generated secrets for keys the operator did not set, created once per DATA_DIR.

    Processes starting together (web and worker) must agree on them: the file is created
    complete under a temporary name and linked into place, and whoever loses the race reads
    the winner's keys.
    """
    path = data_dir / "secrets.json"
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        if all(k in stored for k in _GENERATED):
            return stored
    data_dir.mkdir(parents=True, exist_ok=True)
    fresh = {k: make() for k, make in _GENERATED.items()}
    tmp = data_dir / f".secrets.{os.getpid()}.{secrets.token_hex(4)}"
    # Owner-only permissions: these keys protect callers' numbers.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(fresh, fh, indent=2)
    try:
        os.link(tmp, path)  # fails if another process got there first
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    result: dict[str, str] = json.loads(path.read_text())
    return result


_GENERATED = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(32),
    "PHONE_HASH_KEY": lambda: secrets.token_urlsafe(32),
    "TWILIO_ACCOUNT_SID": lambda: "AC" + secrets.token_hex(16),
    "TWILIO_AUTH_TOKEN": lambda: secrets.token_hex(16),
}


def config_path(environ: dict[str, str] | None = None) -> Path:
    """The configuration file: PETITION_CONFIG, else the platform's place for it."""
    env = os.environ if environ is None else environ
    if env.get("PETITION_CONFIG"):
        return Path(env["PETITION_CONFIG"]).expanduser().resolve()
    return platformdirs.user_config_path("petition") / "config.toml"


def read_config(path: Path) -> dict[str, str]:
    """The variables the configuration file sets (none when there is no file)."""
    try:
        with open(path, "rb") as fh:
            found = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    return {str(k): str(v) for k, v in found.items() if not isinstance(v, dict | list)}


def remember(settings: Settings, environ: dict[str, str]) -> Path | None:
    """Record where the data is, for the commands run later from anywhere: write the
    configuration file if there is none yet. Returns the file written, or None."""
    path = settings.config_file or config_path(environ)
    if path.exists():
        return None
    values = {"DATA_DIR": str(settings.data_dir)}
    values.update({k: environ[k] for k in REMEMBERED if k != "DATA_DIR" and environ.get(k)})
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Written by the first `petition run`: where every `petition` command finds the data."
    ]
    lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    # It may hold a database password: owner only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def _existing_secrets(data_dir: Path) -> dict[str, str] | None:
    """The generated secrets of existing data, never new ones (a new phone-hash key would make
    every caller a stranger); None when there are none."""
    path = data_dir / "secrets.json"
    if not path.exists():
        return None
    stored: dict[str, str] = json.loads(path.read_text())
    return stored


def load_settings(environ: dict[str, str] | None = None, *, create: bool = True) -> Settings:
    """Build settings from environment variables and the configuration file (see README).

    With `create` False (commands that work on existing data), nothing is created: no data
    folder and no secrets; DataNotFound when DATA_DIR holds no secrets.json and the
    environment does not give the secrets.
    """
    given = dict(os.environ if environ is None else environ)
    path = config_path(given)
    stored = read_config(path)
    env = _overlaid(stored, given)
    data_dir = data_dir_of(env)
    if given.get("DATA_DIR"):
        data_dir_from = "environment"
    elif stored.get("DATA_DIR"):
        data_dir_from = str(path)
    else:
        data_dir_from = "default"
    found = _secrets_file(data_dir) if create else _existing_secrets(data_dir)
    generated = found or {}

    def secret(name: str) -> str:
        return env.get(name) or generated.get(name, "")

    hosts = env.get("RECORDING_HOSTS")
    recording_hosts = (
        tuple(h.strip().lower() for h in hosts.split(",") if h.strip())
        if hosts
        else DEFAULT_RECORDING_HOSTS
    )
    backoff = env.get("FETCH_BACKOFF")
    settings = Settings(
        data_dir=data_dir,
        database_url=env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'petition.sqlite3'}",
        redis_url=env.get("REDIS_URL") or None,
        twilio_account_sid=secret("TWILIO_ACCOUNT_SID"),
        twilio_auth_token=secret("TWILIO_AUTH_TOKEN"),
        public_base_url=(env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
        recording_hosts=recording_hosts,
        whisper_model=env.get("WHISPER_MODEL") or "bundled",
        secret_key=secret("SECRET_KEY"),
        phone_hash_key=secret("PHONE_HASH_KEY"),
        delete_at_carrier=env.get("DELETE_AT_CARRIER", "").lower() in ("1", "true", "yes"),
        retention_days=int(env.get("RETENTION_DAYS") or 90),
        fetch_backoff=(tuple(float(x) for x in backoff.split(",")) if backoff else (1.0, 3.0, 9.0)),
        job_lease_seconds=int(env.get("JOB_LEASE_SECONDS") or 600),
        proxy_hops=int(env.get("PROXY_HOPS") or 0),
        review_lease_seconds=int(env.get("REVIEW_LEASE_SECONDS") or 300),
        pack_size=max(1, int(env.get("PACK_SIZE") or 8)),
        catch_up_backlog=max(0, int(env.get("CATCH_UP_BACKLOG") or 100)),
        whisper_threads=max(0, int(env.get("WHISPER_THREADS") or 0)),
        twilio_previous_auth_token=env.get("TWILIO_PREVIOUS_AUTH_TOKEN") or None,
        sweep_interval_seconds=float(env.get("SWEEP_INTERVAL_SECONDS") or 15),
        metrics_allow=parse_networks(env.get("METRICS_ALLOW") or ""),
        metrics_dir=Path(env["PROMETHEUS_MULTIPROC_DIR"])
        if env.get("PROMETHEUS_MULTIPROC_DIR")
        else None,
        data_dir_from=data_dir_from,
        config_file=path,
        backup_folder=Path(env["BACKUP_DIR"]).expanduser().resolve()
        if env.get("BACKUP_DIR")
        else None,
        backup_keep=max(0, int(env.get("BACKUP_KEEP") or 7)),
        twilio_api_base=(env.get("TWILIO_API_BASE") or DEFAULT_TWILIO_API_BASE).rstrip("/"),
        twilio_api_timeout=float(env.get("TWILIO_API_TIMEOUT") or 10),
    )
    if found is None and not all(env.get(k) for k in _GENERATED):
        raise DataNotFound(f"no secrets.json in {data_dir}", describe(settings))
    return settings


def environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The settings as every command finds them: the configuration file's, overridden by the
    environment's that are not empty."""
    given = dict(os.environ if environ is None else environ)
    return _overlaid(read_config(config_path(given)), given)


def _overlaid(stored: dict[str, str], given: dict[str, str]) -> dict[str, str]:
    return {**stored, **{k: v for k, v in given.items() if v}}


def data_dir_of(env: dict[str, str]) -> Path:
    return Path(env.get("DATA_DIR") or "./data").resolve()


def describe(settings: Settings) -> str:
    """Where the settings point, and why: for messages that say where a command looked."""
    if settings.data_dir_from == "environment":
        origin = "DATA_DIR from the environment"
    elif settings.data_dir_from == "default":
        origin = (
            f"the default ./data of the current folder; no DATA_DIR in the environment "
            f"or in {settings.config_file}"
        )
    else:
        origin = f"DATA_DIR from {settings.data_dir_from}"
    return f"data folder {settings.data_dir} ({origin}), database {safe_url(settings.database_url)}"


def safe_url(url: str) -> str:
    """A database URL without its password."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}" if ":" in credentials else url


def parse_networks(text: str) -> tuple[Network, ...]:
    """`10.0.0.0/8, 192.0.2.7` -> networks (a bare address is a network of one)."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    )


def log_options(environ: dict[str, str] | None = None) -> tuple[str, str]:
    """LOG_FORMAT (`text` or `json`) and LOG_LEVEL (`info` ...), read before anything logs."""
    env = os.environ if environ is None else environ
    fmt = (env.get("LOG_FORMAT") or "text").lower()
    if fmt not in ("text", "json"):
        raise ValueError(f"LOG_FORMAT must be text or json, not {fmt!r}")
    return fmt, (env.get("LOG_LEVEL") or "info").upper()


def embedded_redis_url(data_dir: Path) -> str:
    """Where the embedded Redis listens when REDIS_URL is not set."""
    return f"unix://{data_dir / 'redis.sock'}"
