"""Friend circles: the circle, who joined it, its rounds, and what past rounds remember.

A round is a row. The next round always exists as a `pending` row with a `due_at`; forming it is
a claim (`UPDATE … SET status = 'formed' … RETURNING`) inside the same write transaction that
inserts its pairs, deliveries and the following round's row. So a crash either forms the whole
round or none of it, a second claimer finds nothing to claim, and a round that came due while
the bot was down is still `pending` (and due) when it comes back: formed once, never skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.core.models import CircleCadence, RoundStatus
from bot.core.pairing import PairingHistory
from bot.storage.db import Database, Params, Row, Tx, new_id
from bot.storage.errors import IntegrityError
from bot.storage.timecodec import from_db, to_db

# Read helpers take either the reader (`Database`) or a connection inside the caller's write
# transaction, which also sees that transaction's own uncommitted rows.
Source = Database | Tx


@dataclass(frozen=True, slots=True)
class CircleRow:
    id: int
    guild_id: int
    name: str
    cadence: CircleCadence
    weekday: int
    local_time: str
    timezone: str
    anchor_date: date
    seed: int
    created_by: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RoundRow:
    id: int
    circle_id: int
    round_no: int
    due_at: datetime
    status: RoundStatus
    formed_at: datetime | None
    group_count: int | None


@dataclass(frozen=True, slots=True)
class RoundMember:
    """A circle member as a round sees them: reachability, a pause, and schedule settings."""

    user_id: int
    display_name: str
    timezone: str | None
    quiet_start: str | None
    quiet_end: str | None
    unreachable: bool
    paused: bool

    @property
    def active(self) -> bool:
        return not self.unreachable and not self.paused


@dataclass(frozen=True, slots=True)
class CircleGroup:
    """A pair (or trio) of a circle: its pair id and members."""

    id: int
    member_ids: tuple[int, ...]


_CIRCLE_COLUMNS = (
    "id, guild_id, name, cadence, weekday, local_time, timezone, anchor_date, seed, "
    "created_by, created_at"
)
_ROUND_COLUMNS = "id, circle_id, round_no, due_at, status, formed_at, group_count"


def _circle(row: Row) -> CircleRow:
    return CircleRow(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        name=str(row["name"]),
        cadence=CircleCadence(row["cadence"]),
        weekday=int(row["weekday"]),
        local_time=str(row["local_time"]),
        timezone=str(row["timezone"]),
        anchor_date=date.fromisoformat(row["anchor_date"]),
        seed=int(row["seed"]),
        created_by=int(row["created_by"]),
        created_at=from_db(row["created_at"]),
    )


def _round(row: Row) -> RoundRow:
    return RoundRow(
        id=int(row["id"]),
        circle_id=int(row["circle_id"]),
        round_no=int(row["round_no"]),
        due_at=from_db(row["due_at"]),
        status=RoundStatus(row["status"]),
        formed_at=from_db(row["formed_at"]) if row["formed_at"] else None,
        group_count=row["group_count"],
    )


async def _fetchall(src: Source, sql: str, params: Params = ()) -> list[Row]:
    return await src.fetchall(sql, params)


async def _fetchone(src: Source, sql: str, params: Params = ()) -> Row | None:
    rows = await _fetchall(src, sql, params)
    return rows[0] if rows else None


# Circles -----------------------------------------------------------------------------------
async def create_circle(
    db: Database,
    *,
    guild_id: int,
    name: str,
    name_key: str,
    cadence: CircleCadence,
    weekday: int,
    local_time: str,
    timezone: str,
    anchor: date,
    seed: int,
    created_by: int,
    now: datetime,
    first_due: datetime,
) -> int | None:
    """Create a circle with its first (pending) round. None if the name is taken here."""
    try:
        async with db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO circles (guild_id, name, name_key, cadence, weekday, local_time, "
                "timezone, anchor_date, seed, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    guild_id,
                    name,
                    name_key,
                    cadence.value,
                    weekday,
                    local_time,
                    timezone,
                    anchor.isoformat(),
                    seed,
                    created_by,
                    to_db(now),
                ),
            )
            circle_id = await new_id(cur)
            await schedule_round(conn, circle_id, 1, first_due)
    except IntegrityError:
        # circles_live_name: the check-then-insert race is settled by the index, not by a read.
        return None
    return circle_id


async def get_circle(src: Source, circle_id: int) -> CircleRow | None:
    row = await _fetchone(
        src,
        f"SELECT {_CIRCLE_COLUMNS} FROM circles WHERE id = ? AND deleted_at IS NULL",
        (circle_id,),
    )
    return _circle(row) if row is not None else None


async def circle_by_name(db: Database, guild_id: int, name_key: str) -> CircleRow | None:
    row = await db.fetchone(
        f"SELECT {_CIRCLE_COLUMNS} FROM circles "
        "WHERE guild_id = ? AND name_key = ? AND deleted_at IS NULL",
        (guild_id, name_key),
    )
    return _circle(row) if row is not None else None


async def circles_of_guild(db: Database, guild_id: int) -> list[CircleRow]:
    rows = await db.fetchall(
        f"SELECT {_CIRCLE_COLUMNS} FROM circles WHERE guild_id = ? AND deleted_at IS NULL "
        "ORDER BY name_key",
        (guild_id,),
    )
    return [_circle(r) for r in rows]


async def circles_of_member(db: Database, guild_id: int, user_id: int) -> list[CircleRow]:
    rows = await db.fetchall(
        f"SELECT {_CIRCLE_COLUMNS} FROM circles WHERE guild_id = ? AND deleted_at IS NULL "
        "AND id IN (SELECT circle_id FROM circle_members WHERE user_id = ?) ORDER BY name_key",
        (guild_id, user_id),
    )
    return [_circle(r) for r in rows]


async def mark_deleted(conn: Tx, circle_id: int, now: datetime) -> bool:
    """Soft-delete (the name becomes free; pairs and history stay for export and forget)."""
    cur = await conn.execute(
        "UPDATE circles SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
        (to_db(now), circle_id),
    )
    if cur.rowcount:
        await conn.execute(
            "UPDATE circle_rounds SET status = 'cancelled' "
            "WHERE circle_id = ? AND status = 'pending'",
            (circle_id,),
        )
    return cur.rowcount > 0


# Members -----------------------------------------------------------------------------------
async def add_member(db: Database, circle_id: int, user_id: int, now: datetime) -> bool:
    """Opt a member in. False if they were already in."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "INSERT OR IGNORE INTO circle_members (circle_id, user_id, joined_at) VALUES (?, ?, ?)",
            (circle_id, user_id, to_db(now)),
        )
        return cur.rowcount > 0


