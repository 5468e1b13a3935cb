"""SQL for following up: nudges, activity check-ins, a member's pace, and their history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.models import InstanceStatus, MemberState, Pace
from bot.storage.db import Database, Tx
from bot.storage.timecodec import from_db, to_db

# Nudges ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NudgeCandidate:
    instance_id: int
    pair_id: int
    user_id: int


async def nudge_candidates(
    db: Database, sent_before: datetime, sent_after: datetime, limit: int
) -> list[NudgeCandidate]:
    """Members still open on a question delivered to them in (sent_after, sent_before], never
    nudged for it, in an active pair, not held, and with no "Later" copy on its way."""
    rows = await db.fetchall(
        "SELECT im.instance_id, i.pair_id, im.user_id FROM instance_members im "
        "JOIN prompt_instances i ON i.id = im.instance_id "
        "JOIN pairs p ON p.id = i.pair_id "
        "JOIN pair_members pm ON pm.pair_id = i.pair_id AND pm.user_id = im.user_id "
        "WHERE im.state = 'open' AND im.nudged_at IS NULL AND i.status = 'open' "
        "AND i.kind = 'question' AND p.status = 'active' AND pm.pace != 'held' "
        "AND EXISTS (SELECT 1 FROM deliveries d WHERE d.instance_id = i.id "
        "AND d.user_id = im.user_id AND d.kind = 'prompt' AND d.status = 'sent' "
        "AND d.sent_at <= ? AND d.sent_at > ?) "
        "AND NOT EXISTS (SELECT 1 FROM deliveries l WHERE l.instance_id = i.id "
        "AND l.user_id = im.user_id AND l.kind = 'later' AND l.status = 'pending') "
        "ORDER BY im.instance_id, im.user_id LIMIT ?",
        (to_db(sent_before), to_db(sent_after), limit),
    )
    return [NudgeCandidate(int(r[0]), int(r[1]), int(r[2])) for r in rows]


async def mark_nudged(conn: Tx, instance_id: int, user_id: int, now: datetime) -> bool:
    """Claim the one nudge for this member and instance; False if it was already taken."""
    cur = await conn.execute(
        "UPDATE instance_members SET nudged_at = ? "
        "WHERE instance_id = ? AND user_id = ? AND nudged_at IS NULL",
        (to_db(now), instance_id, user_id),
    )
    return cur.rowcount > 0


# Activity check-ins ------------------------------------------------------------------------


async def activities_without_checkin(db: Database, since: datetime) -> list[int]:
    """Recent activity instances of active pairs that have no check-in instance yet."""
    rows = await db.fetchall(
        "SELECT i.id FROM prompt_instances i JOIN pairs p ON p.id = i.pair_id "
        "WHERE i.kind = 'activity' AND i.created_at >= ? AND p.status = 'active' "
        "AND NOT EXISTS (SELECT 1 FROM prompt_instances c WHERE c.pair_id = i.pair_id "
        "AND c.slot_key = 'checkin:' || i.id) ORDER BY i.id",
        (to_db(since),),
    )
    return [int(r[0]) for r in rows]


async def prompt_deliveries_of(db: Database, instance_id: int) -> dict[int, datetime]:
    """Who was (or is about to be) sent this instance's prompt, and when it was due."""
    rows = await db.fetchall(
        "SELECT user_id, due_at FROM deliveries WHERE instance_id = ? AND kind = 'prompt' "
        "AND user_id IS NOT NULL AND status IN ('pending', 'sent')",
        (instance_id,),
    )
    return {int(r[0]): from_db(r[1]) for r in rows}


# Pace --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaceRow:
    pace: Pace
    asked_at: datetime | None
    changed_at: datetime | None


async def pace_of(db: Database, pair_id: int, user_id: int) -> PaceRow | None:
    row = await db.fetchone(
        "SELECT pace, pace_asked_at, pace_changed_at FROM pair_members "
        "WHERE pair_id = ? AND user_id = ?",
        (pair_id, user_id),
    )
    if row is None:
        return None
    return PaceRow(
        Pace(row[0]),
        from_db(row[1]) if row[1] else None,
        from_db(row[2]) if row[2] else None,
    )


async def set_pace(conn: Tx, pair_id: int, user_id: int, pace: Pace, now: datetime) -> None:
    await conn.execute(
        "UPDATE pair_members SET pace = ?, pace_changed_at = ? WHERE pair_id = ? AND user_id = ?",
        (pace, to_db(now), pair_id, user_id),
    )


