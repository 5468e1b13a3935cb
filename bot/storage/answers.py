"""Answers: what a member wrote for a prompt instance. Only the pair's members ever read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.models import MemberState
from bot.storage.db import Database, Row, Tx
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
    guess: str | None = None
    """A guess prompt: what this member guessed their partner would say."""
    why: str | None = None
    """A pick prompt: the member's optional reason for their pick (`text` holds the pick)."""


def _answer(row: Row) -> AnswerRow:
    return AnswerRow(
        instance_id=int(row["instance_id"]),
        user_id=int(row["user_id"]),
        text=str(row["text"]),
        feeling=row["feeling"],
        shared=bool(row["shared"]),
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
        guess=row["guess"],
        why=row["why"],
    )


async def write_answer(
    conn: Tx,
    instance_id: int,
    user_id: int,
    text: str,
    feeling: str | None,
    now: datetime,
    *,
    guess: str | None = None,
    why: str | None = None,
) -> bool | None:
    """Save a member's answer inside the caller's transaction, only while it can still change.

    The state check is part of the write: nothing is saved once the prompt was revealed or
    closed, the pair ended, or the member skipped. Returns whether it replaced an earlier
    answer, or None when refused. A guess or a why is written with the answer it belongs to,
    never on its own, so a reveal cannot show half of a submission.
    """
    cur = await conn.execute(
        "UPDATE instance_members SET state = 'answered', updated_at = ? "
        "WHERE instance_id = ? AND user_id = ? AND state IN ('open', 'answered') "
        "AND EXISTS (SELECT 1 FROM prompt_instances AS i JOIN pairs AS p ON p.id = i.pair_id "
        "WHERE i.id = ? AND i.status = 'open' AND p.status != 'ended')",
        (to_db(now), instance_id, user_id, instance_id),
    )
    if cur.rowcount == 0:
        return None
    cur = await conn.execute(
        "SELECT 1 FROM answers WHERE instance_id = ? AND user_id = ?", (instance_id, user_id)
    )
    existed = await cur.fetchone() is not None
    await conn.execute(
        "INSERT INTO answers (instance_id, user_id, text, feeling, guess, why, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (instance_id, user_id) DO UPDATE "
        "SET text = excluded.text, feeling = COALESCE(excluded.feeling, answers.feeling), "
        "guess = excluded.guess, why = excluded.why, updated_at = excluded.updated_at",
        (instance_id, user_id, text, feeling, guess, why, to_db(now), to_db(now)),
    )
    return existed


async def answers_in(conn: Tx, instance_id: int) -> dict[int, AnswerRow]:
    cur = await conn.execute("SELECT * FROM answers WHERE instance_id = ?", (instance_id,))
    return {int(r["user_id"]): _answer(r) for r in await cur.fetchall()}


async def answers_for(db: Database, instance_id: int) -> dict[int, AnswerRow]:
    rows = await db.fetchall("SELECT * FROM answers WHERE instance_id = ?", (instance_id,))
    return {int(r["user_id"]): _answer(r) for r in rows}


async def mark_shared_in(conn: Tx, instance_id: int, user_id: int) -> bool:
    cur = await conn.execute(
        "UPDATE answers SET shared = 1 WHERE instance_id = ? AND user_id = ? AND shared = 0",
        (instance_id, user_id),
    )
    return cur.rowcount > 0


@dataclass(frozen=True, slots=True)
class Candidate:
    """A prompt a plain DM could be meant for: open for this member, or answered and still
    editable (not yet revealed)."""

    instance_id: int
    pair_id: int
    state: MemberState
    kind: str
    prompt_id: str
    text: str | None


async def candidates_for(db: Database, user_id: int) -> list[Candidate]:
    """Prompts this member received and can still answer or edit, oldest first."""
    rows = await db.fetchall(
        "SELECT i.id, i.pair_id, im.state, i.kind, i.prompt_id, i.text FROM instance_members im "
        "JOIN prompt_instances i ON i.id = im.instance_id "
        "JOIN pairs p ON p.id = i.pair_id "
        "WHERE im.user_id = ? AND i.status = 'open' AND im.state IN ('open', 'answered') "
        "AND p.status != 'ended' AND i.kind != 'activity' "
        "AND EXISTS (SELECT 1 FROM deliveries d WHERE d.instance_id = i.id AND d.user_id = ? "
        "AND d.kind = 'prompt' AND d.status = 'sent') "
        "ORDER BY i.id",
        (user_id, user_id),
    )
    return [
        Candidate(
            instance_id=int(r[0]),
            pair_id=int(r[1]),
            state=MemberState(r[2]),
            kind=str(r[3]),
            prompt_id=str(r[4]),
            text=r[5],
        )
        for r in rows
    ]


async def instance_for_message(db: Database, user_id: int, message_id: int) -> int | None:
    """The prompt a message Closer sent this member is about (a prompt, reminder, nudge or
    reveal), so a Discord reply to it answers that prompt and no other."""
    value = await db.fetchval(
        "SELECT instance_id FROM deliveries WHERE user_id = ? AND message_id = ? "
        "AND instance_id IS NOT NULL",
        (user_id, message_id),
    )
    return None if value is None else int(value)
