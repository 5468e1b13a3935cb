"""The outbox: schedules that materialise into deliveries, and the claim/mark cycle.

A delivery is claimed with a lease (a `delivery_leases` row) in one transaction, sent outside
it, then marked. A crash between claim and mark leaves a lease that expires; the retry reuses the
delivery id as the message nonce, so Discord (and the sandbox) return the first message instead
of a copy.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.core.models import DeliveryStatus
from bot.storage.db import Database, Row, Tx
from bot.storage.timecodec import from_db, to_db


@dataclass(frozen=True, slots=True)
class DueSchedule:
    pair_id: int
    user_id: int
    due: datetime
    day: date


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    dedupe_key: str
    user_id: int | None
    channel_id: int | None
    pair_id: int | None
    instance_id: int | None
    kind: str
    payload: dict[str, Any]
    due_at: datetime
    stale_after: datetime | None
    attempts: int
    dm_channel_id: int | None
    lease: str = ""  # the lease_until this claim wrote, as stored: the claim's token
    unreachable: bool = False

    @property
    def needs_channel(self) -> bool:
        """Sending this needs a DM channel opened first."""
        return (
            self.channel_id is None
            and self.dm_channel_id is None
            and self.user_id is not None
            and not self.unreachable
        )


@dataclass(frozen=True, slots=True)
class NewDelivery:
    dedupe_key: str
    kind: str
    due_at: datetime
    user_id: int | None = None
    channel_id: int | None = None
    pair_id: int | None = None
    instance_id: int | None = None
    payload: dict[str, Any] | None = None
    stale_after: datetime | None = None
    # The server it belongs to; when None it is taken from the pair, or from the server whose
    # announce channel `channel_id` is.
    guild_id: int | None = None
    # Whose words the message quotes (a reveal, a shared reflection) and whom it names beyond
    # the pair's own members (who are recorded for every pair-bound row): forget deletes by these.
    authors: tuple[int, ...] = ()
    named: tuple[int, ...] = ()


def notices(
    user_ids: Iterable[int],
    key: str,
    payload: Mapping[str, Any],
    due_at: datetime,
    *,
    pair_id: int | None = None,
    instance_id: int | None = None,
    guild_id: int | None = None,
    named: tuple[int, ...] = (),
) -> list[NewDelivery]:
    """The same short DM for several members, one row each, keyed `<key>:<user id>`."""
    return [
        NewDelivery(
            dedupe_key=f"{key}:{uid}",
            kind="notice",
            due_at=due_at,
            user_id=uid,
            pair_id=pair_id,
            instance_id=instance_id,
            payload=dict(payload),
            guild_id=guild_id,
            named=named,
        )
        for uid in user_ids
    ]


INSERT_DELIVERY = (
    "INSERT OR IGNORE INTO deliveries (dedupe_key, user_id, channel_id, pair_id, instance_id, "
    "kind, payload, due_at, stale_after, created_at, guild_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, (SELECT guild_id FROM pairs WHERE id = ?), "
    "(SELECT guild_id FROM guilds WHERE announce_channel_id = ? LIMIT 1)))"
)

# Every member of the row's pair other than its recipient: pair messages name them.
_PAIR_PEOPLE = (
    "INSERT OR IGNORE INTO delivery_people (delivery_id, user_id, role) "
    "SELECT d.id, pm.user_id, 'named' FROM deliveries AS d "
    "JOIN pair_members AS pm ON pm.pair_id = d.pair_id "
    "WHERE d.dedupe_key = ? AND d.user_id IS NOT NULL AND pm.user_id != d.user_id"
)
_PERSON = (
    "INSERT OR IGNORE INTO delivery_people (delivery_id, user_id, role) "
    "SELECT id, ?, ? FROM deliveries WHERE dedupe_key = ?"
)


def _delivery_params(d: NewDelivery, now: datetime) -> tuple[object, ...]:
    return (
        d.dedupe_key,
        d.user_id,
        d.channel_id,
        d.pair_id,
        d.instance_id,
        d.kind,
        json.dumps(d.payload or {}, ensure_ascii=False),
        to_db(d.due_at),
        to_db(d.stale_after) if d.stale_after else None,
        to_db(now),
        d.guild_id,
        d.pair_id,
        d.channel_id,
    )


async def insert_deliveries(conn: Tx, deliveries: Iterable[NewDelivery], now: datetime) -> int:
    """Queue deliveries inside the caller's transaction; duplicates (same key) are ignored.

    Each row records whose words and names it carries, so forgetting someone deletes exactly
    the messages about them (see `bot.storage.privacy`).
    """
    rows = list(deliveries)
    added = await conn.executemany(INSERT_DELIVERY, [_delivery_params(d, now) for d in rows])
    if added:
        # The sending process may be another one (PostgreSQL): it wakes when this commits.
        await conn.new_work()
    await conn.executemany(
        _PAIR_PEOPLE, [(d.dedupe_key,) for d in rows if d.pair_id is not None and d.user_id]
    )
    await conn.executemany(
        _PERSON,
        [(uid, "author", d.dedupe_key) for d in rows for uid in d.authors]
        + [(uid, "named", d.dedupe_key) for d in rows for uid in d.named],
    )
    return added


async def skip_pending(conn: Tx, dedupe_key: str, reason: str) -> None:
    """Call off a queued delivery that has not gone out (nothing if it has, or is not queued)."""
    await conn.execute(
        "UPDATE deliveries SET status = 'skipped', last_error = ? "
        "WHERE dedupe_key = ? AND status = 'pending'",
        (reason, dedupe_key),
    )


async def enqueue(db: Database, deliveries: Iterable[NewDelivery], now: datetime) -> int:
    async with db.transaction() as conn:
        return await insert_deliveries(conn, deliveries, now)


async def delivery_id_for(db: Database, dedupe_key: str) -> int:
    value = await db.fetchval("SELECT id FROM deliveries WHERE dedupe_key = ?", (dedupe_key,))
    if value is None:
        raise LookupError(dedupe_key)
    return int(value)


async def prompt_delivery(db: Database, instance_id: int, user_id: int) -> dict[str, Any] | None:
    """The payload of the prompt DM a member received for an instance (to send it again)."""
    value = await db.fetchval(
        "SELECT payload FROM deliveries WHERE instance_id = ? AND user_id = ? AND kind = 'prompt'",
        (instance_id, user_id),
    )
    return None if value is None else dict(json.loads(value))


# Schedules ---------------------------------------------------------------------------------
async def upsert_schedule(conn: Tx, pair_id: int, user_id: int, due: datetime, day: date) -> None:
    await conn.execute(
        "INSERT INTO schedules (pair_id, user_id, next_due_at, next_day) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (pair_id, user_id) DO UPDATE SET next_due_at = excluded.next_due_at, "
        "next_day = excluded.next_day",
        (pair_id, user_id, to_db(due), day.isoformat()),
    )


def _due_schedule(r: Row) -> DueSchedule:
    return DueSchedule(
        int(r["pair_id"]),
        int(r["user_id"]),
        from_db(r["next_due_at"]),
        date.fromisoformat(r["next_day"]),
    )


async def due_schedules(db: Database, now: datetime, limit: int) -> list[DueSchedule]:
    rows = await db.fetchall(
        "SELECT s.pair_id, s.user_id, s.next_due_at, s.next_day FROM schedules s "
        "WHERE s.next_due_at <= ? ORDER BY s.next_due_at LIMIT ?",
        (to_db(now), limit),
    )
    return [_due_schedule(r) for r in rows]


async def schedules_of_pair(db: Database, pair_id: int) -> list[DueSchedule]:
    rows = await db.fetchall(
        "SELECT pair_id, user_id, next_due_at, next_day FROM schedules WHERE pair_id = ? "
        "ORDER BY next_due_at",
        (pair_id,),
    )
    return [_due_schedule(r) for r in rows]


async def delete_member_schedule(conn: Tx, pair_id: int, user_id: int) -> None:
    await conn.execute(
        "DELETE FROM schedules WHERE pair_id = ? AND user_id = ?", (pair_id, user_id)
    )


async def delete_schedules(conn: Tx, pair_id: int) -> None:
    await conn.execute("DELETE FROM schedules WHERE pair_id = ?", (pair_id,))


# Claiming ----------------------------------------------------------------------------------
# A claim never rewrites the delivery: it writes a lease row (`delivery_leases`). The delivery
# stays 'pending' until the sender marks it; a pending row with a live lease is in flight. On
# PostgreSQL this is what keeps a claim cheap: an UPDATE of the delivery's status wrote a new
# version of the whole row and an entry in every index of `deliveries` (53-84 ms for 1,000 rows
# at a million pairs, against a 50 ms target); a lease is a narrow insert with one index.
#
# A lease whose time has run out is taken over like a due row (its sender died or stalled
# mid-send): the upsert counts its attempt on from the lease's, so crashed attempts count too.
_LEASE_UPSERT = """
ON CONFLICT (delivery_id) DO UPDATE
SET lease_until = excluded.lease_until, attempt = delivery_leases.attempt + 1
WHERE delivery_leases.lease_until <= :now
RETURNING delivery_id, lease_until, attempt
"""

_NOT_LEASED = (
    "NOT EXISTS (SELECT 1 FROM delivery_leases l WHERE l.delivery_id = d.id "
    "AND l.lease_until > :now)"
)

# `+id`, not `id`: ordered by the bare rowid, and once `ANALYZE`/`PRAGMA optimize` has given
# SQLite statistics, it satisfies `ORDER BY 1 LIMIT` by walking the whole table in rowid order
# instead of using deliveries_due (80 ms per claim at 200,000 rows, growing with history). The
# expression leaves only the index search plus a small sort. `WHERE true` is SQLite's way to
# let an upsert follow a SELECT.
CLAIM_SQL = (
    """