async def remove_member(conn: Tx, circle_id: int, user_id: int) -> bool:
    cur = await conn.execute(
        "DELETE FROM circle_members WHERE circle_id = ? AND user_id = ?", (circle_id, user_id)
    )
    return cur.rowcount > 0


async def clear_members(conn: Tx, circle_id: int) -> None:
    await conn.execute("DELETE FROM circle_members WHERE circle_id = ?", (circle_id,))


async def display_names(src: Source, user_ids: tuple[int, ...]) -> dict[int, str]:
    if not user_ids:
        return {}
    marks = ",".join("?" * len(user_ids))
    rows = await _fetchall(
        src, f"SELECT user_id, display_name FROM members WHERE user_id IN ({marks})", user_ids
    )
    return {int(r[0]): str(r[1]) for r in rows}


async def member_ids(src: Source, circle_id: int) -> list[int]:
    rows = await _fetchall(
        src, "SELECT user_id FROM circle_members WHERE circle_id = ? ORDER BY user_id", (circle_id,)
    )
    return [int(r[0]) for r in rows]


async def is_member(db: Database, circle_id: int, user_id: int) -> bool:
    value = await db.fetchval(
        "SELECT 1 FROM circle_members WHERE circle_id = ? AND user_id = ?", (circle_id, user_id)
    )
    return value is not None


# Who a pause belongs to. A pause is stored on the pair, for everyone in it, but only the member
# who asked for it (`paused_by`) sits out the next rounds; their partners are re-paired. Pairs a
# round ended keep `paused_until` and `paused_by`, so the pause outlives the round it began in.
_PAUSED_SQL = """
EXISTS (
    SELECT 1 FROM pairs p
    WHERE p.circle_id = cm.circle_id AND p.paused_by = cm.user_id
      AND p.status IN ('paused', 'ended') AND p.paused_until > :now
)
"""


