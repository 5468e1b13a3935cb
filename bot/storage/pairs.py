"""Pairs (couples and circle groups), their members, muted topics, depth votes and invites."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.core.models import (
    Cadence,
    Category,
    Depth,
    InviteStatus,
    PairKind,
    PairState,
    Relationship,
)
from bot.storage.db import Database, Row, Tx, new_id
from bot.storage.timecodec import from_db, to_db


@dataclass(frozen=True, slots=True)
class PairRow:
    id: int
    guild_id: int
    kind: PairKind
    circle_id: int | None
    local_time: str
    cadence: Cadence
    anchor_date: date
    depth: Depth
    status: PairState
    paused_until: datetime | None
    seed: int
    created_at: datetime
    member_ids: tuple[int, ...]
    relationship: Relationship = Relationship.PARTNERS
    proposed_relationship: Relationship | None = None
    proposed_by: int | None = None

    @property
    def active(self) -> bool:
        return self.status == PairState.ACTIVE

    def partners_of(self, user_id: int) -> tuple[int, ...]:
        return tuple(m for m in self.member_ids if m != user_id)


@dataclass(frozen=True, slots=True)
class InviteRow:
    id: int
    guild_id: int
    inviter_id: int
    invitee_id: int
    local_time: str
    cadence: Cadence
    status: InviteStatus
    expires_at: datetime
    pair_id: int | None
    relationship: Relationship = Relationship.PARTNERS


_PAIR_COLUMNS = (
    "p.id, p.guild_id, p.kind, p.circle_id, p.local_time, p.cadence, p.anchor_date, p.depth, "
    "p.status, p.paused_until, p.seed, p.created_at, p.relationship, p.proposed_relationship, "
    "p.proposed_by, "
    "(SELECT group_concat(user_id) FROM pair_members pm WHERE pm.pair_id = p.id) AS members"
)


def _pair(row: Row) -> PairRow:
    members = str(row["members"] or "")
    return PairRow(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        kind=PairKind(row["kind"]),
        circle_id=row["circle_id"],
        local_time=str(row["local_time"]),
        cadence=Cadence(row["cadence"]),
        anchor_date=date.fromisoformat(row["anchor_date"]),
        depth=Depth(row["depth"]),
        status=PairState(row["status"]),
        paused_until=from_db(row["paused_until"]) if row["paused_until"] else None,
        seed=int(row["seed"]),
        created_at=from_db(row["created_at"]),
        member_ids=tuple(sorted(int(m) for m in members.split(",") if m)),
        relationship=Relationship(row["relationship"]),
        proposed_relationship=(
            Relationship(row["proposed_relationship"]) if row["proposed_relationship"] else None
        ),
        proposed_by=row["proposed_by"],
    )


def _invite(row: Row) -> InviteRow:
    return InviteRow(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        inviter_id=int(row["inviter_id"]),
        invitee_id=int(row["invitee_id"]),
        local_time=str(row["local_time"]),
        cadence=Cadence(row["cadence"]),
        status=InviteStatus(row["status"]),
        expires_at=from_db(row["expires_at"]),
        pair_id=row["pair_id"],
        relationship=Relationship(row["relationship"]),
    )


async def insert_pair(
    conn: Tx,
    *,
    guild_id: int,
    kind: PairKind,
    member_ids: tuple[int, ...],
    local_time: str,
    cadence: Cadence,
    anchor: date,
    seed: int,
    now: datetime,
    circle_id: int | None = None,
    round_id: int | None = None,
    relationship: Relationship | None = None,
) -> int:
    """Insert a pair inside the caller's transaction (pairs are born with other rows)."""
    if relationship is None:
        relationship = Relationship.CIRCLE if kind is PairKind.CIRCLE else Relationship.PARTNERS
    cur = await conn.execute(
        "INSERT INTO pairs (guild_id, kind, relationship, circle_id, round_id, local_time, "
        "cadence, anchor_date, seed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "RETURNING id",
        (
            guild_id,
            kind.value,
            relationship.value,
            circle_id,
            round_id,
            local_time,
            cadence.value,
            anchor.isoformat(),
            seed,
            to_db(now),
        ),
    )
    pair_id = await new_id(cur)
    await conn.executemany(
        "INSERT INTO pair_members (pair_id, user_id) VALUES (?, ?)",
        [(pair_id, m) for m in member_ids],
    )
    return pair_id


