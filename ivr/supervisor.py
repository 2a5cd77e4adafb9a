"""`petition run`: start the embedded Redis, the worker(s) and the web server, and keep them up.

A child that dies is started again after a pause that doubles with each quick death (1 s up
to 30 s), and every restart is logged. On SIGTERM or SIGINT every child is stopped: the web
server and the workers first (a worker finishes the job it holds, for at most `grace`
seconds), Redis last. Each child leads its own process group, and the whole group is signalled,
so a child's own children (RQ's scheduler) go with it. On Linux a child also gets SIGTERM if
`petition run` itself is killed outright, so nothing is left orphaned.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType

log = logging.getLogger("petition.supervisor")

FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0
# A child that ran this long before dying starts again from the first pause: it was healthy.
HEALTHY_AFTER = 60.0
POLL_SECONDS = 0.2


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    env: dict[str, str]
    # Called before each start (e.g. removing a stale socket); then, if given, `ready`
    # is waited for so that the children after it find it up.
    before_start: Callable[[], None] | None = None
    ready: Callable[[], bool] | None = None
    stop_timeout: float = 10.0
    # Stopped after all the others (Redis: the workers need it to finish their jobs).
    stop_last: bool = False
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    backoff: float = FIRST_BACKOFF
    restart_at: float | None = None
    restarts: int = 0


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux for SIGTERM when the parent dies."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class Supervisor:
    def __init__(self, children: Sequence[Child]) -> None:
        self.children = list(children)  # started in this order
        self._stop = threading.Event()
        self._hurry = False

    def run(self) -> int:
        """Start everything, keep it running until a signal, then stop it all. Exit code."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            for child in self.children:
                if self._stop.is_set():
                    break
                self._start(child)
            while not self._stop.wait(POLL_SECONDS):
                self._watch()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self._stop.is_set():
            self._hurry = True  # a second signal: do not wait for running jobs
        log.info("%s received: stopping", signal.Signals(signum).name)
        self._stop.set()

    def _start(self, child: Child) -> None:
        if child.before_start is not None:
            child.before_start()
        child.proc = subprocess.Popen(
            list(child.argv),
            env=child.env,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # safe: the supervisor starts no threads
        )
        child.started_at = time.monotonic()
        child.restart_at = None
        log.info(
            "started %s (pid %d)",
            child.name,
            child.proc.pid,
            extra={"child": child.name, "child_pid": child.proc.pid},
        )
        if child.ready is not None:
            deadline = time.monotonic() + 30
            while not child.ready() and time.monotonic() < deadline:
                if child.proc.poll() is not None or self._stop.wait(0.05):
                    break

    def _watch(self) -> None:
        now = time.monotonic()
        for child in self.children:
            proc = child.proc
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.restarts += 1
                    self._start(child)
                continue
            if proc is None or proc.poll() is None:
                continue
            if now - child.started_at >= HEALTHY_AFTER:
                child.backoff = FIRST_BACKOFF
            wait = child.backoff
            child.restart_at = now + wait
            child.backoff = min(wait * 2, MAX_BACKOFF)
            # The dead child's own children (if any) go with it.
            _signal_group(proc.pid, signal.SIGKILL)
            log.warning(
                "%s exited with code %s; restarting in %.0f s (restart %d)",
                child.name,
                proc.returncode,
                wait,
                child.restarts + 1,
                extra={"child": child.name, "exit_code": proc.returncode},
            )

    def _stop_all(self) -> None:
        started = [c for c in self.children if c.proc is not None]
        self._stop_group([c for c in started if not c.stop_last])
        self._stop_group([c for c in started if c.stop_last])

    def _stop_group(self, children: Sequence[Child]) -> None:
        """SIGTERM the children at once, wait for each up to its time, then SIGKILL."""
        for child in children:
            assert child.proc is not None
            if child.proc.poll() is None:
                _signal_group(child.proc.pid, signal.SIGTERM)
        for child in children:
            assert child.proc is not None
            timeout = 0.0 if self._hurry else child.stop_timeout
            try:
                child.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning(
                    "%s did not stop within %.0f s; killing it",
                    child.name,
                    timeout,
                    extra={"child": child.name},
                )
            # Also after a clean exit: a grandchild may have outlived its parent.
            _signal_group(child.proc.pid, signal.SIGKILL)
            child.proc.wait()
            log.info("stopped %s", child.name, extra={"child": child.name})


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
