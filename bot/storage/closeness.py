"""Closeness check-ins: each member's private answers, opt-outs, and what admins may count.

A check-in row is the member's alone: it is read back only for that member (`/closer insights`),
exported only to them, and counted for admins only in aggregate (see `bot.core.closeness`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.storage.db import Database, Row, Tx
from bot.storage.timecodec import from_db, to_db

KIND = "closeness"


@dataclass(frozen=True, slots=True)
class CheckinRow:
    id: int
    pair_id: int
    score: int | None
    created_at: datetime


def _checkin(row: Row) -> CheckinRow:
    score = row["score"]
    return CheckinRow(
        id=int(row["id"]),
        pair_id=int(row["pair_id"]),
        score=None if score is None else int(score),
        created_at=from_db(row["created_at"]),
    )


async def record(
    db: Database,
    *,
    pair_id: int,
    user_id: int,
    guild_id: int,
    score: int | None,
    now: datetime,
    same_since: datetime,
) -> bool:
    """Save a check-in; a second one for the pair since `same_since` replaces the first.
    Returns True when it replaced an earlier answer."""
    async with db.transaction() as conn:
        row = await conn.fetchone(
            "SELECT id FROM closeness_checkins WHERE user_id = ? AND pair_id = ? "
            "AND created_at >= ? ORDER BY created_at DESC LIMIT 1",
            (user_id, pair_id, to_db(same_since)),
        )
        if row is not None:
            await conn.execute(
                "UPDATE closeness_checkins SET score = ?, updated_at = ? WHERE id = ?",
                (score, to_db(now), row[0]),
            )
            return True
        await conn.execute(
            "INSERT INTO closeness_checkins (pair_id, user_id, guild_id, score, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (pair_id, user_id, guild_id, score, to_db(now), to_db(now)),
        )
        return False


async def checkins_of(db: Database, user_id: int) -> list[CheckinRow]:
    rows = await db.fetchall(
        "SELECT id, pair_id, score, created_at FROM closeness_checkins WHERE user_id = ? "
        "ORDER BY created_at, id",
        (user_id,),
    )
    return [_checkin(r) for r in rows]


async def opted_out(db: Database, user_id: int) -> bool:
    value = await db.fetchval("SELECT 1 FROM closeness_optouts WHERE user_id = ?", (user_id,))
    return value is not None


async def set_opted_out(db: Database, user_id: int, off: bool, now: datetime) -> None:
    async with db.transaction() as conn:
        if off:
            await conn.execute(
                "INSERT OR IGNORE INTO closeness_optouts (user_id, created_at) VALUES (?, ?)",
                (user_id, to_db(now)),
            )
        else:
            await conn.execute("DELETE FROM closeness_optouts WHERE user_id = ?", (user_id,))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A member of an active pair who may be due a scheduled check-in."""

    pair_id: int
    user_id: int
    kind: str
    circle_id: int | None
    local_time: str
    created_at: datetime
    period: int  # four-week periods since the pair began (pairs outside circles)


_CANDIDATES = (
    "SELECT p.id AS pair_id, pm.user_id, p.kind, p.circle_id, p.local_time, p.created_at, "
    "CAST((julianday(:now) - julianday(p.created_at)) / :days AS INTEGER) AS period "
    "FROM pairs AS p JOIN pair_members AS pm ON pm.pair_id = p.id "
    "WHERE p.status = 'active' AND pm.pace != 'held' "
    "AND pm.user_id NOT IN (SELECT user_id FROM closeness_optouts) "
)


def _candidate(r: Row) -> Candidate:
    return Candidate(
        pair_id=int(r["pair_id"]),
        user_id=int(r["user_id"]),
        kind=str(r["kind"]),
        circle_id=None if r["circle_id"] is None else int(r["circle_id"]),
        local_time=str(r["local_time"]),
        created_at=from_db(r["created_at"]),
        period=int(r["period"]),
    )


async def due_pair_members(
    db: Database, now: datetime, every_days: int, limit: int
) -> list[Candidate]:
    """Members of active pairs outside circles, four weeks or older, whose check-in for the
    current period is not queued yet (the key is `closeness:p<pair>:<user>:<period>`): the
    filtering is done in SQL so a scan of a large server returns only what is due."""
    rows = await db.fetchall(
        "SELECT * FROM ("
        + _CANDIDATES
        + "AND p.circle_id IS NULL AND p.created_at <= :cutoff) AS c "
        "WHERE c.period >= 1 AND NOT EXISTS (SELECT 1 FROM deliveries AS d WHERE d.dedupe_key "
        "= 'closeness:p' || c.pair_id || ':' || c.user_id || ':' || c.period) "
        "ORDER BY c.pair_id, c.user_id LIMIT :limit",
        {
            "now": to_db(now),
            "days": every_days,
            "cutoff": to_db(now - timedelta(days=every_days)),
            "limit": limit,
        },
    )
    return [_candidate(r) for r in rows]


async def circle_members(db: Database, now: datetime, every_days: int) -> list[Candidate]:
    """Members of active circle pairs: their clock is the relationship's, not the round's."""
    rows = await db.fetchall(
        _CANDIDATES + "AND p.circle_id IS NOT NULL ORDER BY p.id, pm.user_id",
        {"now": to_db(now), "days": every_days},
    )
    return [_candidate(r) for r in rows]


