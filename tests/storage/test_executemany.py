"""`executemany` on either engine: the same rows and counts whether it runs row by row (SQLite)
or as one statement over arrays (PostgreSQL, `bulk_insert`)."""

from __future__ import annotations

from bot.storage.db import Database

STAMP = "2026-03-02T09:00:00.000000+00:00"
ADD_MEMBER = (
    "INSERT OR IGNORE INTO members (user_id, display_name, created_at, updated_at) "
    "VALUES (?, ?, ?, ?)"
)


async def names(database: Database) -> dict[int, str]:
    rows = await database.fetchall("SELECT user_id, display_name FROM members ORDER BY user_id")
    return {int(r[0]): str(r[1]) for r in rows}


async def test_ignored_duplicates_are_not_counted_even_within_one_call(database: Database) -> None:
    async with database.transaction() as tx:
        await tx.execute(ADD_MEMBER, (1, "Ada", STAMP, STAMP))
        added = await tx.executemany(
            ADD_MEMBER,
            [(1, "again", STAMP, STAMP), (2, "Bo", STAMP, STAMP), (2, "twice", STAMP, STAMP)],
        )
    assert added == 1
    assert await names(database) == {1: "Ada", 2: "Bo"}


async def test_an_upsert_given_one_key_twice_ends_with_the_last_row(database: Database) -> None:
    upsert = (
        "INSERT INTO members (user_id, display_name, created_at, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name"
    )
    async with database.transaction() as tx:
        await tx.executemany(
            upsert,
            [(1, "first", STAMP, STAMP), (2, "Bo", STAMP, STAMP), (1, "last", STAMP, STAMP)],
        )
        # The transaction is still usable after the one-pass attempt was refused.
        await tx.executemany(upsert, [(3, "Cy", STAMP, STAMP), (2, "Bea", STAMP, STAMP)])
    assert await names(database) == {1: "last", 2: "Bea", 3: "Cy"}


async def test_insert_select_runs_its_select_once_per_row(database: Database) -> None:
    async with database.transaction() as tx:
        await tx.executemany(ADD_MEMBER, [(u, f"m{u}", STAMP, STAMP) for u in (1, 2, 3)])
        await tx.execute(
            "INSERT INTO pairs (id, guild_id, kind, local_time, cadence, anchor_date, seed, "
            "created_at) VALUES (7, 1, 'couple', '09:00', 'daily', '2026-03-01', 0, ?)",
            (STAMP,),
        )
        added = await tx.executemany(
            "INSERT OR IGNORE INTO pair_members (pair_id, user_id) "
            "SELECT id, ? FROM pairs WHERE id = ?",
            [(1, 7), (2, 7), (3, 8), (2, 7)],
        )
    assert added == 2  # pair 8 does not exist; (7, 2) twice is one row
    rows = await database.fetchall("SELECT pair_id, user_id FROM pair_members ORDER BY user_id")
    assert [(r[0], r[1]) for r in rows] == [(7, 1), (7, 2)]
