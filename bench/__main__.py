"""Run every benchmark and print its figures."""

from __future__ import annotations

import argparse
import os
import platform

from bench import (
    dashboard,
    export,
    namecheck,
    packing,
    review_queue,
    transcription,
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


if __name__ == "__main__":
    main()
