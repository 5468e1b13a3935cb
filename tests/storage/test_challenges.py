"""Themed-week rows: which pair rows belong to which circle-wide week, and the finish claim."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest

from bot.storage import challenges as store
from bot.storage.db import Database
from bot.storage.timecodec import to_db

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
GUILD = 900000000000000001


@pytest.fixture
async def db(database: Database) -> AsyncIterator[Database]:
    async with database.transaction() as conn:
        await conn.execute(
            "INSERT INTO circles (id, guild_id, name, name_key, cadence, weekday, local_time, "
            "timezone, anchor_date, seed, created_by, created_at) "
            "VALUES (1, ?, 'Book Club', 'book club', 'weekly', 3, '18:00', 'UTC', "
            "'2026-03-02', 1, 1, ?)",
            (GUILD, to_db(NOW)),
        )
        for pair_id in (1, 2, 3, 4):
            await conn.execute(
                "INSERT INTO pairs (id, guild_id, kind, circle_id, local_time, cadence, "
                "anchor_date, seed, created_at) "
                "VALUES (?, ?, 'circle', 1, '18:00', 'weekdays', '2026-03-02', 1, ?)",
                (pair_id, GUILD, to_db(NOW)),
            )
    yield database


async def test_children_belong_to_the_newest_parent_before_them(db: Database) -> None:
    day1 = date(2026, 3, 3)
    async with db.transaction() as conn:
        first = await store.insert(
            conn, guild_id=GUILD, circle_id=1, theme_id="a", starts_on=day1, now=NOW
        )
        a1 = await store.insert(
            conn, guild_id=GUILD, circle_id=1, pair_id=1, theme_id="a", starts_on=day1, now=NOW
        )
        # A pair's own week (circle_id NULL) is never a child of the circle's week.
        own = await store.insert(
            conn, guild_id=GUILD, pair_id=4, theme_id="z", starts_on=day1, now=NOW
        )
        a2 = await store.insert(
            conn, guild_id=GUILD, circle_id=1, pair_id=2, theme_id="a", starts_on=day1, now=NOW
        )
        # Replaced at the same instant (a frozen clock): ids, not times, tell them apart.
        assert await store.finish(conn, first, "stopped", NOW)
        second = await store.insert(
            conn, guild_id=GUILD, circle_id=1, theme_id="b", starts_on=day1, now=NOW
        )
        b1 = await store.insert(
            conn, guild_id=GUILD, circle_id=1, pair_id=3, theme_id="b", starts_on=day1, now=NOW
        )
    parent1, parent2 = await store.get(db, first), await store.get(db, second)
    assert parent1 is not None and parent2 is not None
    assert [c.id for c in await store.children_of(db, parent1)] == [a1, a2]
    assert [c.id for c in await store.children_of(db, parent2)] == [b1]
    assert own not in {c.id for c in await store.children_of(db, parent1)}
    assert (await store.active_parent(db, 1)) == parent2
    mine = await store.active_for_pair(db, 4)
    assert mine is not None and mine.id == own


async def test_finish_is_a_claim(db: Database) -> None:
    async with db.transaction() as conn:
        row = await store.insert(
            conn, guild_id=GUILD, pair_id=1, theme_id="a", starts_on=date(2026, 3, 3), now=NOW
        )
        assert await store.finish(conn, row, "done", NOW)
        assert not await store.finish(conn, row, "done", NOW)  # a second tick sends nothing
    assert await store.active_for_pair(db, 1) is None
