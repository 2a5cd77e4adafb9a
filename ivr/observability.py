"""What the web app tells operators: request ids in logs, webhook metrics, and /metrics."""

from __future__ import annotations

import contextlib
import logging
import re
import time
import uuid

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST

from ivr.security import require_token
from ivr.services import services
from petition import logs
from petition.operations.monitoring import address_allowed
from workers import metrics

access_log = logging.getLogger("ivr.access")
bp = Blueprint("metrics", __name__)

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Polled by machines every few seconds: their access lines only at debug level.
QUIET_PATHS = ("/healthz", "/readyz", "/metrics")


@bp.get("/metrics")
def metrics_endpoint() -> Response:
    """Prometheus text: for clients inside METRICS_ALLOW, or with an API token (any role)."""
    svc = services()
    if not address_allowed(request.remote_addr, svc.settings.metrics_allow):
        require_token("viewer")
    reg = current_app.extensions.get("petition_metrics")
    if reg is None:
        deployment = metrics.DeploymentCollector(svc.db, lambda: svc.queue)
        reg = current_app.extensions["petition_metrics"] = metrics.registry(
            svc.settings, deployment
        )
    return Response(metrics.render(reg), headers={"Content-Type": CONTENT_TYPE_LATEST})


def _start() -> None:
    given = request.headers.get("X-Request-Id", "")
    g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
    g.started = time.perf_counter()
    # Carrier identifiers only; the form's caller number (`From`) is never read here.
    g.log_token = logs.bind(
        request_id=g.request_id,
        call_sid=_sid("CallSid"),
        recording_sid=_sid("RecordingSid"),
    )


def _sid(name: str) -> str | None:
    if request.method != "POST" or request.blueprint != "ivr":
        return None
    value = request.form.get(name, "")
    return value if re.fullmatch(r"[A-Za-z0-9]{2,64}", value) else None


def _finish(response: Response) -> Response:
    started = g.get("started")
    if started is None:
        return response
    seconds = time.perf_counter() - started
    response.headers["X-Request-Id"] = g.request_id
    if request.blueprint == "ivr" and request.endpoint:
        metrics.WEBHOOK_REQUESTS.labels(request.endpoint, str(response.status_code)).inc()
        metrics.WEBHOOK_SECONDS.labels(request.endpoint).observe(seconds)
    access_log.log(
        logging.DEBUG if request.path in QUIET_PATHS else logging.INFO,
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,  # never the query string: a staff search may hold a name
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
            "endpoint": request.endpoint,
        },
    )
    return response


def _teardown(_exc: BaseException | None) -> None:
    token = g.pop("log_token", None)
    if token is not None:
        with contextlib.suppress(ValueError):  # a teardown in another context: nothing to undo
            logs.unbind(token)


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_teardown)
    app.register_blueprint(bp)