INSERT INTO delivery_leases (delivery_id, lease_until, attempt)
SELECT id, :lease, attempts + 1 FROM (
    SELECT +d.id AS id, d.attempts AS attempts FROM deliveries d
    WHERE d.status = 'pending' AND d.due_at <= :now AND {which} AND """
    + _NOT_LEASED
    + """
    ORDER BY 1
    LIMIT :limit
) WHERE true"""
    + _LEASE_UPSERT
)

# PostgreSQL, where several processes claim from one table: each takes rows no other claim holds
# (`SKIP LOCKED`: the row lock marks the delivery without writing a new version of it), so two
# senders never lease the same row and neither waits for the other. The lease upsert is the
# arbiter: a row whose lease another process committed after this statement's snapshot is
# locked here all the same, but its live lease refuses the upsert, so it is not returned. The
# rows and the members' DM channels come back from the same statement: a second query listing a
# thousand ids would cost a round trip and a fresh plan for every new list length.
CLAIM_SQL_POSTGRES = (
    """
WITH picked AS (
    SELECT d.id, d.attempts FROM deliveries d
    WHERE d.status = 'pending' AND d.due_at <= :now AND {which} AND """
    + _NOT_LEASED
    + """
    ORDER BY d.id
    LIMIT :limit
    FOR UPDATE OF d SKIP LOCKED
), leased AS (
    INSERT INTO delivery_leases (delivery_id, lease_until, attempt)
    SELECT id, :lease, attempts + 1 FROM picked"""
    + _LEASE_UPSERT
    + """)