async def get_pair(db: Database, pair_id: int) -> PairRow | None:
    row = await db.fetchone(f"SELECT {_PAIR_COLUMNS} FROM pairs p WHERE p.id = ?", (pair_id,))
    return _pair(row) if row is not None else None


async def get_pair_in(conn: Tx, pair_id: int) -> PairRow | None:
    """A pair as the caller's transaction sees it (e.g. just inserted, not yet committed)."""
    cur = await conn.execute(f"SELECT {_PAIR_COLUMNS} FROM pairs p WHERE p.id = ?", (pair_id,))
    row = await cur.fetchone()
    return _pair(row) if row is not None else None


async def live_pairs_of(db: Database, user_id: int, guild_id: int | None = None) -> list[PairRow]:
    """Pairs (active or paused) this member is in, couple first, newest first."""
    sql = (
        f"SELECT {_PAIR_COLUMNS} FROM pairs p JOIN pair_members me ON me.pair_id = p.id "
        "WHERE me.user_id = ? AND p.status != 'ended'"
    )
    params: list[object] = [user_id]
    if guild_id is not None:
        sql += " AND p.guild_id = ?"
        params.append(guild_id)
    sql += " ORDER BY p.kind = 'couple' DESC, p.id DESC"
    return [_pair(r) for r in await db.fetchall(sql, params)]


async def couple_of(db: Database, guild_id: int, user_id: int) -> PairRow | None:
    for pair in await live_pairs_of(db, user_id, guild_id):
        if pair.kind is PairKind.COUPLE:
            return pair
    return None


async def set_status(
    db: Database,
    pair_id: int,
    status: PairState,
    now: datetime,
    paused_until: datetime | None = None,
    paused_by: int | None = None,
) -> bool:
    async with db.transaction() as conn:
        return await set_status_in(conn, pair_id, status, now, paused_until, paused_by)


async def set_status_in(
    conn: Tx,
    pair_id: int,
    status: PairState,
    now: datetime,
    paused_until: datetime | None = None,
    paused_by: int | None = None,
) -> bool:
    """Change a live pair's status inside the caller's transaction; False if it had ended (an
    ended pair never comes back)."""
    cur = await conn.execute(
        "UPDATE pairs SET status = ?, paused_until = ?, paused_by = ?, "
        "ended_at = CASE WHEN ? = 'ended' THEN ? ELSE ended_at END "
        "WHERE id = ? AND status != 'ended'",
        (
            status,
            to_db(paused_until) if paused_until else None,
            paused_by if status == PairState.PAUSED else None,
            status,
            to_db(now),
            pair_id,
        ),
    )
    if cur.rowcount == 0:
        return False
    if status == PairState.ENDED:
        # An ended pair sends nothing more, not even what was already queued.
        await conn.execute(
            "UPDATE deliveries SET status = 'skipped', last_error = 'pair ended' "
            "WHERE pair_id = ? AND status = 'pending'",
            (pair_id,),
        )
        await conn.execute("DELETE FROM schedules WHERE pair_id = ?", (pair_id,))
    return True


async def resume_due_pauses(db: Database, now: datetime) -> list[int]:
    """Pauses whose end has come: make those pairs active again. Returns their ids."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE pairs SET status = 'active', paused_until = NULL, paused_by = NULL "
            "WHERE status = 'paused' AND paused_until IS NOT NULL AND paused_until <= ? "
            "RETURNING id",
            (to_db(now),),
        )
        return [int(r[0]) for r in await cur.fetchall()]


async def set_schedule(
    db: Database, pair_id: int, local_time: str, cadence: Cadence, anchor: date
) -> None:
    await db.execute(
        "UPDATE pairs SET local_time = ?, cadence = ?, anchor_date = ? WHERE id = ?",
        (local_time, cadence.value, anchor.isoformat(), pair_id),
    )


async def set_depth(db: Database, pair_id: int, depth: Depth) -> None:
    async with db.transaction() as conn:
        await conn.execute("UPDATE pairs SET depth = ? WHERE id = ?", (depth.value, pair_id))
        # Votes for a tier the pair is no longer below are moot.
        await conn.execute("DELETE FROM depth_votes WHERE pair_id = ?", (pair_id,))


async def vote_deeper(
    db: Database, pair_id: int, user_id: int, depth: Depth, now: datetime
) -> set[int]:
    """Record a member's yes to `depth`; returns everyone who has said yes to it so far."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO depth_votes (pair_id, user_id, depth, created_at, answer) "
            "VALUES (?, ?, ?, ?, 'yes') ON CONFLICT (pair_id, user_id, depth) "
            "DO UPDATE SET answer = 'yes', created_at = excluded.created_at "
            "WHERE depth_votes.answer != 'yes'",
            (pair_id, user_id, depth.value, to_db(now)),
        )
        cur = await conn.execute(
            "SELECT user_id FROM depth_votes WHERE pair_id = ? AND depth = ? AND answer = 'yes'",
            (pair_id, depth.value),
        )
        return {int(r[0]) for r in await cur.fetchall()}


