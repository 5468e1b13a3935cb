"""The database wrapper: one writer, and a transaction that a cancelled writer left open."""

from __future__ import annotations

from pathlib import Path

from bot.storage.sqlite import SqliteDatabase


async def test_a_transaction_left_open_by_a_cancelled_writer_is_rolled_back(
    tmp_path: Path,
) -> None:
    db = await SqliteDatabase.open(tmp_path / "closer.db")
    try:
        await db.execute("CREATE TABLE t (x INTEGER)")
        # What a writer cancelled between its BEGIN and its ROLLBACK leaves behind.
        async with db._write_lock:
            await db._writer.execute("BEGIN IMMEDIATE")
            await db._writer.execute("INSERT INTO t VALUES (1)")
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t VALUES (2)")
        assert [r[0] for r in await db.fetchall("SELECT x FROM t")] == [2]
    finally:
        await db.close()
