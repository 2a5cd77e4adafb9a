"""Failed sign-ins counted per account and per IP address, so passwords cannot be guessed.

Counted in Redis, shared by every web process. When Redis cannot be reached the counts live in
this process instead: weaker with several processes, but sign-in keeps working and keeps a limit.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field

import redis

ACCOUNT_LIMIT = 5  # failures per account per window
IP_LIMIT = 20  # per address: higher, since an office or a school shares one
WINDOW_SECONDS = 15 * 60
# After Redis failed once, it is not asked again for this long (each try costs a timeout).
REDIS_RETRY_SECONDS = 30


def _key(kind: str, value: str) -> str:
    # Hashed: Redis does not need to hold staff e-mail addresses.
    return f"petition:login-failures:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


@dataclass
class LoginLimiter:
    account_limit: int = ACCOUNT_LIMIT
    ip_limit: int = IP_LIMIT
    window: int = WINDOW_SECONDS
    _memory: dict[str, tuple[int, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _redis_down_until: float = 0.0

    def _keys(self, email: str, ip: str) -> list[tuple[str, int]]:
        return [
            (_key("account", email.strip().lower()), self.account_limit),
            (_key("ip", ip), self.ip_limit),
        ]

    def retry_after(self, conn: redis.Redis, email: str, ip: str) -> int:
        """Seconds until this account or address may try again; 0 when it may now."""
        wait = 0
        for key, limit in self._keys(email, ip):
            count, ttl = self._get(conn, key)
            if count >= limit:
                wait = max(wait, ttl)
        return wait

    def failed(self, conn: redis.Redis, email: str, ip: str) -> None:
        for key, _limit in self._keys(email, ip):
            self._incr(conn, key)

    def succeeded(self, conn: redis.Redis, email: str) -> None:
        # Only the account's count is cleared: a success must not reset the address's count,
        # or one valid account could unlock guessing at all the others.
        key = _key("account", email.strip().lower())
        if self._redis_usable():
            try:
                conn.delete(key)
                return
            except redis.RedisError:
                self._redis_failed()
        with self._lock:
            self._memory.pop(key, None)

    def _redis_usable(self) -> bool:
        return time.monotonic() >= self._redis_down_until

    def _redis_failed(self) -> None:
        self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS

    def _get(self, conn: redis.Redis, key: str) -> tuple[int, int]:
        if self._redis_usable():
            try:
                pipe = conn.pipeline()
                pipe.get(key)
                pipe.ttl(key)
                raw, ttl = pipe.execute()
                return int(raw or 0), max(int(ttl), 1)
            except redis.RedisError:
                self._redis_failed()
        with self._lock:
            count, expires = self._memory.get(key, (0, 0.0))
            now = time.monotonic()
            if expires <= now:
                return 0, 0
            return count, max(int(expires - now), 1)

    def _incr(self, conn: redis.Redis, key: str) -> None:
        if self._redis_usable():
            try:
                pipe = conn.pipeline()
                pipe.set(key, 0, ex=self.window, nx=True)  # the window starts at the 1st failure
                pipe.incr(key)
                pipe.execute()
                return
            except redis.RedisError:
                self._redis_failed()
        with self._lock:
            now = time.monotonic()
            count, expires = self._memory.get(key, (0, 0.0))
            if expires <= now:
                count, expires = 0, now + self.window
            self._memory[key] = (count + 1, expires)
            if len(self._memory) > 10_000:  # forget expired entries now and then
                self._memory = {k: v for k, v in self._memory.items() if v[1] > now}
