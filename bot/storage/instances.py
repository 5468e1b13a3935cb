"""Prompt instances: one prompt given to one pair for one slot, and each member's side of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.models import Category, InstanceStatus, Kind, MemberState, Prompt
from bot.core.prompts import SentPrompt
from bot.storage.db import Database, Row, Tx, new_id
from bot.storage.timecodec import from_db, to_db


@dataclass(frozen=True, slots=True)
class InstanceRow:
    id: int
    pair_id: int
    prompt_id: str
    category: Category
    kind: str
    slot_key: str
    status: InstanceStatus
    created_at: datetime
    challenge_id: int | None
    challenge_day: int | None
    # Set for activity check-ins, whose question is the activity's follow_up (see migration 2).
    text: str | None = None


def _instance(row: Row) -> InstanceRow:
    return InstanceRow(
        id=int(row["id"]),
        pair_id=int(row["pair_id"]),
        prompt_id=str(row["prompt_id"]),
        category=Category(row["category"]),
        kind=str(row["kind"]),
        slot_key=str(row["slot_key"]),
        status=InstanceStatus(row["status"]),
        created_at=from_db(row["created_at"]),
        challenge_id=row["challenge_id"],
        challenge_day=row["challenge_day"],
        text=row["text"],
    )


async def instance_for_slot(conn: Tx, pair_id: int, slot_key: str) -> int | None:
    cur = await conn.execute(
        "SELECT id FROM prompt_instances WHERE pair_id = ? AND slot_key = ?", (pair_id, slot_key)
    )
    row = await cur.fetchone()
    return int(row[0]) if row else None


async def prompt_for_slot(db: Database, pair_id: int, slot_key: str) -> str | None:
    value = await db.fetchval(
        "SELECT prompt_id FROM prompt_instances WHERE pair_id = ? AND slot_key = ?",
        (pair_id, slot_key),
    )
    return None if value is None else str(value)


async def held_members(db: Database, pair_id: int) -> frozenset[int]:
    """Members of a pair who have gone quiet and are not being sent prompts right now."""
    rows = await db.fetchall(
        "SELECT user_id FROM pair_members WHERE pair_id = ? AND pace = 'held'", (pair_id,)
    )
    return frozenset(int(r[0]) for r in rows)


async def prompt_instance_id(db: Database, pair_id: int, slot_key: str) -> int | None:
    value = await db.fetchval(
        "SELECT id FROM prompt_instances WHERE pair_id = ? AND slot_key = ?", (pair_id, slot_key)
    )
    return None if value is None else int(value)


async def create_instance(
    conn: Tx,
    *,
    pair_id: int,
    slot_key: str,
    prompt: Prompt,
    member_ids: tuple[int, ...],
    now: datetime,
    challenge_id: int | None = None,
    challenge_day: int | None = None,
    text: str | None = None,
    held: frozenset[int] = frozenset(),
    kind: Kind | None = None,
) -> int:
    """The pair's instance for a slot, created once: a second caller gets the first one's id.

    Members in `held` will not receive it (they have gone quiet): they start as 'held', so the
    others' answers are not kept waiting for them.
    """
    existing = await instance_for_slot(conn, pair_id, slot_key)
    if existing is not None:
        return existing
    cur = await conn.execute(
        "INSERT INTO prompt_instances (pair_id, prompt_id, category, kind, slot_key, "
        "challenge_id, challenge_day, created_at, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "RETURNING id",
        (
            pair_id,
            prompt.id,
            prompt.category.value,
            (kind or prompt.kind).value,
            slot_key,
            challenge_id,
            challenge_day,
            to_db(now),
            text,
        ),
    )
    instance_id = await new_id(cur)
    await conn.executemany(
        "INSERT OR IGNORE INTO instance_members (instance_id, user_id, state, updated_at) "
        "VALUES (?, ?, ?, ?)",
        [
            (instance_id, m, MemberState.HELD if m in held else MemberState.OPEN, to_db(now))
            for m in member_ids
        ],
    )
    return instance_id


async def mark_held(db: Database, instance_id: int, user_id: int, now: datetime) -> bool:
    """This member's slot was held back: they will not get this instance. True if it changed."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE instance_members SET state = 'held', updated_at = ? "
            "WHERE instance_id = ? AND user_id = ? AND state = 'open'",
            (to_db(now), instance_id, user_id),
        )
        return cur.rowcount > 0


async def get_instance(db: Database, instance_id: int) -> InstanceRow | None:
    row = await db.fetchone("SELECT * FROM prompt_instances WHERE id = ?", (instance_id,))
    return _instance(row) if row is not None else None


async def open_instances(db: Database, pair_id: int) -> list[InstanceRow]:
    rows = await db.fetchall(
        "SELECT * FROM prompt_instances WHERE pair_id = ? AND status = 'open' ORDER BY id",
        (pair_id,),
    )
    return [_instance(r) for r in rows]


