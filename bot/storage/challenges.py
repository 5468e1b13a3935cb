"""Themed weeks: who is running which theme, each member's Start press, and what a week held.

One `challenges` row per pair taking part (``pair_id`` set). A circle-wide week is a *parent* row
(``circle_id`` set, ``pair_id`` NULL) and one child row per pair of the circle (both set). A
child belongs to the newest parent of its circle with a smaller id: children are inserted after
their parent, and a replacement parent is inserted after every child of the one it replaces, so
ids alone tie them together without another column (and without a migration).

A pair's own week (started by a member) has ``circle_id`` NULL even for a circle pair, which is
how it is told apart from a child of a circle-wide week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.core.models import Category, ChallengeStatus, InstanceStatus, MemberState
from bot.storage.db import Database, Params, Row, Tx, new_id
from bot.storage.timecodec import from_db, to_db

Source = Database | Tx

# What counts as taking part in a day: an answer, or "We did it" (a timer both started counts
# as done too, see the challenges service).
TOOK_PART = (MemberState.ANSWERED, MemberState.DONE)


@dataclass(frozen=True, slots=True)
class ChallengeRow:
    id: int
    guild_id: int
    pair_id: int | None
    circle_id: int | None
    theme_id: str
    started_by: int | None
    starts_on: date
    status: ChallengeStatus
    created_at: datetime
    ended_at: datetime | None

    @property
    def is_parent(self) -> bool:
        return self.pair_id is None


@dataclass(frozen=True, slots=True)
class DayRow:
    """One day of a pair's week as it happened: the instance and each member's state on it."""

    instance_id: int
    day: int
    category: Category
    kind: str
    status: InstanceStatus
    states: dict[int, MemberState]

    @property
    def all_took_part(self) -> bool:
        return bool(self.states) and all(s in TOOK_PART for s in self.states.values())

    @property
    def anyone_took_part(self) -> bool:
        return any(s in TOOK_PART for s in self.states.values())


_COLUMNS = (
    "id, guild_id, pair_id, circle_id, theme_id, started_by, starts_on, status, created_at, "
    "ended_at"
)


def _row(r: Row) -> ChallengeRow:
    return ChallengeRow(
        id=int(r["id"]),
        guild_id=int(r["guild_id"]),
        pair_id=r["pair_id"],
        circle_id=r["circle_id"],
        theme_id=str(r["theme_id"]),
        started_by=r["started_by"],
        starts_on=date.fromisoformat(r["starts_on"]),
        status=ChallengeStatus(r["status"]),
        created_at=from_db(r["created_at"]),
        ended_at=from_db(r["ended_at"]) if r["ended_at"] else None,
    )


async def _fetchall(src: Source, sql: str, params: Params = ()) -> list[Row]:
    return await src.fetchall(sql, params)


async def insert(
    conn: Tx,
    *,
    guild_id: int,
    theme_id: str,
    starts_on: date,
    now: datetime,
    pair_id: int | None = None,
    circle_id: int | None = None,
    started_by: int | None = None,
) -> int:
    cur = await conn.execute(
        "INSERT INTO challenges (guild_id, pair_id, circle_id, theme_id, started_by, starts_on, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (guild_id, pair_id, circle_id, theme_id, started_by, starts_on.isoformat(), to_db(now)),
    )
    return await new_id(cur)


async def get(src: Source, challenge_id: int) -> ChallengeRow | None:
    rows = await _fetchall(src, f"SELECT {_COLUMNS} FROM challenges WHERE id = ?", (challenge_id,))
    return _row(rows[0]) if rows else None


async def active_for_pair(src: Source, pair_id: int) -> ChallengeRow | None:
    # Newest first: the service keeps one active row per pair, but if two ever raced in, the
    # one started last is the one the members saw confirmed.
    rows = await _fetchall(
        src,
        f"SELECT {_COLUMNS} FROM challenges WHERE pair_id = ? AND status = 'active' "
        "ORDER BY id DESC LIMIT 1",
        (pair_id,),
    )
    return _row(rows[0]) if rows else None


async def active_parent(src: Source, circle_id: int) -> ChallengeRow | None:
    rows = await _fetchall(
        src,
        f"SELECT {_COLUMNS} FROM challenges WHERE circle_id = ? AND pair_id IS NULL "
        "AND status = 'active' ORDER BY id DESC LIMIT 1",
        (circle_id,),
    )
    return _row(rows[0]) if rows else None


async def active_rows(db: Database) -> list[ChallengeRow]:
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM challenges WHERE status = 'active' ORDER BY id"
    )
    return [_row(r) for r in rows]


async def children_of(src: Source, parent: ChallengeRow) -> list[ChallengeRow]:
    """The pair rows of a circle-wide week, whatever their status (see the module docstring)."""
    rows = await _fetchall(
        src,
        f"SELECT {_COLUMNS} FROM challenges c WHERE c.circle_id = :cid "
        "AND c.pair_id IS NOT NULL AND c.id > :pid "
        "AND NOT EXISTS (SELECT 1 FROM challenges p WHERE p.circle_id = :cid "
        "AND p.pair_id IS NULL AND p.id > :pid AND p.id < c.id) ORDER BY c.id",
        {"cid": parent.circle_id, "pid": parent.id},
    )
    return [_row(r) for r in rows]


async def finish(conn: Tx, challenge_id: int, status: ChallengeStatus, now: datetime) -> bool:
    """Move an active row to `stopped` or `done`; False if it was no longer active (a claim)."""
    cur = await conn.execute(
        "UPDATE challenges SET status = ?, ended_at = ? WHERE id = ? AND status = 'active'",
        (status, to_db(now), challenge_id),
    )
    return cur.rowcount > 0


async def days_of(src: Source, challenge_id: int) -> list[DayRow]:
    rows = await _fetchall(
        src,
        "SELECT i.id, i.challenge_day, i.category, i.kind, i.status, im.user_id, im.state "
        "FROM prompt_instances i JOIN instance_members im ON im.instance_id = i.id "
        "WHERE i.challenge_id = ? ORDER BY i.challenge_day, i.id",
        (challenge_id,),
    )
    days: dict[int, DayRow] = {}
    for r in rows:
        iid = int(r["id"])
        if iid not in days:
            days[iid] = DayRow(
                instance_id=iid,
                day=int(r["challenge_day"] or 0),
                category=Category(r["category"]),
                kind=str(r["kind"]),
                status=InstanceStatus(r["status"]),
                states={},
            )
        days[iid].states[int(r["user_id"])] = MemberState(r["state"])
    return list(days.values())


async def revealed_answers(
    src: Source, challenge_id: int, category: Category
) -> list[tuple[int, int, str]]:
    """(instance id, author, text) of the week's *revealed* answers in a category.

    Only revealed instances: an answer nobody else has read yet must not surface in a recap.
    """
    rows = await _fetchall(
        src,
        "SELECT a.instance_id, a.user_id, a.text FROM answers a "
        "JOIN prompt_instances i ON i.id = a.instance_id "
        "WHERE i.challenge_id = ? AND i.category = ? AND i.status = 'revealed' "
        "ORDER BY i.challenge_day, i.id, a.user_id",
        (challenge_id, category.value),
    )
    return [(int(r[0]), int(r[1]), str(r[2])) for r in rows]


# Timed activities --------------------------------------------------------------------------
async def press_start(conn: Tx, instance_id: int, user_id: int, now: datetime) -> bool:
    """Record a Start press; False if this member had already pressed it."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO activity_timers (instance_id, user_id, pressed_at) VALUES (?, ?, ?)",
        (instance_id, user_id, to_db(now)),
    )
    return cur.rowcount > 0


async def presses(src: Source, instance_id: int) -> dict[int, datetime]:
    rows = await _fetchall(
        src,
        "SELECT user_id, pressed_at FROM activity_timers WHERE instance_id = ?",
        (instance_id,),
    )
    return {int(r[0]): from_db(r[1]) for r in rows}


async def prompt_due(src: Source, instance_id: int, user_id: int) -> datetime | None:
    """When this member's DM of the instance was (or will be) due; None if they never get it."""
    rows = await _fetchall(
        src,
        "SELECT due_at FROM deliveries WHERE instance_id = ? AND user_id = ? AND kind = 'prompt' "
        "AND status IN ('pending', 'sent') ORDER BY id LIMIT 1",
        (instance_id, user_id),
    )
    return from_db(rows[0][0]) if rows else None


async def pairs_in_weeks(src: Source, pair_ids: list[int]) -> set[int]:
    """Which of these pairs have a running themed week (one query for a batch of slots)."""
    if not pair_ids:
        return set()
    rows = await _fetchall(
        src,
        "SELECT DISTINCT pair_id FROM challenges WHERE status = 'active' "
        f"AND pair_id IN ({','.join('?' * len(pair_ids))})",
        tuple(pair_ids),
    )
    return {int(r[0]) for r in rows}