async def not_yet_deeper(
    db: Database, pair_id: int, user_id: int, depth: Depth, now: datetime
) -> None:
    """Record "Not yet" to `depth` (replacing an earlier answer), timed so the offer can return."""
    await db.execute(
        "INSERT INTO depth_votes (pair_id, user_id, depth, created_at, answer) "
        "VALUES (?, ?, ?, ?, 'not_yet') ON CONFLICT (pair_id, user_id, depth) "
        "DO UPDATE SET answer = 'not_yet', created_at = excluded.created_at",
        (pair_id, user_id, depth.value, to_db(now)),
    )


async def depth_answers(
    db: Database, pair_id: int, depth: Depth
) -> dict[int, tuple[str, datetime]]:
    """Each member's answer to the offer of `depth` so far: ('yes' | 'not_yet', when)."""
    rows = await db.fetchall(
        "SELECT user_id, answer, created_at FROM depth_votes WHERE pair_id = ? AND depth = ?",
        (pair_id, depth.value),
    )
    return {int(r[0]): (str(r[1]), from_db(r[2])) for r in rows}


# Relationship kinds ------------------------------------------------------------------------
async def propose_relationship(
    db: Database, pair_id: int, relationship: Relationship, proposed_by: int
) -> None:
    """A new proposal replaces any earlier one still waiting."""
    await db.execute(
        "UPDATE pairs SET proposed_relationship = ?, proposed_by = ? WHERE id = ?",
        (relationship.value, proposed_by, pair_id),
    )


async def settle_proposal(
    db: Database, pair_id: int, relationship: Relationship, proposed_by: int, accept: bool
) -> bool:
    """Accept or decline the waiting proposal, if it is still this one; False otherwise."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE pairs SET proposed_relationship = NULL, proposed_by = NULL, "
            "relationship = CASE WHEN ? = 1 THEN proposed_relationship ELSE relationship END "
            "WHERE id = ? AND proposed_relationship = ? AND proposed_by = ? "
            "AND status != 'ended'",
            (1 if accept else 0, pair_id, relationship.value, proposed_by),
        )
        return cur.rowcount > 0


async def muted_topics(db: Database, pair_id: int) -> frozenset[Category]:
    rows = await db.fetchall("SELECT category FROM pair_muted_topics WHERE pair_id = ?", (pair_id,))
    return frozenset(Category(r[0]) for r in rows)


async def set_topic_muted(db: Database, pair_id: int, category: Category, muted: bool) -> bool:
    """Returns whether anything changed."""
    async with db.transaction() as conn:
        if muted:
            cur = await conn.execute(
                "INSERT OR IGNORE INTO pair_muted_topics (pair_id, category) VALUES (?, ?)",
                (pair_id, category.value),
            )
        else:
            cur = await conn.execute(
                "DELETE FROM pair_muted_topics WHERE pair_id = ? AND category = ?",
                (pair_id, category.value),
            )
        return cur.rowcount > 0


# Invites -----------------------------------------------------------------------------------
async def pending_invite_between(
    db: Database, guild_id: int, inviter_id: int, invitee_id: int, now: datetime
) -> InviteRow | None:
    row = await db.fetchone(
        "SELECT * FROM invites WHERE guild_id = ? AND status = 'pending' AND expires_at > ? "
        "AND ((inviter_id = ? AND invitee_id = ?) OR (inviter_id = ? AND invitee_id = ?))",
        (guild_id, to_db(now), inviter_id, invitee_id, invitee_id, inviter_id),
    )
    return _invite(row) if row is not None else None


async def create_invite(
    conn: Tx,
    *,
    guild_id: int,
    inviter_id: int,
    invitee_id: int,
    local_time: str,
    cadence: Cadence,
    now: datetime,
    expires_at: datetime,
    relationship: Relationship = Relationship.PARTNERS,
) -> int:
    """A new invite, inside the caller's transaction (with its DM)."""
    # An expired invite still marked pending would block the unique index; settle it first.
    await conn.execute(
        "UPDATE invites SET status = 'expired' WHERE status = 'pending' AND expires_at <= ?",
        (to_db(now),),
    )
    cur = await conn.execute(
        "INSERT INTO invites (guild_id, inviter_id, invitee_id, local_time, cadence, "
        "created_at, expires_at, relationship) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            guild_id,
            inviter_id,
            invitee_id,
            local_time,
            cadence.value,
            to_db(now),
            to_db(expires_at),
            relationship.value,
        ),
    )
    return await new_id(cur)


