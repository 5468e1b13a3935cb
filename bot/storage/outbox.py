"""The outbox: schedules that materialise into deliveries, and the claim/mark cycle.

A delivery is claimed with a lease in one `UPDATE … RETURNING` transaction, sent outside it, then
marked. A crash between claim and mark leaves a lease that expires; the retry reuses the delivery
id as the message nonce, so Discord (and the sandbox) return the first message instead of a copy.
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
# `+id`, not `id`: ordered by the bare rowid, and once `ANALYZE`/`PRAGMA optimize` has given
# SQLite statistics, it satisfies `ORDER BY 1 LIMIT` by walking the whole table in rowid order
# instead of using deliveries_due / deliveries_lease (80 ms per claim at 200,000 rows, growing
# with history). The expression leaves only the index searches plus a small sort.
CLAIM_SQL = """
UPDATE deliveries
SET status = 'sending', lease_until = :lease, attempts = attempts + 1
WHERE id IN (
    SELECT +id FROM deliveries d WHERE status = 'pending' AND due_at <= :now AND {which}
    UNION ALL
    SELECT +id FROM deliveries d WHERE status = 'sending' AND lease_until <= :now AND {which}
    ORDER BY 1
    LIMIT :limit
)
RETURNING id, dedupe_key, user_id, channel_id, pair_id, instance_id, kind, payload, due_at,
          stale_after, attempts, lease_until
