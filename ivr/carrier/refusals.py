"""Webhooks refused for a bad signature: counted per minute, the last one kept with the URL the
carrier signed against and the URL this service checked, so the overview can name the cause.

One character differs (http against https, another host, a path) and every call is refused;
the carrier's callers hear its error message and the dashboard stays silent. This makes it loud.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import redis
from rq import Queue

KEEP_SECONDS = 2 * 3600


def _minute_key(prefix: str, minute: int) -> str:
    return f"{prefix}:refused:{minute}"


def candidates(reached: str, checked: str) -> list[str]:
    """Addresses the carrier may have signed against, most likely first: the one the request
    reached (as the proxy passed it on), with the other scheme, and the checked one with the
    other scheme or without PUBLIC_BASE_URL's path."""
    found: list[str] = []

    def add(url: str) -> None:
        if url and url != checked and url not in found:
            found.append(url)

    def other_scheme(url: str) -> str:
        parts = urlsplit(url)
        scheme = "http" if parts.scheme == "https" else "https"
        return urlunsplit((scheme, *parts[1:]))

    add(reached)
    add(other_scheme(reached))
    add(other_scheme(checked))
    return found


def signed_url(
    reached: str, checked: str, path_and_query: str, valid: Callable[[str], bool]
) -> str | None:
    """The address the signature was made for, among the likely ones; None: none of them (the
    auth token differs, or the request was changed on the way)."""
    options = candidates(reached, checked)
    parts = urlsplit(checked)
    options.append(urlunsplit((parts.scheme, parts.netloc, "", "", "")) + path_and_query)
    for url in options:
        if url != checked and valid(url):
            return url
    return None


def record(
    conn: redis.Redis, prefix: str, *, signed: str | None, checked: str, now: float | None = None
) -> None:
    """Count a refusal and keep it as the last one (never raises: the webhook answers 403
    whatever Redis does)."""
    moment = time.time() if now is None else now
    key = _minute_key(prefix, int(moment // 60))
    with contextlib.suppress(redis.RedisError, OSError):
        pipe = conn.pipeline()
        pipe.incr(key)
        pipe.expire(key, KEEP_SECONDS)
        last = {"signed": signed, "checked": checked, "at": moment}
        pipe.set(f"{prefix}:refused:last", json.dumps(last), ex=KEEP_SECONDS)
        pipe.execute()


@dataclass(frozen=True)
class Refusals:
    last_hour: int
    signed: str | None  # the last refusal's
    checked: str | None
    at: float | None


def recent_or_none(queue: Queue) -> Refusals | None:
    """The last hour's refusals of this deployment (its queue's name is the prefix), or None
    when Redis cannot say."""
    try:
        return recent(queue.connection, queue.name)
    except (redis.RedisError, OSError):
        return None


def recent(conn: redis.Redis, prefix: str, now: float | None = None) -> Refusals:
    moment = time.time() if now is None else now
    minute = int(moment // 60)
    keys = [_minute_key(prefix, m) for m in range(minute - 59, minute + 1)]
    counts: Iterable[bytes | None] = conn.mget(keys)  # type: ignore[assignment]
    total = sum(int(c) for c in counts if c)
    raw = conn.get(f"{prefix}:refused:last")
    last = json.loads(raw) if raw else {}
    if not total:
        return Refusals(0, None, None, None)
    return Refusals(total, last.get("signed"), last.get("checked"), last.get("at"))


@dataclass(frozen=True)
class Difference:
    """Two URLs as a shared beginning, the parts that differ, and a shared end."""

    part: str  # scheme | host | path | query | none
    before: str
    signed: str
    checked: str
    after: str


def difference(signed: str, checked: str) -> Difference:
    a, b = urlsplit(signed), urlsplit(checked)
    if a.scheme != b.scheme:
        part = "scheme"
    elif a.netloc != b.netloc:
        part = "host"
    elif a.path != b.path:
        part = "path"
    elif a.query != b.query:
        part = "query"
    else:
        part = "none"
    start = 0
    while start < min(len(signed), len(checked)) and signed[start] == checked[start]:
        start += 1
    end = 0
    while end < min(len(signed), len(checked)) - start and signed[-1 - end] == checked[-1 - end]:
        end += 1
    return Difference(
        part,
        signed[:start],
        signed[start : len(signed) - end],
        checked[start : len(checked) - end],
        signed[len(signed) - end :],
    )
