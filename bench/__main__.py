"""Run every benchmark and print its figures."""

from __future__ import annotations

import argparse
import os
import platform

from bench import (
    backup,
    dashboard,
    export,
    fingerprints,
    loops,
    namecheck,
    packing,
    readback,
    review_queue,
    surge,
    transcription,
    webhook_floor,
    webhooks,
)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--only",
        choices=[
            "webhooks",
            "transcription",
            "export",
            "dashboard",
            "namecheck",
            "review",
            "packing",
            "loops",
            "floor",
            "surge",
            "fingerprints",
            "readback",
            "backup",
        ],
        default=None,
    )
    parser.add_argument(
        "--tune", action="store_true", help="namecheck: search thresholds on the tune half"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="namecheck: transcribe again, ignoring the cache"
    )
    parser.add_argument("--calls", type=int, default=300, help="simulated calls (5 webhooks each)")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--clients", type=int, default=1, help="concurrent webhook clients")
    parser.add_argument("--surge-calls", type=int, default=2000, help="surge: calls to place")
    parser.add_argument(
        "--surge-seconds", type=float, default=300.0, help="surge: over how many seconds"
    )
    parser.add_argument("--workers", type=int, default=1, help="surge: petition worker processes")
    parser.add_argument(
        "--readback-calls", type=int, default=40, help="readback: live calls for the wait"
    )
    parser.add_argument(
        "--no-read-back", action="store_true", help="surge: the campaign reads no name back"
    )
    parser.add_argument(
        "--backup-signatures", type=int, default=5_000, help="backup: signatures with recordings"
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    if args.only in (None, "webhooks"):
        webhooks.run(calls=args.calls, database_url=args.database_url, clients=args.clients)
    if args.only in (None, "transcription"):
        transcription.run()
    if args.only in (None, "export"):
        export.run()
    if args.only in (None, "dashboard"):
        dashboard.run(database_url=args.database_url)
    if args.only in (None, "namecheck"):
        namecheck.run(tune_first=args.tune, fresh=args.fresh)
    if args.only in (None, "review"):
        review_queue.run()
    if args.only in (None, "packing"):
        packing.run()
    if args.only in (None, "loops"):
        loops.run()
    if args.only in (None, "floor"):
        webhook_floor.run()
    if args.only in (None, "readback"):
        readback.run(calls=args.readback_calls)
    if args.only in (None, "surge"):
        surge.run(
            calls=args.surge_calls,
            seconds=args.surge_seconds,
            workers=args.workers,
            read_back=not args.no_read_back,
        )
    if args.only in (None, "fingerprints"):
        fingerprints.run()
    if args.only in (None, "backup"):
        backup.run(n=args.backup_signatures)


if __name__ == "__main__":
    main()