async def latest_instance(db: Database, pair_id: int) -> InstanceRow | None:
    row = await db.fetchone(
        "SELECT * FROM prompt_instances WHERE pair_id = ? ORDER BY id DESC LIMIT 1", (pair_id,)
    )
    return _instance(row) if row is not None else None


async def pair_history(db: Database, pair_id: int) -> list[SentPrompt]:
    rows = await db.fetchall(
        "SELECT prompt_id, category FROM prompt_instances WHERE pair_id = ? ORDER BY id",
        (pair_id,),
    )
    return [SentPrompt(str(r[0]), Category(r[1])) for r in rows]


async def count_instances(db: Database, pair_id: int) -> int:
    value = await db.fetchval("SELECT count(*) FROM prompt_instances WHERE pair_id = ?", (pair_id,))
    return int(value or 0)


async def count_revealed(db: Database, pair_id: int) -> int:
    value = await db.fetchval(
        "SELECT count(*) FROM prompt_instances WHERE pair_id = ? AND status = 'revealed'",
        (pair_id,),
    )
    return int(value or 0)


async def answered_elsewhere(
    db: Database, pair_id: int, member_ids: tuple[int, ...]
) -> frozenset[str]:
    """Prompt ids these members answered in other pairs (a circle's earlier partners)."""
    if not member_ids:
        return frozenset()
    marks = ",".join("?" * len(member_ids))
    rows = await db.fetchall(
        "SELECT DISTINCT i.prompt_id FROM answers a "
        "JOIN prompt_instances i ON i.id = a.instance_id "
        f"WHERE a.user_id IN ({marks}) AND i.pair_id != ?",
        (*member_ids, pair_id),
    )
    return frozenset(str(r[0]) for r in rows)


async def close_instance(
    db: Database, instance_id: int, status: InstanceStatus, now: datetime
) -> bool:
    async with db.transaction() as conn:
        return await close_instance_in(conn, instance_id, status, now)


async def member_state(db: Database, instance_id: int, user_id: int) -> MemberState | None:
    value = await db.fetchval(
        "SELECT state FROM instance_members WHERE instance_id = ? AND user_id = ?",
        (instance_id, user_id),
    )
    return None if value is None else MemberState(value)


async def set_member_state(
    db: Database, instance_id: int, user_id: int, state: MemberState, now: datetime
) -> None:
    await db.execute(
        "UPDATE instance_members SET state = ?, updated_at = ? "
        "WHERE instance_id = ? AND user_id = ?",
        (state, to_db(now), instance_id, user_id),
    )


async def member_states(db: Database, instance_id: int) -> dict[int, MemberState]:
    rows = await db.fetchall(
        "SELECT user_id, state FROM instance_members WHERE instance_id = ?", (instance_id,)
    )
    return {int(r[0]): MemberState(r[1]) for r in rows}


# Inside a caller's transaction: one use case (an answer, a skip) checks and writes together.
async def member_states_in(conn: Tx, instance_id: int) -> dict[int, MemberState]:
    cur = await conn.execute(
        "SELECT user_id, state FROM instance_members WHERE instance_id = ?", (instance_id,)
    )
    return {int(r[0]): MemberState(r[1]) for r in await cur.fetchall()}


async def change_member_state(
    conn: Tx,
    instance_id: int,
    user_id: int,
    state: MemberState,
    now: datetime,
    *,
    only_from: tuple[MemberState, ...],
) -> bool:
    """Move a member's side of an open instance to `state`, only from one of `only_from`."""
    marks = ",".join("?" * len(only_from))
    cur = await conn.execute(
        "UPDATE instance_members SET state = ?, updated_at = ? "
        f"WHERE instance_id = ? AND user_id = ? AND state IN ({marks}) "
        "AND EXISTS (SELECT 1 FROM prompt_instances WHERE id = ? AND status = 'open')",
        (state, to_db(now), instance_id, user_id, *only_from, instance_id),
    )
    return cur.rowcount > 0


async def close_instance_in(
    conn: Tx, instance_id: int, status: InstanceStatus, now: datetime
) -> bool:
    """Close an open instance and skip what is still queued for it. False if already closed."""
    cur = await conn.execute(
        "UPDATE prompt_instances SET status = ?, closed_at = ? WHERE id = ? AND status = 'open'",
        (status, to_db(now), instance_id),
    )
    if cur.rowcount:
        await conn.execute(
            "UPDATE deliveries SET status = 'skipped', last_error = 'prompt closed' "
            "WHERE instance_id = ? AND status = 'pending'",
            (instance_id,),
        )
    return cur.rowcount > 0