async def round_members(src: Source, circle_id: int, now: datetime) -> list[RoundMember]:
    """Every member of the circle, with what decides whether they take part in a round."""
    rows = await _fetchall(
        src,
        "SELECT m.user_id, m.display_name, m.timezone, m.quiet_start, m.quiet_end, "
        f"m.unreachable_since IS NOT NULL AS unreachable, {_PAUSED_SQL} AS paused "
        "FROM circle_members cm JOIN members m ON m.user_id = cm.user_id "
        "WHERE cm.circle_id = :cid ORDER BY cm.user_id",
        {"cid": circle_id, "now": to_db(now)},
    )
    return [
        RoundMember(
            user_id=int(r["user_id"]),
            display_name=str(r["display_name"]),
            timezone=r["timezone"],
            quiet_start=r["quiet_start"],
            quiet_end=r["quiet_end"],
            unreachable=bool(r["unreachable"]),
            paused=bool(r["paused"]),
        )
        for r in rows
    ]


# Rounds ------------------------------------------------------------------------------------
async def schedule_round(conn: Tx, circle_id: int, round_no: int, due_at: datetime) -> bool:
    """Create round `round_no` if it does not exist yet (UNIQUE(circle_id, round_no)).

    Idempotent on purpose: whoever forms round N schedules N + 1, and a retry of that work must
    not create a second row or move the first.
    """
    cur = await conn.execute(
        "INSERT OR IGNORE INTO circle_rounds (circle_id, round_no, due_at) VALUES (?, ?, ?)",
        (circle_id, round_no, to_db(due_at)),
    )
    return cur.rowcount > 0


async def pending_round(src: Source, circle_id: int) -> RoundRow | None:
    row = await _fetchone(
        src,
        f"SELECT {_ROUND_COLUMNS} FROM circle_rounds WHERE circle_id = ? AND status = 'pending' "
        "ORDER BY round_no LIMIT 1",
        (circle_id,),
    )
    return _round(row) if row is not None else None


async def latest_formed_round(src: Source, circle_id: int) -> RoundRow | None:
    row = await _fetchone(
        src,
        f"SELECT {_ROUND_COLUMNS} FROM circle_rounds WHERE circle_id = ? AND status = 'formed' "
        "ORDER BY round_no DESC LIMIT 1",
        (circle_id,),
    )
    return _round(row) if row is not None else None


async def rounds_of(src: Source, circle_id: int) -> list[RoundRow]:
    rows = await _fetchall(
        src,
        f"SELECT {_ROUND_COLUMNS} FROM circle_rounds WHERE circle_id = ? ORDER BY round_no",
        (circle_id,),
    )
    return [_round(r) for r in rows]


async def due_rounds(db: Database, now: datetime, limit: int = 100) -> list[RoundRow]:
    """Pending rounds whose time has come, of live circles in servers Closer is still in."""
    rows = await db.fetchall(
        f"SELECT {', '.join('r.' + c for c in _ROUND_COLUMNS.split(', '))} "
        "FROM circle_rounds r JOIN circles c ON c.id = r.circle_id "
        "WHERE r.status = 'pending' AND r.due_at <= ? AND c.deleted_at IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM guilds g "
        "                WHERE g.guild_id = c.guild_id AND g.left_at IS NOT NULL) "
        "ORDER BY r.due_at, r.id LIMIT ?",
        (to_db(now), limit),
    )
    return [_round(r) for r in rows]


async def claim_round(
    conn: Tx, round_id: int, now: datetime, *, early: bool = False
) -> RoundRow | None:
    """Mark a pending round formed, inside the caller's transaction; None if it was not ours.

    Only a `pending` row of a live circle can be claimed, so a second claim (another tick, a
    `/circle rotate` racing the clock, a retry after a crash) finds nothing. `early` lets
    `/circle rotate` form the round before its time.
    """
    cur = await conn.execute(
        f"UPDATE circle_rounds SET status = 'formed', formed_at = :now "
        "WHERE id = :id AND status = 'pending' AND (:early = 1 OR due_at <= :now) "
        "AND circle_id IN (SELECT id FROM circles WHERE deleted_at IS NULL) "
        f"RETURNING {_ROUND_COLUMNS}",
        {"id": round_id, "now": to_db(now), "early": int(early)},
    )
    row = await cur.fetchone()
    return _round(row) if row is not None else None


async def set_group_count(conn: Tx, round_id: int, count: int) -> None:
    await conn.execute("UPDATE circle_rounds SET group_count = ? WHERE id = ?", (count, round_id))


