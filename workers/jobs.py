"""RQ jobs: thin functions that fetch, fingerprint, transcribe and hand the result to the domain."""

from __future__ import annotations

import logging
import os
import socket
import time
from pathlib import Path

import requests
import sqlalchemy as sa

from petition import fingerprint, logs, replays, work
from petition.counting import decide
from petition.models import Recording, RecordingStatus, Signature, utcnow
from workers import context
from workers.fetch import DownloadFailed, HostNotAllowed, download, media_url
from workers.metrics import RECORDINGS_DECIDED, TRANSCRIPTION_SECONDS

log = logging.getLogger(__name__)


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def process_recording(recording_sid: str) -> str:
    """Fetch, store, transcribe and count one recording. Safe to run twice."""
    with logs.context(recording_sid=recording_sid):
        outcome = _process(recording_sid)
        log.info("recording: %s", outcome)
        return outcome


def _process(recording_sid: str) -> str:
    ctx = context.current()
    settings, db = ctx.settings, ctx.db
    me = worker_identity()
    with db.session() as s:
        rec = s.scalar(sa.select(Recording).where(Recording.recording_sid == recording_sid))
        if rec is None:
            # Queues are per deployment, so this is a job from before a restore, or a bug.
            log.warning(
                "job for recording %s, which this database does not know; skipped", recording_sid
            )
            return "unknown recording"
        if rec.status != RecordingStatus.PENDING:
            return "nothing to do"
        if not work.claim(s, rec.id, me, settings.job_lease_seconds):
            return "held by another worker"
        s.refresh(rec)
        rec.attempts += 1
        rec.stage = "fetching"
        language = rec.call.language
        path = Path(rec.storage_path) if rec.storage_path else None
        url, campaign_id, rec_id = rec.url, rec.campaign_id, rec.id
        fingerprinted = rec.fingerprint is not None

    if path is None or not path.exists():
        dest = settings.recordings_dir / str(campaign_id) / f"{recording_sid}.wav"
        try:
            got = download(
                media_url(url),
                dest,
                allowed_hosts=settings.recording_hosts,
                auth=(settings.twilio_account_sid, settings.twilio_auth_token),
                backoff=settings.fetch_backoff,
            )
        except HostNotAllowed as exc:
            _give_up(rec_id, str(exc))
            log.error("refused: %s", exc)
            return "refused"
        except DownloadFailed as exc:
            _release(rec_id, str(exc))
            raise
        path = got.path
        with db.session() as s:
            rec = s.get_one(Recording, rec_id)
            rec.storage_path, rec.sha256, rec.size_bytes = str(got.path), got.sha256, got.size
            rec.stage = "transcribing"

    if not fingerprinted and not _fingerprint(rec_id, path, me):
        return "lost the claim while fingerprinting"

    started = time.perf_counter()
    try:
        transcript = ctx.transcriber.transcribe(path, language)
        TRANSCRIPTION_SECONDS.observe(time.perf_counter() - started)
    except Exception as exc:  # e.g. unreadable audio: free the claim so a retry can take it
        _release(rec_id, f"transcription failed: {exc!r}")
        raise

    with db.session() as s:
        rec = s.get_one(Recording, rec_id)
        if rec.claimed_by != me:
            return "lost the claim while transcribing"
        signature = s.scalar(sa.select(Signature).where(Signature.recording_id == rec_id))
        assert signature is not None
        decide(s, signature, transcript, actor="worker")
        rec.status = RecordingStatus.DONE
        rec.stage = "done"
        rec.processed_at = utcnow()
        rec.last_error = None
        work.release(rec)
        outcome = f"{signature.state}" + (f" ({signature.reason})" if signature.reason else "")
        state = signature.state
    RECORDINGS_DECIDED.labels(state=state).inc()

    if settings.delete_at_carrier:
        _delete_at_carrier(url, settings.twilio_account_sid, settings.twilio_auth_token)
    return outcome


def _fingerprint(rec_id: int, path: Path, me: str) -> bool:
    """Fingerprint the stored recording and index it, in its own commit, before the decision:
    of two twins decided at the same moment, each then finds the other. False when the claim
    was lost meanwhile."""
    try:
        made: fingerprint.Print | None = fingerprint.fingerprint_file(path)
    except fingerprint.FingerprintError as exc:
        # Audio we cannot read is still transcribed; it just cannot be matched with others.
        log.warning("no fingerprint: %s", exc)
        made = None
    except Exception as exc:  # free the claim so a retry can take it
        _release(rec_id, f"fingerprint failed: {exc!r}")
        raise
    with context.current().db.session() as s:
        rec = s.get_one(Recording, rec_id)
        if rec.claimed_by != me:
            return False
        if made is not None:
            replays.store(s, rec, made)
    return True


def _give_up(rec_id: int, error: str) -> None:
    with context.current().db.session() as s:
        work.release(s.get_one(Recording, rec_id), error=error, give_up=True)


def _release(rec_id: int, error: str) -> None:
    with context.current().db.session() as s:
        work.release(s.get_one(Recording, rec_id), error=error)


def _delete_at_carrier(url: str, sid: str, token: str) -> None:
    """Our copy is stored: remove the carrier's, so the voice lives in one place only."""
    try:
        resp = requests.delete(url.removesuffix(".wav"), auth=(sid, token), timeout=10)
    except requests.RequestException as exc:
        log.warning("could not delete a recording at the carrier: %s", exc)
        return
    # 404: already gone. Anything else stays at the carrier; the log says so for an operator.
    if not resp.ok and resp.status_code != 404:
        log.warning("carrier refused to delete a recording: HTTP %s", resp.status_code)