async def count_on_demand_since(db: Database, pair_id: int, since: datetime) -> int:
    """`/prompt now` instances of a pair created at or after `since`."""
    value = await db.fetchval(
        "SELECT count(*) FROM prompt_instances WHERE pair_id = ? AND slot_key LIKE 'now:%' "
        "AND created_at >= ?",
        (pair_id, to_db(since)),
    )
    return int(value or 0)


# Batches (materialising many due slots at once) -------------------------------------------
async def slot_prompts(db: Database, keys: list[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """The prompt already given for each (pair, slot) that has an instance."""
    if not keys:
        return {}
    pair_ids = sorted({p for p, _ in keys})
    slots = sorted({k for _, k in keys})
    rows = await db.fetchall(
        "SELECT pair_id, slot_key, prompt_id FROM prompt_instances "
        f"WHERE pair_id IN ({','.join('?' * len(pair_ids))}) "
        f"AND slot_key IN ({','.join('?' * len(slots))})",
        (*pair_ids, *slots),
    )
    wanted = set(keys)
    found = {(int(r[0]), str(r[1])): str(r[2]) for r in rows}
    return {k: v for k, v in found.items() if k in wanted}


async def histories(db: Database, pair_ids: list[int]) -> dict[int, list[SentPrompt]]:
    if not pair_ids:
        return {}
    rows = await db.fetchall(
        "SELECT pair_id, prompt_id, category FROM prompt_instances "
        f"WHERE pair_id IN ({','.join('?' * len(pair_ids))}) ORDER BY pair_id, id",
        tuple(pair_ids),
    )
    out: dict[int, list[SentPrompt]] = {p: [] for p in pair_ids}
    for r in rows:
        out[int(r[0])].append(SentPrompt(str(r[1]), Category(r[2])))
    return out


async def answered_elsewhere_of(
    db: Database, members: dict[int, tuple[int, ...]]
) -> dict[int, frozenset[str]]:
    """`answered_elsewhere` for several pairs at once: {pair: prompt ids its members answered
    in other pairs}."""
    user_ids = sorted({u for ms in members.values() for u in ms})
    if not user_ids:
        return {p: frozenset() for p in members}
    rows = await db.fetchall(
        "SELECT DISTINCT a.user_id, i.pair_id, i.prompt_id FROM answers a "
        "JOIN prompt_instances i ON i.id = a.instance_id "
        f"WHERE a.user_id IN ({','.join('?' * len(user_ids))})",
        tuple(user_ids),
    )
    by_user: dict[int, list[tuple[int, str]]] = {}
    for r in rows:
        by_user.setdefault(int(r[0]), []).append((int(r[1]), str(r[2])))
    return {
        pair_id: frozenset(
            prompt for u in ms for other, prompt in by_user.get(u, ()) if other != pair_id
        )
        for pair_id, ms in members.items()
    }


@dataclass(frozen=True, slots=True)
class NewInstance:
    pair_id: int
    slot_key: str
    prompt: Prompt
    member_ids: tuple[int, ...]


async def create_instances(
    conn: Tx, new: list[NewInstance], now: datetime
) -> dict[tuple[int, str], int]:
    """`create_instance` for many slots in the caller's transaction (nobody held): an instance
    that already exists for a (pair, slot) is kept and its id returned."""
    if not new:
        return {}
    stamp = to_db(now)
    await conn.executemany(
        "INSERT OR IGNORE INTO prompt_instances (pair_id, prompt_id, category, kind, slot_key, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                n.pair_id,
                n.prompt.id,
                n.prompt.category.value,
                n.prompt.kind.value,
                n.slot_key,
                stamp,
            )
            for n in new
        ],
    )
    pair_ids = sorted({n.pair_id for n in new})
    slots = sorted({n.slot_key for n in new})
    cur = await conn.execute(
        "SELECT pair_id, slot_key, id FROM prompt_instances "
        f"WHERE pair_id IN ({','.join('?' * len(pair_ids))}) "
        f"AND slot_key IN ({','.join('?' * len(slots))})",
        (*pair_ids, *slots),
    )
    ids = {(int(r[0]), str(r[1])): int(r[2]) for r in await cur.fetchall()}
    await conn.executemany(
        "INSERT OR IGNORE INTO instance_members (instance_id, user_id, state, updated_at) "
        "VALUES (?, ?, 'open', ?)",
        [(ids[(n.pair_id, n.slot_key)], m, stamp) for n in new for m in n.member_ids],
    )
    return ids


async def pairs_with_held(db: Database, pair_ids: list[int]) -> set[int]:
    """Which of these pairs have a member who went quiet (see `held_members`)."""
    if not pair_ids:
        return set()
    rows = await db.fetchall(
        "SELECT DISTINCT pair_id FROM pair_members WHERE pace = 'held' "
        f"AND pair_id IN ({','.join('?' * len(pair_ids))})",
        tuple(pair_ids),
    )
    return {int(r[0]) for r in rows}
