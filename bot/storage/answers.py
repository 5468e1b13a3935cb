"""Answers: what a member wrote for a prompt instance. Only the pair's members ever read them."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database
from bot.storage.timecodec import from_db, to_db


@dataclass(frozen=True, slots=True)
class AnswerRow:
    instance_id: int
    user_id: int
    text: str
    feeling: str | None
    shared: bool
    created_at: datetime
    updated_at: datetime


def _answer(row: sqlite3.Row) -> AnswerRow:
    return AnswerRow(
        instance_id=int(row["instance_id"]),
        user_id=int(row["user_id"]),
        text=str(row["text"]),
        feeling=row["feeling"],
        shared=bool(row["shared"]),
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
    )


async def save_answer(
    db: Database, instance_id: int, user_id: int, text: str, feeling: str | None, now: datetime
) -> bool:
    """Insert or replace a member's answer and mark their side answered. True if it replaced."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "SELECT 1 FROM answers WHERE instance_id = ? AND user_id = ?", (instance_id, user_id)
        )
        existed = await cur.fetchone() is not None
        await conn.execute(
            "INSERT INTO answers (instance_id, user_id, text, feeling, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (instance_id, user_id) DO UPDATE SET "
            "text = excluded.text, feeling = COALESCE(excluded.feeling, answers.feeling), "
            "updated_at = excluded.updated_at",
            (instance_id, user_id, text, feeling, to_db(now), to_db(now)),
        )
        await conn.execute(
            "UPDATE instance_members SET state = 'answered', updated_at = ? "
            "WHERE instance_id = ? AND user_id = ?",
            (to_db(now), instance_id, user_id),
        )
        return existed


async def answers_for(db: Database, instance_id: int) -> dict[int, AnswerRow]:
    rows = await db.fetchall("SELECT * FROM answers WHERE instance_id = ?", (instance_id,))
    return {int(r["user_id"]): _answer(r) for r in rows}


async def set_shared(db: Database, instance_id: int, user_id: int) -> bool:
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE answers SET shared = 1 WHERE instance_id = ? AND user_id = ? AND shared = 0",
            (instance_id, user_id),
        )
        return cur.rowcount > 0


async def latest_open_instance_for(db: Database, user_id: int) -> int | None:
    """The newest instance this member can still answer, among those delivered to them."""
    value = await db.fetchval(
        "SELECT im.instance_id FROM instance_members im "
        "JOIN prompt_instances i ON i.id = im.instance_id "
        "JOIN pairs p ON p.id = i.pair_id "
        "WHERE im.user_id = ? AND i.status = 'open' AND im.state IN ('open', 'answered') "
        "AND p.status != 'ended' AND i.kind != 'activity' "
        "AND EXISTS (SELECT 1 FROM deliveries d WHERE d.instance_id = i.id AND d.user_id = ? "
        "AND d.kind = 'prompt' AND d.status = 'sent') "
        "ORDER BY i.id DESC LIMIT 1",
        (user_id, user_id),
    )
    return None if value is None else int(value)
