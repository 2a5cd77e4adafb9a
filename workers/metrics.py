"""Prometheus metrics: what each process counts, and what the database and Redis say at scrape.

Counters and histograms live in the process that does the work (webhook latency in the web
app, transcription time in a worker). With PROMETHEUS_MULTIPROC_DIR set, every process of a
host writes them to files there and one /metrics adds them up (gunicorn's workers, and
`petition run`'s children). A worker on a host of its own serves them itself
(`petition worker --port`). The state of the whole deployment (signatures, recordings
waiting, failed jobs, workers' heartbeats) is read at scrape time from the database and
Redis by the web app's /metrics only, so it is counted once however many processes run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from rq import Queue, Worker

from petition.config import Settings
from petition.db import Database
from petition.models import utcnow
from petition.operations import monitoring

WEBHOOK_REQUESTS = Counter(
    "petition_webhook_requests",
    "Carrier webhook requests answered, by endpoint and HTTP status.",
    ["endpoint", "status"],
)
WEBHOOK_SECONDS = Histogram(
    "petition_webhook_request_seconds",
    "Time to answer a carrier webhook, by endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15),
)
TRANSCRIPTION_SECONDS = Histogram(
    "petition_transcription_seconds",
    "Time to transcribe one recording.",
    buckets=(0.25, 0.5, 1, 1.5, 2, 3, 5, 8, 13, 21, 34, 60),
)
RECORDINGS_DECIDED = Counter(
    "petition_recordings_decided",
    "Recordings transcribed and decided by this process, by the signature's new state.",
    ["state"],
)


class _OwnProcess(Collector):
    """This process's own counters and histograms (when not in multiprocess mode)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


class DeploymentCollector(Collector):
    """The whole deployment's state, read from the database and Redis at each scrape."""

    def __init__(self, db: Database, queue: Callable[[], Queue]) -> None:
        self.db = db
        self.queue = queue

    def collect(self) -> Iterator[Metric]:
        database_up = GaugeMetricFamily(
            "petition_database_up", "1 if the database answered this scrape."
        )
        try:
            yield from self._from_database()
            database_up.add_metric([], 1)
        except Exception:  # a scrape must answer whatever is down; the gauge says it
            database_up.add_metric([], 0)
        yield database_up
        redis_up = GaugeMetricFamily("petition_redis_up", "1 if Redis answered this scrape.")
        try:
            yield from self._from_redis()
            redis_up.add_metric([], 1)
        except Exception:
            redis_up.add_metric([], 0)
        yield redis_up

    def _from_database(self) -> Iterator[Metric]:
        with self.db.session() as s:
            counts = monitoring.signatures_by_state_and_name_status(s)
            waiting = monitoring.waiting_recordings(s)
            failed = monitoring.failed_recordings(s)
        signatures = GaugeMetricFamily(
            "petition_signatures",
            "Signatures by campaign, state and name status.",
            labels=["campaign", "state", "name_status"],
        )
        for slug, state, name_status, n in counts:
            signatures.add_metric([slug, state, name_status], n)
        oldest = max((utcnow() - waiting.oldest).total_seconds(), 0.0) if waiting.oldest else 0.0
        yield signatures
        yield GaugeMetricFamily(
            "petition_recordings_waiting",
            "Recordings not yet decided (queued, or being fetched and transcribed).",
            value=waiting.count,
        )
        yield GaugeMetricFamily(
            "petition_recordings_oldest_waiting_seconds",
            "Age of the oldest recording not yet decided (0 when none waits).",
            value=oldest,
        )
        yield GaugeMetricFamily(
            "petition_recordings_failed",
            "Recordings the workers gave up on; each needs an operator.",
            value=failed,
        )

    def _from_redis(self) -> Iterator[Metric]:
        queue = self.queue()
        queued = queue.count
        failed_jobs = queue.failed_job_registry.count
        heartbeats = GaugeMetricFamily(
            "petition_worker_last_heartbeat_timestamp_seconds",
            "When each worker last reported to Redis (Unix time).",
            labels=["worker"],
        )
        workers = Worker.all(queue=queue)
        for worker in workers:
            beat = worker.last_heartbeat
            if beat is not None:
                beat = beat if beat.tzinfo else beat.replace(tzinfo=UTC)
                heartbeats.add_metric([worker.name], beat.timestamp())
        yield GaugeMetricFamily("petition_jobs_queued", "Jobs waiting in the queue.", value=queued)
        yield GaugeMetricFamily(
            "petition_jobs_failed",
            "Jobs in the failed registry (retries used up), kept for 7 days.",
            value=failed_jobs,
        )
        yield GaugeMetricFamily(
            "petition_workers", "Workers registered on this deployment's queue.", value=len(workers)
        )
        yield heartbeats


def registry(settings: Settings, deployment: Collector | None = None) -> CollectorRegistry:
    """What one /metrics shows: this host's processes (or this process), and `deployment`."""
    reg = CollectorRegistry(auto_describe=False)
    if settings.metrics_dir is not None:
        MultiProcessCollector(reg, path=str(settings.metrics_dir))
    else:
        reg.register(_OwnProcess())
    if deployment is not None:
        reg.register(deployment)
    return reg


def render(reg: CollectorRegistry) -> bytes:
    return generate_latest(reg)
