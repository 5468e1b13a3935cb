"""Outbox row ids are message nonces: an id freed by `/closer forget` must never come back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.storage.outbox import NewDelivery, delivery_id_for, enqueue
from bot.storage.sqlite import SqliteDatabase

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


async def test_a_deleted_newest_delivery_id_is_not_reused(tmp_path: Path) -> None:
    db = await SqliteDatabase.open(tmp_path / "closer.db")
    try:
        await enqueue(db, [NewDelivery("a", "notice", NOW, channel_id=1)], NOW)
        await enqueue(db, [NewDelivery("b", "notice", NOW, channel_id=1)], NOW)
        newest = await delivery_id_for(db, "b")
        await db.execute("DELETE FROM deliveries WHERE id = ?", (newest,))
        await enqueue(db, [NewDelivery("c", "notice", NOW, channel_id=1)], NOW)
        assert await delivery_id_for(db, "c") > newest
    finally:
        await db.close()
