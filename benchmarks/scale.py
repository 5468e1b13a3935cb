"""Benchmark the outbox's database work with 100,000 pairs on file.

Run from the repo root: ``.venv/bin/python benchmarks/scale.py [--pairs 100000] [--due 1000]
[--runs 3]``.

Setup (bulk SQL in one transaction, for speed only): ``--pairs`` couples (two members each),
every member with a schedule row, a day of history per pair (one prompt instance both members
answered, two sent deliveries). ``--runs`` groups of ``--due`` schedule rows (``due / 2`` pairs
each) come due one minute apart; the rest tomorrow. Each run measures one group, on the same
database (building a million pairs takes minutes; the runs share it). The bot never runs
``ANALYZE``, so by default neither does this; ``--analyze`` measures a database that has
planner statistics (after ``ANALYZE`` or ``PRAGMA optimize``).

Measured per run, reported as min/median/max over the runs (the plain key is the median):

* ``materialise_ms``: ``Materialiser.materialise(now)`` turning the due schedule rows into
  deliveries (the outbox's prompt producer, built by ``bot.compose.build_services`` as in the
  bot, so going quiet and themed weeks act inside it), and ``materialise_ms_per_row``.
* ``claim_ms``: one ``outbox.claim_due`` claiming the resulting ``--due`` deliveries;
  ``claim_batches_ms``: the same work in the sender's real batch size (``BATCH``), summed.
* ``peak_rss_mb``: the process's peak resident memory (``ru_maxrss``).

Targets: claim 1,000 out of 100,000 pairs < 200 ms; materialise 1,000 due slots < 1 s at
1,000,000 pairs; peak memory < 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

from bot.compose import build_services
from bot.core.clock import FakeClock
from bot.core.models import Library
from bot.delivery.outbox import BATCH, LEASE
from bot.delivery.port import Sent
from bot.services.materialise import Materialiser
from bot.storage import outbox as outbox_store
from bot.storage.db import Database
from bot.storage.sqlite import SqliteDatabase
from bot.storage.timecodec import to_db
from bot.ui.payload import MessagePayload

GUILD_ID = 1_000_000
FIRST_USER = 10_000_000
CHUNK = 20_000  # rows per executemany: bounded memory during setup


def _chunks(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def populate(
    db: Database,
    pairs: int,
    due_pairs: int,
    now: datetime,
    *,
    groups: int = 1,
    analyze: bool = False,
) -> None:
    """Bulk rows straight into the schema: setup only, never how the bot writes."""
    yesterday, today, tomorrow = now - timedelta(days=1), now.date(), now.date() + timedelta(1)
    later = to_db(now + timedelta(days=1))

    def due_at(p: int) -> str:
        # Group g comes due g minutes after `now` (30 s before its run).
        return to_db(now + timedelta(minutes=p // due_pairs, seconds=-30))

    due_count = due_pairs * groups
    t_yesterday = to_db(yesterday)
    payload = json.dumps({"embed": {"title": "Yesterday", "description": "x" * 200}})

    def users(p: int) -> tuple[int, int]:
        return FIRST_USER + 2 * p, FIRST_USER + 2 * p + 1

    statements: list[tuple[str, Iterator[tuple[Any, ...]]]] = [
        (
            "INSERT INTO members (user_id, display_name, dm_channel_id, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                (u, f"member{u}", u + 5_000_000_000, t_yesterday, t_yesterday)
                for p in range(pairs)
                for u in users(p)
            ),
        ),
        (
            "INSERT INTO pairs (id, guild_id, kind, local_time, cadence, anchor_date, seed, "
            "created_at) VALUES (?, ?, 'couple', '09:00', 'daily', ?, ?, ?)",
            ((p + 1, GUILD_ID, yesterday.date().isoformat(), p, t_yesterday) for p in range(pairs)),
        ),
        (
            "INSERT INTO pair_members (pair_id, user_id) VALUES (?, ?)",
            ((p + 1, u) for p in range(pairs) for u in users(p)),
        ),
        (
            "INSERT INTO schedules (pair_id, user_id, next_due_at, next_day) VALUES (?, ?, ?, ?)",
            (
                (
                    p + 1,
                    u,
                    due_at(p) if p < due_count else later,
                    (today if p < due_count else tomorrow).isoformat(),
                )
                for p in range(pairs)
                for u in users(p)
            ),
        ),
        (
            "INSERT INTO prompt_instances (id, pair_id, prompt_id, category, kind, slot_key, "
            "status, created_at) VALUES (?, ?, 'bench-yesterday', 'gratitude', 'question', ?, "
            "'closed', ?)",
            ((p + 1, p + 1, yesterday.date().isoformat(), t_yesterday) for p in range(pairs)),
        ),
        (
            "INSERT INTO instance_members (instance_id, user_id, state, updated_at) "
            "VALUES (?, ?, 'answered', ?)",
            ((p + 1, u, t_yesterday) for p in range(pairs) for u in users(p)),
        ),
        (
            "INSERT INTO answers (instance_id, user_id, text, created_at, updated_at) "
            "VALUES (?, ?, 'Yesterday it was the tea you made.', ?, ?)",
            ((p + 1, u, t_yesterday, t_yesterday) for p in range(pairs) for u in users(p)),
        ),
        (
            "INSERT INTO deliveries (dedupe_key, user_id, pair_id, instance_id, kind, payload, "
            "due_at, stale_after, status, attempts, message_id, created_at, sent_at) "
            "VALUES (?, ?, ?, ?, 'prompt', ?, ?, ?, 'sent', 1, ?, ?, ?)",
            (
                (
                    f"prompt:{p + 1}:{u}:{yesterday.date().isoformat()}",
                    u,
                    p + 1,
                    p + 1,
                    payload,
                    t_yesterday,
                    to_db(yesterday + timedelta(hours=3)),
                    u + 9_000_000_000,
                    t_yesterday,
                    t_yesterday,
                )
                for p in range(pairs)
                for u in users(p)
            ),
        ),
    ]
    async with db.transaction() as conn:
        for sql, rows in statements:
            for chunk in _chunks(rows):
                await conn.executemany(sql, chunk)
    if analyze:
        async with db.transaction() as conn:
            await conn.execute("ANALYZE")


class NoDiscord:
    """Only the producer runs here: nothing is sent."""

    async def open_dm(self, user_id: int) -> int:
        raise AssertionError("the scale benchmark sends nothing")

    async def send(self, channel_id: int, message: MessagePayload, nonce: str) -> Sent:
        raise AssertionError("the scale benchmark sends nothing")


def wired_prompting(db: Database, lib: Library) -> Materialiser:
    """The prompt producer as the bot builds it (going quiet, themed weeks act inside it)."""
    services = build_services(
        db,
        lib,
        zone="UTC",
        nudge_after=timedelta(hours=20),
        clock=FakeClock(common.START),
        wake=lambda: None,
        port=NoDiscord(),
    )
    return services.materialiser


def spread(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "min": round(ordered[0], 1),
        "median": round(statistics.median(ordered), 1),
        "max": round(ordered[-1], 1),
    }


async def run(pairs: int, due: int, analyze: bool, runs: int) -> dict[str, Any]:
    lib = common.library()
    start = common.day_at(common.START.date(), "09:00")
    with tempfile.TemporaryDirectory(prefix="closer-scale-") as tmp:
        db = await SqliteDatabase.open(Path(tmp) / "closer.db")
        try:
            started = time.perf_counter()
            await populate(db, pairs, due // 2, start, groups=runs, analyze=analyze)
            # A running bot's write-ahead log is checkpointed as it goes; one bulk load leaves
            # gigabytes in it, which every read would search first. Closing checkpoints it.
            await db.close()
            db = await SqliteDatabase.open(Path(tmp) / "closer.db")
            setup_s = time.perf_counter() - started
            print(f"populated {pairs} pairs ({2 * pairs} members) in {setup_s:.1f}s")
            prompting = wired_prompting(db, lib)
            measured = [
                await _one_run(db, prompting, start + timedelta(minutes=i), due)
                for i in range(runs)
            ]
        finally:
            await db.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    materialise = spread([m["materialise_ms"] for m in measured])
    claim = spread([m["claim_ms"] for m in measured])
    result: dict[str, Any] = {
        "benchmark": "scale",
        "pairs": pairs,
        "due_rows": due,
        "runs": runs,
        "analyzed": analyze,
        "setup_seconds": round(setup_s, 1),
        "materialised": min(m["queued"] for m in measured),
        "materialise_ms": materialise["median"],
        "materialise_ms_spread": materialise,
        "materialise_ms_per_row": round(materialise["median"] / max(1, due), 3),
        "claimed": min(m["claimed"] for m in measured),
        "claim_ms": claim["median"],
        "claim_ms_spread": claim,
        "claim_batches_ms": spread([m["batches_ms"] for m in measured])["median"],
        "claim_batch_max_ms": round(max(m["batch_max_ms"] for m in measured), 1),
        "peak_rss_mb": round(peak_mb, 1),
    }
    result["targets_met"] = bool(
        result["claimed"] == due
        and result["materialised"] == due
        and claim["max"] < 200
        and (pairs < 1_000_000 or materialise["max"] < 1000)
        and peak_mb < 300
    )
    return result


async def _one_run(
    db: Database, prompting: Materialiser, now: datetime, due: int
) -> dict[str, Any]:
    started = time.perf_counter()
    queued = await prompting.materialise(now)
    materialise_ms = (time.perf_counter() - started) * 1000
    print(f"materialise: {queued} deliveries from {due} due rows: {materialise_ms:.0f} ms")

    lease = now + LEASE
    started = time.perf_counter()
    claimed = await outbox_store.claim_due(db, now, lease, due)
    claim_ms = (time.perf_counter() - started) * 1000
    print(f"claim_due: {len(claimed)} of {queued} in {claim_ms:.1f} ms (one claim)")

    # The same claim at the sender's batch size: release everything and claim again.
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE deliveries SET status = 'pending', lease_until = NULL, "
            "attempts = 0 WHERE status = 'sending'"
        )
    batches: list[float] = []
    total = 0
    while True:
        started = time.perf_counter()
        batch = await outbox_store.claim_due(db, now, lease, BATCH)
        if not batch:
            break
        batches.append((time.perf_counter() - started) * 1000)
        total += len(batch)
    print(
        f"claim_due in batches of {BATCH}: {total} in {sum(batches):.1f} ms "
        f"(max {max(batches, default=0):.1f} ms per batch)"
    )
    # As if sent, so the next run's claims see only its own group.
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE deliveries SET status = 'sent', lease_until = NULL WHERE status = 'sending'"
        )
    return {
        "queued": queued,
        "materialise_ms": materialise_ms,
        "claimed": len(claimed),
        "claim_ms": claim_ms,
        "batches_ms": sum(batches),
        "batch_max_ms": max(batches, default=0.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1000, help="due schedule rows (even)")
    parser.add_argument("--analyze", action="store_true", help="ANALYZE after populating")
    parser.add_argument("--runs", type=int, default=3, help="measured runs on one database")
    args = parser.parse_args()
    common.quiet_logging()
    result = asyncio.run(run(args.pairs, args.due - args.due % 2, args.analyze, max(1, args.runs)))
    print(
        f"claim {result['claimed']} in {result['claim_ms']} ms; materialise "
        f"{result['materialise_ms']} ms; peak memory {result['peak_rss_mb']} MB"
    )
    common.emit(result)


if __name__ == "__main__":
    main()
