"""Turning a pair's cadence into each member's next slot, in their own zone and quiet hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.cadence import (
    QuietHours,
    Slot,
    move_out_of_quiet,
    next_slot,
    parse_hhmm,
    parse_zone,
)
from bot.storage.db import Database, Tx
from bot.storage.members import MemberRow, get_members
from bot.storage.outbox import upsert_schedule
from bot.storage.pairs import PairRow, get_pair, resume_due_pauses


def zone_of(member: MemberRow | None, default_zone: str) -> ZoneInfo:
    name = member.timezone if member and member.timezone else default_zone
    try:
        return parse_zone(name)
    except ValueError:
        return parse_zone(default_zone)


def quiet_until(member: MemberRow | None, default_zone: str, now: datetime) -> datetime | None:
    """When a DM may reach this member, if not now (they are inside their quiet hours)."""
    allowed = move_out_of_quiet(now, zone_of(member, default_zone), quiet_of(member))
    return allowed if allowed > now else None


def quiet_of(member: MemberRow | None) -> QuietHours | None:
    if member is None or not member.quiet_start or not member.quiet_end:
        return None
    try:
        return QuietHours(parse_hhmm(member.quiet_start), parse_hhmm(member.quiet_end))
    except ValueError:
        return None


def member_next_slot(
    pair: PairRow, member: MemberRow | None, default_zone: str, after: datetime
) -> Slot:
    return next_slot(
        after,
        parse_hhmm(pair.local_time),
        zone_of(member, default_zone),
        pair.cadence,
        pair.anchor_date,
        quiet_of(member),
    )


async def plan_pair(
    db: Database, pair: PairRow, default_zone: str, after: datetime
) -> dict[int, Slot]:
    members = await get_members(db, list(pair.member_ids))
    return {
        uid: member_next_slot(pair, members.get(uid), default_zone, after)
        for uid in pair.member_ids
    }


async def write_plan(conn: Tx, pair_id: int, plan: dict[int, Slot]) -> None:
    for user_id, slot in plan.items():
        await upsert_schedule(conn, pair_id, user_id, slot.due, slot.day)


async def reschedule_pair(
    db: Database, pair: PairRow, default_zone: str, now: datetime
) -> dict[int, Slot]:
    plan = await plan_pair(db, pair, default_zone, now)
    async with db.transaction() as conn:
        await write_plan(conn, pair.id, plan)
    return plan


@dataclass(frozen=True)
class PausesEnding:
    """The producer that ends pauses whose time has come and plans those pairs' next slots."""

    db: Database
    default_zone: str

    async def resume_due(self, now: datetime) -> None:
        for pair_id in await resume_due_pauses(self.db, now):
            pair = await get_pair(self.db, pair_id)
            if pair is not None:
                await reschedule_pair(self.db, pair, self.default_zone, now)