async def hold(conn: Tx, pair_id: int, user_id: int, now: datetime) -> bool:
    """Hold a member's prompts and note that we asked; False if they were not at normal pace."""
    cur = await conn.execute(
        "UPDATE pair_members SET pace = 'held', pace_asked_at = ? "
        "WHERE pair_id = ? AND user_id = ? AND pace = 'normal'",
        (to_db(now), pair_id, user_id),
    )
    return cur.rowcount > 0


async def recent_prompt_states(
    db: Database, pair_id: int, user_id: int, since: datetime | None, limit: int
) -> list[str]:
    """This member's state on the last `limit` prompts delivered to them in the pair (newest
    first), counting only deliveries after `since`. A prompt the pair skipped with /prompt skip
    reads 'closed': nobody was left waiting on it."""
    rows = await db.fetchall(
        "SELECT CASE WHEN i.status = 'skipped' THEN 'closed' ELSE im.state END "
        "FROM deliveries d JOIN prompt_instances i ON i.id = d.instance_id "
        "JOIN instance_members im ON im.instance_id = i.id AND im.user_id = d.user_id "
        "WHERE d.pair_id = ? AND d.user_id = ? AND d.kind = 'prompt' AND d.status = 'sent' "
        "AND d.sent_at > ? ORDER BY d.sent_at DESC, d.id DESC LIMIT ?",
        (pair_id, user_id, to_db(since) if since else "", limit),
    )
    return [str(r[0]) for r in rows]


async def last_prompt_due(db: Database, pair_id: int, user_id: int) -> datetime | None:
    value = await db.fetchval(
        "SELECT max(due_at) FROM deliveries WHERE pair_id = ? AND user_id = ? AND kind = 'prompt' "
        "AND status IN ('pending', 'sent')",
        (pair_id, user_id),
    )
    return from_db(value) if value else None


async def unanswered_asks(db: Database, asked_before: datetime) -> list[tuple[int, int]]:
    """(pair, member) still held after being asked before `asked_before`, in live pairs."""
    rows = await db.fetchall(
        "SELECT pm.pair_id, pm.user_id FROM pair_members pm JOIN pairs p ON p.id = pm.pair_id "
        "WHERE pm.pace = 'held' AND pm.pace_asked_at <= ? AND p.status != 'ended' "
        "ORDER BY pm.pair_id, pm.user_id",
        (to_db(asked_before),),
    )
    return [(int(r[0]), int(r[1])) for r in rows]


# Depth offers ------------------------------------------------------------------------------


async def revealed_prompt_ids(db: Database, pair_id: int) -> list[str]:
    rows = await db.fetchall(
        "SELECT prompt_id FROM prompt_instances WHERE pair_id = ? AND status = 'revealed'",
        (pair_id,),
    )
    return [str(r[0]) for r in rows]


# History -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryRow:
    instance_id: int
    pair_id: int
    prompt_id: str
    text: str | None
    kind: str
    status: InstanceStatus
    created_at: datetime
    my_state: MemberState


# Only prompts actually delivered to the member, in pairs they are (still) a member of.
_MINE = (
    "FROM instance_members im JOIN prompt_instances i ON i.id = im.instance_id "
    "JOIN pair_members pm ON pm.pair_id = i.pair_id AND pm.user_id = im.user_id "
    "WHERE im.user_id = :uid AND EXISTS (SELECT 1 FROM deliveries d WHERE d.instance_id = i.id "
    "AND d.user_id = :uid AND d.kind = 'prompt' AND d.status = 'sent')"
)


async def count_history(db: Database, user_id: int) -> int:
    value = await db.fetchval(f"SELECT count(*) {_MINE}", {"uid": user_id})
    return int(value or 0)


