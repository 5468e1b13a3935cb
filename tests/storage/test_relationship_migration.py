"""Migration 0005: pairs made before relationship kinds existed keep getting what they got."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from bot.core.models import Relationship
from bot.storage import pairs as pair_store
from bot.storage.migrations import apply_migrations
from bot.storage.sqlite import SqliteDatabase

NOW = "2026-03-02T10:00:00.000000Z"


async def test_couples_become_partners_and_circle_groups_circle(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        assert await apply_migrations(conn, target=2) == 2
        await conn.execute(
            "INSERT INTO members (user_id, created_at, updated_at) VALUES (1, ?, ?), (2, ?, ?)",
            (NOW, NOW, NOW, NOW),
        )
        for pair_id, kind in ((10, "couple"), (11, "circle")):
            await conn.execute(
                "INSERT INTO pairs (id, guild_id, kind, local_time, cadence, anchor_date, seed, "
                "created_at) VALUES (?, 5, ?, '19:00', 'daily', '2026-03-02', 1, ?)",
                (pair_id, kind, NOW),
            )
            await conn.execute(
                "INSERT INTO pair_members (pair_id, user_id) VALUES (?, 1), (?, 2)",
                (pair_id, pair_id),
            )
        await conn.execute(
            "INSERT INTO invites (guild_id, inviter_id, invitee_id, local_time, cadence, "
            "created_at, expires_at) VALUES (5, 1, 2, '19:00', 'daily', ?, ?)",
            (NOW, NOW),
        )
        await conn.execute(
            "INSERT INTO depth_votes (pair_id, user_id, depth, created_at) "
            "VALUES (10, 1, 'medium', ?)",
            (NOW,),
        )
    db = await SqliteDatabase.open(path)
    try:
        couple, circle = await pair_store.get_pair(db, 10), await pair_store.get_pair(db, 11)
        assert couple is not None and couple.relationship is Relationship.PARTNERS
        assert circle is not None and circle.relationship is Relationship.CIRCLE
        assert couple.proposed_relationship is None and couple.proposed_by is None
        assert await db.fetchval("SELECT relationship FROM invites") == "partners"
        # An earlier yes to going deeper is still a yes.
        assert await db.fetchval("SELECT answer FROM depth_votes") == "yes"
    finally:
        await db.close()
