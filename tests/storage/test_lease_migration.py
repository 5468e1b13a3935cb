"""Migration 0007: a delivery claimed under the old scheme ('sending' with a lease on the row)
is still held by that lease afterwards, and goes out once it runs out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

from bot.storage import outbox as store
from bot.storage.migrations import apply_migrations
from bot.storage.sqlite import SqliteDatabase
from bot.storage.timecodec import to_db

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


async def test_a_claim_in_flight_keeps_its_lease_and_attempt(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        assert await apply_migrations(conn, target=6) == 6
        rows = [
            ("in-flight", "sending", 3, to_db(NOW + LEASE)),
            ("waiting", "pending", 1, None),
            ("done", "sent", 1, None),
        ]
        for key, status, attempts, lease in rows:
            await conn.execute(
                "INSERT INTO deliveries (dedupe_key, channel_id, kind, due_at, status, attempts, "
                "lease_until, created_at) VALUES (?, 9, 'notice', ?, ?, ?, ?, ?)",
                (key, to_db(NOW), status, attempts, lease, to_db(NOW)),
            )
    db = await SqliteDatabase.open(path)
    try:
        statuses = dict(await db.fetchall("SELECT dedupe_key, status FROM deliveries"))
        assert statuses == {"in-flight": "pending", "waiting": "pending", "done": "sent"}
        # The lease still holds: only the waiting row is claimed now ...
        [waiting] = await store.claim_due(db, NOW, NOW + LEASE, 10)
        assert (waiting.dedupe_key, waiting.attempts) == ("waiting", 2)
        assert await store.mark_sent(db, waiting, 76, NOW)
        # ... and once it has run out, the in-flight row goes out as its fourth attempt.
        later = NOW + LEASE
        [in_flight] = await store.claim_due(db, later, later + LEASE, 10)
        assert (in_flight.dedupe_key, in_flight.attempts) == ("in-flight", 4)
        assert await store.mark_sent(db, in_flight, 77, later)
        assert (
            await db.fetchval("SELECT attempts FROM deliveries WHERE dedupe_key = 'in-flight'") == 4
        )
    finally:
        await db.close()
