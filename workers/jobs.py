"""RQ jobs: thin functions that fetch, fingerprint, transcribe and hand the result to the
domain."""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import requests
import sqlalchemy as sa

from audio.transcribe import GREEDY
from petition import logs
from petition.counting.rules import Heard, decide
from petition.integrity import fingerprint, replays
from petition.line import work
from petition.models import Recording, RecordingStatus, Signature, utcnow
from workers import context
from workers.fetch import DownloadFailed, HostNotAllowed, download, media_url
from workers.metrics import RECORDINGS_DECIDED, TRANSCRIPTION_SECONDS

log = logging.getLogger(__name__)


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def process_recording(recording_sid: str) -> str:
    """Fetch, store, transcribe and count one recording, and with it up to PACK_SIZE - 1 other
    waiting recordings of the same language in one Whisper pass. Safe to run twice."""
    with logs.context(recording_sid=recording_sid):
        outcome = _process(recording_sid)
        log.info("recording: %s", outcome)
        return outcome


def read_back_recording(recording_sid: str) -> str:
    """The live lane: the same work on this one recording alone, at once, for a caller who
    waits on the line for the read-back. No companions (a pack would make them wait), never
    greedy (the caller is about to hear the reading). Safe to run twice, and beside the
    recording's own job: whichever claims it first decides it."""
    with logs.context(recording_sid=recording_sid):
        outcome = _process(recording_sid, live=True)
        log.info("recording (live): %s", outcome)
        return outcome


@dataclass
class _Item:
    """A claimed recording on its way through the job."""

    rec_id: int
    recording_sid: str
    url: str
    campaign_id: int
    path: Path | None
    outcome: str = ""
    failed: Exception | None = None  # a download or a transcription that failed: retried later


class RecordingFailed(RuntimeError):
    """The job's own recording could not be fetched or read; RQ retries the job."""


def _process(recording_sid: str, *, live: bool = False) -> str:
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
        language = rec.call.language
        # Every recording of the pack is claimed before any work starts on it.
        batch = [rec]
        if not live:
            batch += work.claim_companions(
                s, rec, me, settings.job_lease_seconds, settings.pack_size - 1
            )
        # Behind a surge, the count matters more than the machine's reading of names that
        # go to a person anyway: greedy decoding, a faster pace (audio.transcribe.GREEDY).
        hurry = not live and work.backlog_reaches(s, settings.catch_up_backlog)
        items = []
        for r in batch:
            r.attempts += 1
            r.stage = "fetching"
            path = Path(r.storage_path) if r.storage_path else None
            items.append(_Item(r.id, r.recording_sid, r.url, r.campaign_id, path))

    own = items[0]
    for item in items:
        with logs.context(recording_sid=item.recording_sid):
            _fetch(item)
            if item.failed is None and not item.outcome:
                _fingerprint(item, me)
    ready = [item for item in items if item.failed is None and not item.outcome]
    started = time.perf_counter()
    transcripts = ctx.transcriber.transcribe_pack(
        [item.path for item in ready if item.path is not None],
        language,
        beam_size=GREEDY if hurry else None,
    )
    if ready:
        per_recording = (time.perf_counter() - started) / len(ready)
    for item, transcript in zip(ready, transcripts, strict=True):
        with logs.context(recording_sid=item.recording_sid):
            if isinstance(transcript, Exception):  # unreadable audio: free it for a retry
                item.failed = transcript
                _release(item.rec_id, f"transcription failed: {transcript!r}")
                continue
            TRANSCRIPTION_SECONDS.observe(per_recording)
            item.outcome = _decide(item, transcript, me)
            if settings.delete_at_carrier and item.outcome not in ("", LOST_CLAIM):
                _delete_at_carrier(
                    item.url, settings.twilio_account_sid, settings.twilio_auth_token
                )
    if own.failed is not None:
        raise RecordingFailed(str(own.failed)) from own.failed
    packed = f" (in a pack of {len(items)})" if len(items) > 1 else ""
    return own.outcome + packed + (", catching up" if hurry else "")


LOST_CLAIM = "lost the claim while transcribing"


def _fetch(item: _Item) -> None:
    """Download the recording unless it is stored already; a failure frees it for a retry."""
    if item.path is not None and item.path.exists():
        return
    settings, db = context.current().settings, context.current().db
    dest = settings.recordings_dir / str(item.campaign_id) / f"{item.recording_sid}.wav"
    try:
        got = download(
            media_url(item.url),
            dest,
            allowed_hosts=settings.recording_hosts,
            auth=(settings.twilio_account_sid, settings.twilio_auth_token),
            backoff=settings.fetch_backoff,
        )
    except HostNotAllowed as exc:
        _give_up(item.rec_id, str(exc))
        log.error("refused: %s", exc)
        item.outcome = "refused"
        return
    except DownloadFailed as exc:
        _release(item.rec_id, str(exc))
        item.failed = exc
        return
    item.path = got.path
    with db.session() as s:
        rec = s.get_one(Recording, item.rec_id)
        rec.storage_path, rec.sha256, rec.size_bytes = str(got.path), got.sha256, got.size
        rec.stage = "transcribing"


def _fingerprint(item: _Item, me: str) -> None:
    """Fingerprint the stored recording and index it, in its own commit, before the decision:
    of two twins decided at the same moment, each then finds the other."""
    db = context.current().db
    with db.session() as s:
        done = s.scalar(
            sa.select(Recording.fingerprint.is_not(None)).where(Recording.id == item.rec_id)
        )
    if done or item.path is None:
        return
    try:
        made = fingerprint.fingerprint_file(item.path)
    except fingerprint.FingerprintError as exc:
        # Audio we cannot read is still transcribed; it just cannot be matched with others.
        log.warning("no fingerprint: %s", exc)
        return
    except Exception as exc:  # free the claim so a retry can take it
        _release(item.rec_id, f"fingerprint failed: {exc!r}")
        item.failed = exc
        return
    with db.session() as s:
        rec = s.get_one(Recording, item.rec_id)
        if rec.claimed_by != me:
            item.outcome = LOST_CLAIM
            return
        replays.store(s, rec, made)


def _decide(item: _Item, transcript: Heard, me: str) -> str:
    with context.current().db.session() as s:
        rec = s.get_one(Recording, item.rec_id)
        if rec.claimed_by != me:
            return LOST_CLAIM
        signature = s.scalar(sa.select(Signature).where(Signature.recording_id == rec.id))
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
    return outcome


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
