"""Migration 0008: a database that has sent messages has had a sender, so the next process to
become the sender waits out its predecessor's last second; a fresh one's first sender does not."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest

from bot.storage.meta import count_new_sender
from bot.storage.migrations import apply_migrations
from bot.storage.sqlite import SqliteDatabase

NOW = "2026-03-02T10:00:00.000000Z"


@pytest.mark.parametrize(("status", "before"), [("sent", 1), ("pending", 0)])
async def test_a_database_that_has_sent_has_had_a_sender(
    tmp_path: Path, status: str, before: int
) -> None:
    path = tmp_path / "old.db"
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        assert await apply_migrations(conn, target=7) == 7
        await conn.execute(
            "INSERT INTO deliveries (dedupe_key, channel_id, kind, due_at, status, created_at) "
            "VALUES ('n', 9, 'notice', ?, ?, ?)",
            (NOW, status, NOW),
        )
    db = await SqliteDatabase.open(path)
    try:
        assert await count_new_sender(db) == before
        assert await count_new_sender(db) == before + 1
    finally:
        await db.close()