async def postpone_round(conn: Tx, round_id: int, due_at: datetime) -> bool:
    """Too few members when a round came due: the same round waits for the next round time.

    Keeping the round number (rather than cancelling and numbering on) means "Round 4" is the
    fourth round that actually happened.
    """
    cur = await conn.execute(
        "UPDATE circle_rounds SET due_at = ? WHERE id = ? AND status = 'pending'",
        (to_db(due_at), round_id),
    )
    return cur.rowcount > 0


# Pairs of a circle -------------------------------------------------------------------------
async def pairing_history(src: Source, circle_id: int) -> PairingHistory:
    """What past rounds of this circle remember, from its pairs' members and round numbers.

    Ended pairs count too (that is the point); a pair that lost a member to /closer forget
    simply remembers less.
    """
    rows = await _fetchall(
        src,
        "SELECT p.id, r.round_no, pm.user_id FROM pairs p "
        "JOIN circle_rounds r ON r.id = p.round_id "
        "JOIN pair_members pm ON pm.pair_id = p.id "
        "WHERE p.circle_id = ? AND p.kind = 'circle' ORDER BY p.id, pm.user_id",
        (circle_id,),
    )
    groups: dict[int, tuple[int, list[int]]] = {}
    for r in rows:
        groups.setdefault(int(r["id"]), (int(r["round_no"]), []))[1].append(int(r["user_id"]))
    last_met: dict[frozenset[int], int] = {}
    trio_rounds: dict[int, set[int]] = {}
    last_trio: dict[int, int] = {}
    for round_no, members in groups.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                key = frozenset((a, b))
                last_met[key] = max(last_met.get(key, round_no), round_no)
        if len(members) == 3:
            for m in members:
                # A set of round numbers: a trio re-formed within one round counts once.
                trio_rounds.setdefault(m, set()).add(round_no)
                last_trio[m] = max(last_trio.get(m, round_no), round_no)
    return PairingHistory(
        last_met=last_met,
        trio_rounds={m: len(rounds) for m, rounds in trio_rounds.items()},
        last_trio=last_trio,
    )


async def end_pairs(
    conn: Tx,
    circle_id: int,
    now: datetime,
    *,
    user_id: int | None = None,
    except_round: int | None = None,
) -> list[CircleGroup]:
    """End this circle's live pairs (all, or only `user_id`'s), as `pairs.set_status` would.

    Runs in the caller's transaction so a round's old pairs end in the same commit as its new
    ones begin. `paused_until` is kept on purpose: see _PAUSED_SQL.
    """
    sql = (
        "UPDATE pairs SET status = 'ended', ended_at = :now "
        "WHERE circle_id = :cid AND kind = 'circle' AND status != 'ended'"
    )
    params: dict[str, object] = {"now": to_db(now), "cid": circle_id}
    if user_id is not None:
        sql += " AND id IN (SELECT pair_id FROM pair_members WHERE user_id = :uid)"
        params["uid"] = user_id
    if except_round is not None:
        sql += " AND (round_id IS NULL OR round_id != :rid)"
        params["rid"] = except_round
    cur = await conn.execute(sql + " RETURNING id", params)
    ids = [int(r[0]) for r in await cur.fetchall()]
    ended: list[CircleGroup] = []
    for pair_id in ids:
        # An ended pair sends nothing more, not even what was already queued for it.
        await conn.execute(
            "UPDATE deliveries SET status = 'skipped', last_error = 'pair ended' "
            "WHERE pair_id = ? AND status = 'pending'",
            (pair_id,),
        )
        await conn.execute("DELETE FROM schedules WHERE pair_id = ?", (pair_id,))
        rows = await _fetchall(
            conn, "SELECT user_id FROM pair_members WHERE pair_id = ? ORDER BY user_id", (pair_id,)
        )
        ended.append(CircleGroup(pair_id, tuple(int(r[0]) for r in rows)))
    return ended


async def live_groups(src: Source, circle_id: int) -> list[CircleGroup]:
    """The circle's current (active or paused) groups and their members."""
    rows = await _fetchall(
        src,
        "SELECT p.id, pm.user_id FROM pairs p JOIN pair_members pm ON pm.pair_id = p.id "
        "WHERE p.circle_id = ? AND p.kind = 'circle' AND p.status != 'ended' "
        "ORDER BY p.id, pm.user_id",
        (circle_id,),
    )
    groups: dict[int, list[int]] = {}
    for r in rows:
        groups.setdefault(int(r["id"]), []).append(int(r["user_id"]))
    return [CircleGroup(pid, tuple(members)) for pid, members in groups.items()]
