"""A worker's own small HTTP server: /healthz, /readyz and /metrics (`petition worker --port`).

A worker has no web app; this lets a supervisor (systemd, compose) check it the way it checks
the web app, and Prometheus scrape a worker that runs on a host of its own. /metrics takes the
same access as the web app's: a client inside METRICS_ALLOW, or an API token.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CONTENT_TYPE_LATEST

from petition.operations.monitoring import address_allowed
from petition.operations.users import token_role
from workers import context, metrics

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        pass


class WorkerEndpoints:
    """The WSGI app; `alive` says whether the worker's loops still run."""

    def __init__(
        self, ctx: context.WorkerContext, ping_redis: Callable[[], Any], alive: Callable[[], bool]
    ) -> None:
        self.ctx = ctx
        self.ping_redis = ping_redis
        self.alive = alive
        self.registry = metrics.registry(ctx.settings)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "GET":
            return _answer(start_response, 405, {"error": "GET only"})
        if path == "/healthz":
            ok = self.alive()
            return _answer(start_response, 200 if ok else 503, {"status": "ok" if ok else "down"})
        if path == "/readyz":
            return self._readyz(start_response)
        if path == "/metrics":
            denied = self._access(environ)
            if denied:
                return _answer(start_response, denied, {"error": "not allowed"})
            body = metrics.render(self.registry)
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [body]
        return _answer(start_response, 404, {"error": "not found"})

    def _readyz(self, start_response: StartResponse) -> Iterable[bytes]:
        checks: dict[str, str] = {}
        for name, check in (("database", self.ctx.db.ping), ("redis", self.ping_redis)):
            try:
                check()
                checks[name] = "ok"
            except Exception as exc:  # any failure means not ready; say which
                checks[name] = f"error: {type(exc).__name__}"
        ready = all(v == "ok" for v in checks.values())
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        return _answer(start_response, 200 if ready else 503, body)

    def _access(self, environ: dict[str, Any]) -> int | None:
        """None if the client may read metrics, else the status to refuse it with."""
        if address_allowed(environ.get("REMOTE_ADDR"), self.ctx.settings.metrics_allow):
            return None
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return 401
        with self.ctx.db.session() as s:
            return None if token_role(s, token.strip()) else 401


def _answer(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    reasons = {200: "OK", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}
    start_response(
        f"{status} {reasons.get(status, 'Service Unavailable')}",
        [("Content-Type", "application/json")],
    )
    return [json.dumps(body).encode()]


def serve_in_background(app: WorkerEndpoints, host: str, port: int) -> _Server:
    server = make_server(host, port, app, server_class=_Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="worker-http", daemon=True).start()
    log.info("worker endpoints on http://%s:%d (/healthz, /readyz, /metrics)", host, port)
    return server