"""

# PostgreSQL, where several processes claim from one table: each takes rows no other claim holds
# (`SKIP LOCKED`), so two senders never lease the same row and neither waits for the other. An
# expired lease is taken over like a due row: its process died or stalled mid-send. The members'
# DM channels come back with the rows (`_members_of` in the same statement): a second query
# listing a thousand ids would cost a round trip and a fresh plan for every new list length.
CLAIM_SQL_POSTGRES = """
WITH claimed AS (
    UPDATE deliveries
    SET status = 'sending', lease_until = :lease, attempts = attempts + 1
    WHERE id IN (
        SELECT id FROM deliveries d
        WHERE ((status = 'pending' AND due_at <= :now)
               OR (status = 'sending' AND lease_until <= :now))
          AND {which}
        ORDER BY id
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id, dedupe_key, user_id, channel_id, pair_id, instance_id, kind, payload, due_at,
              stale_after, attempts, lease_until
)
SELECT claimed.*, m.dm_channel_id AS member_channel_id,
       m.unreachable_since IS NOT NULL AS member_unreachable
FROM claimed LEFT JOIN members m ON m.user_id = claimed.user_id
"""

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
    claim = CLAIM_SQL_POSTGRES if db.engine == "postgresql" else CLAIM_SQL
    sql = claim.format(which=_WHICH[known_channel])
    async with db.transaction() as conn:
        cur = await conn.execute(
            sql, {"now": to_db(now), "lease": to_db(lease_until), "limit": limit}
        )
        rows = list(await cur.fetchall())
        if conn.engine == "postgresql":
            members = {
                int(r["user_id"]): (r["member_channel_id"], bool(r["member_unreachable"]))
                for r in rows
                if r["user_id"] is not None and r["member_unreachable"] is not None
            }
        else:
            members = await _members_of(conn, rows)
    return [_claimed(r, members) for r in sorted(rows, key=lambda r: (r["due_at"], r["id"]))]


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
        cur = await conn.execute(
            "UPDATE deliveries SET status = 'sending', lease_until = ?, attempts = attempts + 1 "
            "WHERE id = ? AND status = 'pending' RETURNING id, dedupe_key, user_id, channel_id, "
            "pair_id, instance_id, kind, payload, due_at, stale_after, attempts, lease_until",
            (to_db(lease_until), delivery_id),
        )
        row = await cur.fetchone()
        if row is None:
            return None
        members = await _members_of(conn, [row])
    return _claimed(row, members)


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


async def _count(db: Database, sql: str, params: tuple[object, ...]) -> int:
    async with db.transaction() as conn:
        cur = await conn.execute(sql, params)
        return int(cur.rowcount)


# Every mark after a send names the lease it claimed (its expiry and the attempt number, which
# each claim increments): a worker whose lease ran out and was claimed again by another must
# not overwrite what that other worker does with the row.
_HOLDS_LEASE = "id = ? AND status = 'sending' AND lease_until = ? AND attempts = ?"


def _lease_of(c: Claimed) -> tuple[object, ...]:
    return (c.id, c.lease, c.attempts)


async def mark_sent(db: Database, c: Claimed, message_id: int, now: datetime) -> bool:
    """Record the send; False when the lease was lost (someone else owns the row now)."""
    changed = await _count(
        db,
        "UPDATE deliveries SET status = 'sent', message_id = ?, sent_at = ?, lease_until = NULL, "
        f"last_error = NULL WHERE {_HOLDS_LEASE}",
        (message_id, to_db(now), *_lease_of(c)),
    )
    return changed > 0


async def mark_retry(db: Database, c: Claimed, error: str, retry_at: datetime) -> bool:
    changed = await _count(
        db,
        "UPDATE deliveries SET status = 'pending', due_at = ?, lease_until = NULL, last_error = ? "
        f"WHERE {_HOLDS_LEASE}",
        (to_db(retry_at), error[:500], *_lease_of(c)),
    )
    return changed > 0


async def mark_final(db: Database, c: Claimed, status: DeliveryStatus, error: str | None) -> bool:
    changed = await _count(
        db,
        "UPDATE deliveries SET status = ?, lease_until = NULL, last_error = ? "
        f"WHERE {_HOLDS_LEASE}",
        (status, error[:500] if error else None, *_lease_of(c)),
    )
    return changed > 0


QUIET_WAIT = "quiet hours"


async def wait_out_quiet(
    db: Database, c: Claimed, until: datetime, stale_after: datetime | None
) -> bool:
    """Hand a claimed DM back until the member's quiet hours end (not an attempt)."""
    changed = await _count(
        db,
        "UPDATE deliveries SET status = 'pending', due_at = ?, stale_after = ?, "
        f"lease_until = NULL, attempts = {_GIVE_BACK_ATTEMPT}, last_error = ? "
        f"WHERE {_HOLDS_LEASE}",
        (to_db(until), to_db(stale_after) if stale_after else None, QUIET_WAIT, *_lease_of(c)),
    )
    return changed > 0


async def retime_quiet_waits(db: Database, user_id: int, now: datetime) -> int:
    """Quiet hours changed: what waited for the old window is due now, to be checked again."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE deliveries SET due_at = ? WHERE user_id = ? AND status = 'pending' "
            "AND last_error = ? AND due_at > ?",
            (to_db(now), user_id, QUIET_WAIT, to_db(now)),
        )
        return max(cur.rowcount, 0)


# A claim counted an attempt; handing the row back unsent takes it back (never below zero).
_GIVE_BACK_ATTEMPT = "CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END"


async def release_leases(db: Database, ids: Iterable[int]) -> None:
    """Hand claimed-but-unsent rows back (shutdown): they go out on the next start."""
    await db.executemany(
        "UPDATE deliveries SET status = 'pending', lease_until = NULL, "
        f"attempts = {_GIVE_BACK_ATTEMPT} WHERE id = ? AND status = 'sending'",
        [(i,) for i in ids],
    )


async def take_over_leases(db: Database, now: datetime, keep: Collection[int] = ()) -> int:
    """End every lease now but those of `keep` (this process's own sends in flight), so the next
    claim takes those rows (a new sender, PostgreSQL).

    The process that sent before is gone: its claimed rows would otherwise wait out LEASE.
    A row another live process is sending at that moment (a `send_now`) may go out twice, with
    the same nonce, which Discord answers with the first message; the stale sender's mark then
    fails its lease check. Returns the rows taken over."""
    async with db.transaction() as conn:
        # Read inside the transaction: a claim this process made before it is in `keep` now.
        kept = sorted(keep)
        spare = f" AND id NOT IN ({','.join('?' * len(kept))})" if kept else ""
        cur = await conn.execute(
            "UPDATE deliveries SET lease_until = ? WHERE status = 'sending' AND lease_until > ?"
            + spare,
            (to_db(now), to_db(now), *kept),
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
        "SELECT count(*), min(due_at) FROM deliveries WHERE status = 'pending' AND due_at <= ?",
        (to_db(now),),
    )
    if row is None or not row[0]:
        return 0, None
    return int(row[0]), from_db(row[1])