SELECT d.id, d.dedupe_key, d.user_id, d.channel_id, d.pair_id, d.instance_id, d.kind, d.payload,
       d.due_at, d.stale_after, leased.attempt AS attempts, leased.lease_until,
       m.dm_channel_id AS member_channel_id,
       m.unreachable_since IS NOT NULL AS member_unreachable
FROM leased JOIN deliveries d ON d.id = leased.delivery_id
LEFT JOIN members m ON m.user_id = d.user_id
"""
)

# What a claim hands the sender, by the ids a lease upsert returned.
_CLAIMED_ROWS = (
    "SELECT d.id, d.dedupe_key, d.user_id, d.channel_id, d.pair_id, d.instance_id, d.kind, "
    "d.payload, d.due_at, d.stale_after, l.attempt AS attempts, l.lease_until "
    "FROM delivery_leases l JOIN deliveries d ON d.id = l.delivery_id WHERE l.delivery_id IN "
)

# A row that can go out without opening a DM channel first: it names a channel, or its member
# has a known DM channel (or is known to be unreachable, which is settled without any call).
_KNOWN = (
    "(d.channel_id IS NOT NULL OR d.user_id IS NULL OR EXISTS (SELECT 1 FROM members m "
    "WHERE m.user_id = d.user_id AND (m.dm_channel_id IS NOT NULL "
    "OR m.unreachable_since IS NOT NULL)))"
)
_WHICH = {None: "1 = 1", True: _KNOWN, False: f"NOT {_KNOWN}"}


async def claim_due(
    db: Database,
    now: datetime,
    lease_until: datetime,
    limit: int,
    *,
    known_channel: bool | None = None,
) -> list[Claimed]:
    """Lease up to `limit` due rows; `known_channel` picks only rows that need no DM opened
    first (True) or only rows that do (False), so the sender can pace the two separately."""
    params = {"now": to_db(now), "lease": to_db(lease_until), "limit": limit}
    async with db.transaction() as conn:
        if conn.engine == "postgresql":
            sql = CLAIM_SQL_POSTGRES.format(which=_WHICH[known_channel])
            rows = list(await (await conn.execute(sql, params)).fetchall())
            members = {
                int(r["user_id"]): (r["member_channel_id"], bool(r["member_unreachable"]))
                for r in rows
                if r["user_id"] is not None and r["member_unreachable"] is not None
            }
        else:
            cur = await conn.execute(CLAIM_SQL.format(which=_WHICH[known_channel]), params)
            rows = await _leased_rows(conn, [int(r[0]) for r in await cur.fetchall()])
            members = await _members_of(conn, rows)
    return [_claimed(r, members) for r in sorted(rows, key=lambda r: (r["due_at"], r["id"]))]


async def _leased_rows(conn: Tx, ids: list[int]) -> list[Row]:
    if not ids:
        return []
    cur = await conn.execute(f"{_CLAIMED_ROWS}({','.join('?' * len(ids))})", ids)
    return list(await cur.fetchall())


async def _members_of(conn: Tx, rows: list[Row]) -> dict[int, tuple[int | None, bool]]:
    user_ids = sorted({int(r["user_id"]) for r in rows if r["user_id"] is not None})
    if not user_ids:
        return {}
    marks = ",".join("?" * len(user_ids))
    cur = await conn.execute(
        "SELECT user_id, dm_channel_id, unreachable_since IS NOT NULL FROM members "
        f"WHERE user_id IN ({marks})",
        user_ids,
    )
    return {int(r[0]): (r[1], bool(r[2])) for r in await cur.fetchall()}


async def claim_one(
    db: Database, delivery_id: int, now: datetime, lease_until: datetime
) -> Claimed | None:
    """Claim one specific pending row, whatever its due time (a member is waiting for it)."""
    async with db.transaction() as conn:
        # Locked first, as a claim locks it: taking the lease first and the delivery's lock
        # second (its foreign-key check) deadlocked against a claim doing the opposite.
        lock = " FOR UPDATE" if conn.engine == "postgresql" else ""
        cur = await conn.execute(
            "INSERT INTO delivery_leases (delivery_id, lease_until, attempt) "
            "SELECT id, :lease, attempts + 1 FROM deliveries "
            f"WHERE id = :id AND status = 'pending'{lock}" + _LEASE_UPSERT,
            {"lease": to_db(lease_until), "id": delivery_id, "now": to_db(now)},
        )
        if await cur.fetchone() is None:
            return None
        rows = await _leased_rows(conn, [delivery_id])
        members = await _members_of(conn, rows)
    return _claimed(rows[0], members)


def _claimed(row: Row, members: dict[int, tuple[int | None, bool]]) -> Claimed:
    user_id = row["user_id"]
    channel, unreachable = members.get(int(user_id), (None, False)) if user_id else (None, False)
    return Claimed(
        id=int(row["id"]),
        dedupe_key=str(row["dedupe_key"]),
        user_id=int(user_id) if user_id is not None else None,
        channel_id=row["channel_id"],
        pair_id=row["pair_id"],
        instance_id=row["instance_id"],
        kind=str(row["kind"]),
        payload=json.loads(row["payload"] or "{}"),
        due_at=from_db(row["due_at"]),
        stale_after=from_db(row["stale_after"]) if row["stale_after"] else None,
        attempts=int(row["attempts"]),
        dm_channel_id=channel,
        lease=str(row["lease_until"]),
        unreachable=unreachable,
    )


# Every mark after a send first ends the lease it claimed, named by its expiry and attempt
# number: a worker whose lease ran out and was claimed again by another must not overwrite
# what that other worker does with the row. Then the mark itself, in the same transaction.
async def _marked(db: Database, c: Claimed, sql: str, params: tuple[object, ...]) -> bool:
    async with db.transaction() as conn:
        if conn.engine == "postgresql":
            # The delivery's lock before its lease's, in the order a claim takes them: a stale
            # sender marking while a new claim takes its expired lease would deadlock otherwise.
            await conn.execute("SELECT id FROM deliveries WHERE id = ? FOR UPDATE", (c.id,))
        cur = await conn.execute(
            "DELETE FROM delivery_leases WHERE delivery_id = ? AND lease_until = ? AND attempt = ?",
            (c.id, c.lease, c.attempts),
        )
        if cur.rowcount <= 0:
            return False
        await conn.execute(sql, (*params, c.id))
        return True


async def mark_sent(db: Database, c: Claimed, message_id: int, now: datetime) -> bool:
    """Record the send; False when the lease was lost (someone else owns the row now).

    Recorded whatever the row's status: a pair ended or a prompt closed while the message was
    on its way skips what is pending, but this one went out, and replies to it must find it."""
    return await _marked(
        db,
        c,
        "UPDATE deliveries SET status = 'sent', message_id = ?, sent_at = ?, attempts = ?, "
        "last_error = NULL WHERE id = ?",
        (message_id, to_db(now), c.attempts),
    )


async def mark_retry(db: Database, c: Claimed, error: str, retry_at: datetime) -> bool:
    return await _marked(
        db,
        c,
        "UPDATE deliveries SET due_at = ?, attempts = ?, last_error = ? "
        "WHERE id = ? AND status = 'pending'",
        (to_db(retry_at), c.attempts, error[:500]),
    )


async def mark_final(db: Database, c: Claimed, status: DeliveryStatus, error: str | None) -> bool:
    return await _marked(
        db,
        c,
        "UPDATE deliveries SET status = ?, attempts = ?, last_error = ? "
        "WHERE id = ? AND status = 'pending'",
        (status, c.attempts, error[:500] if error else None),
    )


QUIET_WAIT = "quiet hours"


async def wait_out_quiet(
    db: Database, c: Claimed, until: datetime, stale_after: datetime | None
) -> bool:
    """Hand a claimed DM back until the member's quiet hours end (not an attempt: the
    delivery's `attempts` stays as it was)."""
    return await _marked(
        db,
        c,
        "UPDATE deliveries SET due_at = ?, stale_after = ?, last_error = ? "
        "WHERE id = ? AND status = 'pending'",
        (to_db(until), to_db(stale_after) if stale_after else None, QUIET_WAIT),
    )


