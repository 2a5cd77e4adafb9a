"""Download a recording from the carrier: allowed hosts only, basic auth, retries."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlparse

import requests

AUDIO_SUFFIXES = (".wav", ".mp3")
MAX_BYTES = 20 * 1024 * 1024  # a 10-second name is far below this


class HostNotAllowed(Exception):
    """The URL points at a host outside RECORDING_HOSTS: never fetched, never retried."""


class DownloadFailed(Exception):
    """Every attempt failed; the job is retried later."""


@dataclass(frozen=True)
class Downloaded:
    path: Path
    sha256: str
    size: int


def media_url(recording_url: str) -> str:
    """Twilio's RecordingUrl names the resource; `.wav` asks for the audio itself."""
    return recording_url if recording_url.endswith(AUDIO_SUFFIXES) else recording_url + ".wav"


def check_host(url: str, allowed_hosts: Sequence[str]) -> None:
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    if parsed.scheme not in ("http", "https") or host not in allowed_hosts:
        raise HostNotAllowed(f"recording host {host or url!r} is not in RECORDING_HOSTS")


def download(
    url: str,
    dest: Path,
    *,
    allowed_hosts: Sequence[str],
    auth: tuple[str, str],
    backoff: Sequence[float],
    timeout: float = 20.0,
    session: requests.Session | None = None,
) -> Downloaded:
    """Fetch `url` into `dest`, trying once plus once per backoff delay.

    Redirects are followed by hand so every hop is checked against the allowed hosts, and the
    credentials are only sent to the first host.
    """
    http = session or requests.Session()
    last_error = "no attempt"
    for attempt, delay in enumerate([0.0, *backoff]):
        if delay:
            time.sleep(delay)
        try:
            return _fetch_once(http, url, dest, allowed_hosts, auth, timeout)
        except HostNotAllowed:
            raise
        except (requests.RequestException, DownloadFailed) as exc:
            last_error = f"attempt {attempt + 1}: {exc}"
    raise DownloadFailed(last_error)


def _fetch_once(
    http: requests.Session,
    url: str,
    dest: Path,
    allowed_hosts: Sequence[str],
    auth: tuple[str, str],
    timeout: float,
) -> Downloaded:
    first_host = urlparse(url).hostname
    for _hop in range(5):
        check_host(url, allowed_hosts)
        send_auth = auth if urlparse(url).hostname == first_host else None
        resp = http.get(url, auth=send_auth, timeout=timeout, stream=True, allow_redirects=False)
        if resp.is_redirect:
            url = urljoin(url, resp.headers["Location"])
            resp.close()
            continue
        if resp.status_code != 200:
            resp.close()
            raise DownloadFailed(f"HTTP {resp.status_code} from {urlparse(url).hostname}")
        return _save(resp, dest)
    raise DownloadFailed("too many redirects")


def _save(resp: requests.Response, dest: Path) -> Downloaded:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".part")
    digest = hashlib.sha256()
    size = 0
    with resp, open(tmp, "wb") as fh:
        for chunk in resp.iter_content(64 * 1024):
            size += len(chunk)
            if size > MAX_BYTES:
                raise DownloadFailed("recording larger than allowed")
            digest.update(chunk)
            fh.write(chunk)
    with open(tmp, "rb") as fh:
        head = fh.read(12)
    if not (head[:4] == b"RIFF" and head[8:12] == b"WAVE") and not head.startswith(
        (b"ID3", b"\xff\xfb")
    ):
        tmp.unlink(missing_ok=True)
        raise DownloadFailed("response is not audio")
    os.replace(tmp, dest)
    return Downloaded(path=dest, sha256=digest.hexdigest(), size=size)