async def declined_since(
    db: Database, guild_id: int, inviter_id: int, invitee_id: int, since: datetime
) -> datetime | None:
    """When this member last declined an invite from this inviter here, if after `since`."""
    value = await db.fetchval(
        "SELECT max(decided_at) FROM invites WHERE guild_id = ? AND inviter_id = ? "
        "AND invitee_id = ? AND status = 'declined' AND decided_at > ?",
        (guild_id, inviter_id, invitee_id, to_db(since)),
    )
    return from_db(value) if value else None


async def pending_invites_by(db: Database, inviter_id: int, now: datetime) -> list[datetime]:
    """Expiry times of the invites this member sent that are still waiting, soonest first."""
    rows = await db.fetchall(
        "SELECT expires_at FROM invites WHERE inviter_id = ? AND status = 'pending' "
        "AND expires_at > ? ORDER BY expires_at",
        (inviter_id, to_db(now)),
    )
    return [from_db(r[0]) for r in rows]


async def get_invite(db: Database, invite_id: int) -> InviteRow | None:
    row = await db.fetchone("SELECT * FROM invites WHERE id = ?", (invite_id,))
    return _invite(row) if row is not None else None


async def cancel_pending_invite(conn: Tx, invite_id: int) -> bool:
    """Cancel the invite if it still waits for an answer; False when it did not."""
    cur = await conn.execute(
        "UPDATE invites SET status = 'cancelled' WHERE id = ? AND status = 'pending'", (invite_id,)
    )
    return cur.rowcount > 0


async def decide_invite(
    conn: Tx,
    invite_id: int,
    status: InviteStatus,
    now: datetime,
    pair_id: int | None = None,
) -> bool:
    """Settle a pending invite inside the caller's transaction; False if it was not pending."""
    cur = await conn.execute(
        "UPDATE invites SET status = ?, decided_at = ?, pair_id = ? "
        "WHERE id = ? AND status = 'pending'",
        (status, to_db(now), pair_id, invite_id),
    )
    return cur.rowcount > 0


async def has_live_couple(conn: Tx, guild_id: int, user_id: int) -> bool:
    cur = await conn.execute(
        "SELECT 1 FROM pairs p JOIN pair_members pm ON pm.pair_id = p.id "
        "WHERE p.guild_id = ? AND pm.user_id = ? AND p.kind = 'couple' AND p.status != 'ended'",
        (guild_id, user_id),
    )
    return await cur.fetchone() is not None


async def get_pairs(db: Database, pair_ids: list[int]) -> dict[int, PairRow]:
    """Several pairs in one query (materialising a batch of due slots)."""
    if not pair_ids:
        return {}
    marks = ",".join("?" * len(pair_ids))
    rows = await db.fetchall(
        f"SELECT {_PAIR_COLUMNS} FROM pairs p WHERE p.id IN ({marks})", tuple(pair_ids)
    )
    return {int(r["id"]): _pair(r) for r in rows}


async def muted_topics_of(db: Database, pair_ids: list[int]) -> dict[int, frozenset[Category]]:
    if not pair_ids:
        return {}
    marks = ",".join("?" * len(pair_ids))
    rows = await db.fetchall(
        f"SELECT pair_id, category FROM pair_muted_topics WHERE pair_id IN ({marks})",
        tuple(pair_ids),
    )
    muted: dict[int, set[Category]] = {}
    for r in rows:
        muted.setdefault(int(r[0]), set()).add(Category(r[1]))
    return {p: frozenset(c) for p, c in muted.items()}