async def retime_quiet_waits(db: Database, user_id: int, now: datetime) -> int:
    """Quiet hours changed: what waited for the old window is due now, to be checked again."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE deliveries SET due_at = ? WHERE user_id = ? AND status = 'pending' "
            "AND last_error = ? AND due_at > ?",
            (to_db(now), user_id, QUIET_WAIT, to_db(now)),
        )
        return max(cur.rowcount, 0)


async def release_leases(db: Database, claims: Iterable[Claimed]) -> None:
    """Hand claimed-but-unsent rows back (shutdown): they go out on the next start. Ending the
    lease gives its attempt back, since the delivery's `attempts` never counted it. Only the
    leases these claims hold: one that ran out and was claimed again is another sender's now.
    In id order, as claims and takeovers lock leases."""
    await db.executemany(
        "DELETE FROM delivery_leases WHERE delivery_id = ? AND lease_until = ? AND attempt = ?",
        [(c.id, c.lease, c.attempts) for c in sorted(claims, key=lambda c: c.id)],
    )


async def take_over_leases(db: Database, now: datetime, keep: Collection[int] = ()) -> int:
    """End every lease now but those of `keep` (this process's own sends in flight), so the next
    claim takes those rows (a new sender, PostgreSQL).

    The process that sent before is gone: its claimed rows would otherwise wait out LEASE.
    If the sender before is alive after all (it lost its database connection, and with it the
    lead, mid-send), a row it is sending at that moment may go out twice, with the same nonce,
    which Discord answers with the first message; the stale sender's mark then fails its lease
    check. Returns the rows taken over."""
    async with db.transaction() as conn:
        # Read inside the transaction: a claim this process made before it is in `keep` now.
        kept = sorted(keep)
        spare = f" AND delivery_id NOT IN ({','.join('?' * len(kept))})" if kept else ""
        # Locked in id order, as claims and release_leases lock leases: in heap order a
        # takeover deadlocked against a process handing its leases back.
        lock = " ORDER BY delivery_id FOR UPDATE" if conn.engine == "postgresql" else ""
        cur = await conn.execute(
            "UPDATE delivery_leases SET lease_until = ? WHERE delivery_id IN ("
            "SELECT delivery_id FROM delivery_leases WHERE lease_until > ?"
            + spare
            + lock
            + ") AND lease_until > ?",
            (to_db(now), to_db(now), *kept, to_db(now)),
        )
        return max(cur.rowcount, 0)


async def deliveries_for(db: Database, user_id: int) -> list[Row]:
    return await db.fetchall("SELECT * FROM deliveries WHERE user_id = ? ORDER BY id", (user_id,))


async def upsert_schedules(conn: Tx, rows: Iterable[tuple[int, int, datetime, date]]) -> None:
    """`upsert_schedule` for many (pair, user, due, day) rows in the caller's transaction."""
    await conn.executemany(
        "INSERT INTO schedules (pair_id, user_id, next_due_at, next_day) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (pair_id, user_id) DO UPDATE SET next_due_at = excluded.next_due_at, "
        "next_day = excluded.next_day",
        [(p, u, to_db(due), day.isoformat()) for p, u, due, day in rows],
    )


async def due_backlog(db: Database, now: datetime) -> tuple[int, datetime | None]:
    """How many rows are due and unsent now, and when the oldest of them came due (metrics)."""
    row = await db.fetchone(
        "SELECT count(*), min(due_at) FROM deliveries d "
        f"WHERE status = 'pending' AND due_at <= :now AND {_NOT_LEASED}",
        {"now": to_db(now)},
    )
    if row is None or not row[0]:
        return 0, None
    return int(row[0]), from_db(row[1])
