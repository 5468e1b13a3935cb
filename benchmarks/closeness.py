"""Benchmark the closeness check-in producer with many pairs on file.

Run from the repo root: ``.venv/bin/python benchmarks/closeness.py [--pairs 100000]``.

Setup (bulk SQL, for speed only): ``--pairs`` couples created 30 days ago, so every member is due
their first check-in. Measured:

* ``first_scan_ms``: the first scan, which queues at most ``MAX_PER_SCAN`` check-ins.
* ``steady_scan_ms``: a scan once every check-in of the period is queued (the cost every
  ``SCAN_EVERY`` in normal running: reading the candidates and finding their keys present).
* ``peak_rss_mb``.

Target: a steady scan of 100,000 pairs < 2 s (it runs at most every 10 minutes, as reads on the
reader connection, so writes and the event loop are not held up).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.models import Library
from bot.services import closeness as service
from bot.services.prompting import Prompting
from bot.storage.db import Database
from bot.storage.sqlite import SqliteDatabase
from bot.storage.timecodec import to_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
GUILD = 1_000_000
FIRST_USER = 10_000_000


async def seed(db: Database, pairs: int) -> None:
    created = to_db(NOW - timedelta(days=30))
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO members (user_id, display_name, created_at, updated_at) "
            "VALUES (?, 'm', ?, ?)",
            [(FIRST_USER + i, created, created) for i in range(2 * pairs)],
        )
        await conn.executemany(
            "INSERT INTO pairs (id, guild_id, kind, local_time, cadence, anchor_date, seed, "
            "created_at) VALUES (?, ?, 'couple', '19:00', 'daily', '2026-05-02', 1, ?)",
            [(p + 1, GUILD, created) for p in range(pairs)],
        )
        await conn.executemany(
            "INSERT INTO pair_members (pair_id, user_id) VALUES (?, ?)",
            [(p + 1, FIRST_USER + 2 * p + k) for p in range(pairs) for k in (0, 1)],
        )


async def run(pairs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = await SqliteDatabase.open(Path(tmp) / "bench.db")
        try:
            await seed(db, pairs)
            prompting = Prompting(db, Library((), ()), "UTC")
            producer = service.Closeness(db, prompting, "UTC", lambda: NOW, lambda: None)
            t0 = time.perf_counter()
            first = await producer.schedule(NOW)
            first_ms = (time.perf_counter() - t0) * 1000
            # Queue the rest of the period in bulk, as many scans would have.
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT OR IGNORE INTO deliveries (dedupe_key, user_id, pair_id, kind, "
                    "payload, due_at, status, created_at) SELECT 'closeness:p' || pm.pair_id || "
                    "':' || pm.user_id || ':1', pm.user_id, pm.pair_id, 'closeness', '{}', ?, "
                    "'sent', ? FROM pair_members AS pm",
                    (to_db(NOW), to_db(NOW)),
                )
            producer.scanned_at = None
            t0 = time.perf_counter()
            steady = await producer.schedule(NOW + timedelta(minutes=10))
            steady_ms = (time.perf_counter() - t0) * 1000
        finally:
            await db.close()
    return {
        "pairs": pairs,
        "first_scan_queued": first,
        "first_scan_ms": round(first_ms, 1),
        "steady_scan_queued": steady,
        "steady_scan_ms": round(steady_ms, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=100_000)
    args = parser.parse_args()
    result = asyncio.run(run(args.pairs))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