async def still_wanted(db: Database, pair_id: int, user_id: int) -> bool:
    """The member is still asked: the pair is active, they are not held, not opted out."""
    value = await db.fetchval(
        "SELECT 1 FROM pairs AS p JOIN pair_members AS pm ON pm.pair_id = p.id "
        "WHERE p.id = ? AND pm.user_id = ? AND p.status = 'active' AND pm.pace != 'held' "
        "AND pm.user_id NOT IN (SELECT user_id FROM closeness_optouts)",
        (pair_id, user_id),
    )
    return value is not None


async def circle_pairs(db: Database, circle_id: int) -> list[tuple[int, datetime, frozenset[int]]]:
    """Every pair a circle ever formed: (pair id, formed at, members)."""
    rows = await db.fetchall(
        "SELECT p.id, p.created_at, group_concat(pm.user_id) AS members FROM pairs AS p "
        "JOIN pair_members AS pm ON pm.pair_id = p.id WHERE p.circle_id = ? "
        "GROUP BY p.id ORDER BY p.created_at, p.id",
        (circle_id,),
    )
    return [
        (
            int(r["id"]),
            from_db(r["created_at"]),
            frozenset(int(u) for u in str(r["members"]).split(",")),
        )
        for r in rows
    ]


async def existing_keys(db: Database, keys: Iterable[str]) -> set[str]:
    wanted = list(keys)
    if not wanted:
        return set()
    rows = await db.fetchall(
        "SELECT dedupe_key FROM deliveries WHERE dedupe_key IN (SELECT value FROM json_each(?))",
        (json.dumps(wanted),),
    )
    return {str(r[0]) for r in rows}


async def guild_scores(
    db: Database, guild_id: int, since: datetime, until: datetime
) -> list[tuple[int, int]]:
    """(user id, score) of answered check-ins in a server in (since, until]."""
    rows = await db.fetchall(
        "SELECT user_id, score FROM closeness_checkins WHERE guild_id = ? AND score IS NOT NULL "
        "AND created_at > ? AND created_at <= ?",
        (guild_id, to_db(since), to_db(until)),
    )
    return [(int(r[0]), int(r[1])) for r in rows]


@dataclass(frozen=True, slots=True)
class Together:
    """What a member did in a pair between two instants."""

    answered: dict[str, int]  # category -> prompts they answered
    activities_done: int
    themes: tuple[str, ...]  # themed weeks' theme ids that started then


async def together(
    db: Database, user_id: int, pair_id: int, since: datetime | None, until: datetime
) -> Together:
    start = to_db(since) if since is not None else ""
    rows = await db.fetchall(
        "SELECT pi.category, count(*) AS n FROM answers AS a "
        "JOIN prompt_instances AS pi ON pi.id = a.instance_id "
        "WHERE a.user_id = ? AND pi.pair_id = ? AND a.created_at >= ? AND a.created_at < ? "
        "GROUP BY pi.category ORDER BY pi.category",
        (user_id, pair_id, start, to_db(until)),
    )
    done = await db.fetchval(
        "SELECT count(*) FROM instance_members AS im "
        "JOIN prompt_instances AS pi ON pi.id = im.instance_id "
        "WHERE im.user_id = ? AND pi.pair_id = ? AND im.state = 'done' "
        "AND im.updated_at >= ? AND im.updated_at < ?",
        (user_id, pair_id, start, to_db(until)),
    )
    themes = await db.fetchall(
        "SELECT theme_id FROM challenges WHERE pair_id = ? AND created_at >= ? AND created_at < ? "
        "ORDER BY created_at",
        (pair_id, start, to_db(until)),
    )
    return Together(
        answered={str(r["category"]): int(r["n"]) for r in rows},
        activities_done=int(done or 0),
        themes=tuple(str(r[0]) for r in themes),
    )


# Export, forget and purge -------------------------------------------------------------------
# Called from `bot.storage.privacy` so its promises cover check-ins too.

EXPORT_FIELDS: dict[str, dict[str, str]] = {
    "closeness_checkins": {
        "id": "The check-in's number.",
        "pair_id": "The pair it was about.",
        "user_id": "Your Discord user id.",
        "guild_id": "The server that pair is in.",
        "score": "How close you felt, 1 (apart) to 7 (almost fully overlapping); empty if skipped.",
        "created_at": "When you answered (UTC).",
        "updated_at": "When you last changed that answer (UTC).",
    },
    "closeness_optouts": {
        "user_id": "Your Discord user id.",
        "created_at": "When you switched scheduled check-ins off (UTC).",
    },
}


async def export_tables(conn: Tx, user_id: int) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for table, order in (("closeness_checkins", "id"), ("closeness_optouts", "user_id")):
        rows = await conn.fetchall(
            f"SELECT * FROM {table} WHERE user_id = ? ORDER BY {order}",  # constant names
            (user_id,),
        )
        out[table] = [dict(row) for row in rows]
    return out


PURGE_STATEMENT = "DELETE FROM closeness_checkins WHERE guild_id = :gid"