async def history_page(db: Database, user_id: int, limit: int, offset: int) -> list[HistoryRow]:
    rows = await db.fetchall(
        "SELECT i.id, i.pair_id, i.prompt_id, i.text, i.kind, i.status, i.created_at, "
        f"im.state {_MINE} ORDER BY i.id DESC LIMIT :limit OFFSET :offset",
        {"uid": user_id, "limit": limit, "offset": offset},
    )
    return [
        HistoryRow(
            instance_id=int(r[0]),
            pair_id=int(r[1]),
            prompt_id=str(r[2]),
            text=r[3],
            kind=str(r[4]),
            status=InstanceStatus(r[5]),
            created_at=from_db(r[6]),
            my_state=MemberState(r[7]),
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class HistoryAnswer:
    instance_id: int
    user_id: int
    name: str
    text: str
    feeling: str | None
    guess: str | None = None
    why: str | None = None


async def readable_answers(
    db: Database, user_id: int, instance_ids: list[int]
) -> list[HistoryAnswer]:
    """The answers this member may read for these instances: their own; a partner's only when
    it was revealed to them (both answered and the instance revealed), or shared with them.

    Mirrors `AnswerService._reveal`: a partner who answered and then skipped was never revealed,
    and a member who skipped was never sent anyone's answer, so neither shows here.
    """
    if not instance_ids:
        return []
    marks = ",".join("?" * len(instance_ids))
    rows = await db.fetchall(
        "SELECT a.instance_id, a.user_id, COALESCE(m.display_name, ''), a.text, a.feeling, "
        "a.guess, a.why "
        "FROM answers a JOIN prompt_instances i ON i.id = a.instance_id "
        "JOIN instance_members author ON author.instance_id = a.instance_id "
        "AND author.user_id = a.user_id "
        "JOIN instance_members me ON me.instance_id = a.instance_id AND me.user_id = ? "
        "JOIN pair_members pm ON pm.pair_id = i.pair_id AND pm.user_id = ? "
        "LEFT JOIN members m ON m.user_id = a.user_id "
        f"WHERE a.instance_id IN ({marks}) AND (a.user_id = ? "
        "OR (i.status = 'revealed' AND me.state = 'answered' AND author.state = 'answered') "
        "OR (i.kind = 'reflection' AND a.shared = 1)) "
        "ORDER BY a.instance_id DESC, a.user_id != ?, a.id",
        (user_id, user_id, *instance_ids, user_id, user_id),
    )
    return [
        HistoryAnswer(
            int(r[0]), int(r[1]), str(r[2]) or "your partner", str(r[3]), r[4], r[5], r[6]
        )
        for r in rows
    ]


async def quiet_candidates(
    db: Database, keys: list[tuple[int, int]], missed: int
) -> set[tuple[int, int]]:
    """Of these (pair, member), the ones whose slot `hold` might hold back: a pace other than
    normal, or their last `missed` prompts since the pace last changed all still open. The same
    reading as `pace_of` + `recent_prompt_states`, for a batch in two queries."""
    if not keys:
        return set()
    pair_ids = sorted({p for p, _ in keys})
    user_ids = sorted({u for _, u in keys})
    wanted = set(keys)
    rows = await db.fetchall(
        "SELECT pair_id, user_id, pace, pace_changed_at FROM pair_members "
        f"WHERE pair_id IN ({','.join('?' * len(pair_ids))})",
        tuple(pair_ids),
    )
    since: dict[tuple[int, int], str] = {}
    out: set[tuple[int, int]] = set()
    for r in rows:
        key = (int(r[0]), int(r[1]))
        if key not in wanted:
            continue
        if r[2] != Pace.NORMAL:
            out.add(key)
        else:
            since[key] = str(r[3] or "")
    if not since:
        return out
    rows = await db.fetchall(
        "SELECT pair_id, user_id, state FROM ("
        "SELECT d.pair_id, d.user_id, d.sent_at, "
        "CASE WHEN i.status = 'skipped' THEN 'closed' ELSE im.state END AS state, "
        "row_number() OVER (PARTITION BY d.pair_id, d.user_id "
        "ORDER BY d.sent_at DESC, d.id DESC) AS n "
        "FROM deliveries d JOIN prompt_instances i ON i.id = d.instance_id "
        "JOIN instance_members im ON im.instance_id = i.id AND im.user_id = d.user_id "
        "JOIN pair_members pm ON pm.pair_id = d.pair_id AND pm.user_id = d.user_id "
        # `+`: look the members' rows up by user, not every sent delivery up by status.
        f"WHERE d.user_id IN ({','.join('?' * len(user_ids))}) AND +d.kind = 'prompt' "
        "AND +d.status = 'sent' AND d.sent_at > COALESCE(pm.pace_changed_at, '')"
        ") AS recent WHERE n <= ?",
        (*user_ids, missed),
    )
    states: dict[tuple[int, int], list[str]] = {}
    for r in rows:
        key = (int(r[0]), int(r[1]))
        if key in since:
            states.setdefault(key, []).append(str(r[2]))
    out.update(
        key
        for key, seen in states.items()
        if len(seen) >= missed and all(s == MemberState.OPEN for s in seen)
    )
    return out
