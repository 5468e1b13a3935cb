"""Due slots prepared a batch at a time come out exactly as the one-by-one path makes them.

Two databases get the same varied pairs (zones, quiet hours, cadences, muted topics, a paused
and an ended pair, an unreachable member, one who went quiet). One is materialised with the
batch path, the other with every slot one by one; two days later every delivery, instance and
schedule must be the same, key for key and byte for byte.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core.models import Cadence, Category, Library, PairKind
from bot.services.answers import AnswerService
from bot.services.challenges import ChallengeService
from bot.services.followups import FollowUps
from bot.services.materialise import Materialiser
from bot.services.prompting import PlannedDay, Prompting
from bot.services.schedule import reschedule_pair
from bot.storage import followups as followup_store
from bot.storage import members as member_store
from bot.storage import pairs as pair_store
from bot.storage.db import Database
from bot.storage.pairs import PairRow
from bot.storage.sqlite import SqliteDatabase
from tests.shipped import shipped_library

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Adelaide")
CADENCES = (Cadence.DAILY, Cadence.DAILY, Cadence.WEEKDAYS, Cadence.WEEKLY)
TIMES = ("07:30", "09:00", "12:15", "19:00", "21:45")


class OneByOneWeeks:
    """Themed weeks that claim every pair may be in one: nothing is prepared in a batch."""

    def __init__(self, weeks: ChallengeService) -> None:
        self.weeks = weeks

    async def plan_day(self, pair: PairRow, slot_day: date) -> PlannedDay | None:
        return await self.weeks.plan_day(pair, slot_day)

    async def cadence_override(self, pair: PairRow, now: datetime) -> Cadence | None:
        return await self.weeks.cadence_override(pair, now)

    async def pairs_in_weeks(self, pair_ids: list[int]) -> set[int]:
        return set(pair_ids)


class OneByOneQuiet:
    """Going quiet that says any slot may be held: every slot goes one by one."""

    def __init__(self, quiet: FollowUps) -> None:
        self.quiet = quiet

    async def hold(self, pair: PairRow, user_id: int, now: datetime) -> bool:
        return await self.quiet.hold(pair, user_id, now)

    async def may_hold(self, keys: list[tuple[int, int]], now: datetime) -> set[tuple[int, int]]:
        return set(keys)


def wired(db: Database, lib: Library, *, batched: bool) -> Materialiser:
    prompting = Prompting(db, lib, "UTC")

    def now() -> datetime:
        return START

    def wake() -> None:
        return None

    answers = AnswerService(db, lib, prompting, now, wake)
    followups = FollowUps(db, lib, prompting, "UTC", timedelta(hours=20), now, wake)
    challenges = ChallengeService(db, lib, prompting, answers, "UTC", now, wake)
    if batched:
        return Materialiser(prompting, weeks=challenges, quiet=followups, after_held=None)
    return Materialiser(
        prompting,
        weeks=OneByOneWeeks(challenges),
        quiet=OneByOneQuiet(followups),
        after_held=None,
    )


async def seed(db: Database) -> None:
    for n in range(40):
        a, b = 1000 + 2 * n, 1001 + 2 * n
        for uid in (a, b):
            await member_store.upsert_member(db, uid, f"m{uid}", START)
            await member_store.set_timezone(db, uid, ZONES[uid % len(ZONES)], START)
        if n % 7 == 3:
            await member_store.set_quiet_hours(db, a, "22:00", "08:00", START)
        async with db.transaction() as conn:
            pair_id = await pair_store.insert_pair(
                conn,
                guild_id=1,
                kind=PairKind.COUPLE if n % 5 else PairKind.CIRCLE,
                member_ids=(a, b),
                local_time=TIMES[n % len(TIMES)],
                cadence=CADENCES[n % len(CADENCES)],
                anchor=(START - timedelta(days=n % 9)).date(),
                seed=n,
                now=START,
            )
            if n == 11:
                await followup_store.set_pace(conn, pair_id, b, "held", START)
            if n == 12:
                await followup_store.set_pace(conn, pair_id, a, "weekly", START)
        if n % 6 == 1:
            await pair_store.set_topic_muted(db, pair_id, Category.GRATITUDE, True)
        pair = await pair_store.get_pair(db, pair_id)
        assert pair is not None
        await reschedule_pair(db, pair, "UTC", START)
        if n == 5:
            await pair_store.set_status(db, pair_id, "paused", START, START + timedelta(days=1))
        if n == 6:
            await pair_store.set_status(db, pair_id, "ended", START)
        if n == 7:
            await member_store.mark_unreachable(db, b, START)


async def outcome(db: Database) -> dict[str, Any]:
    """The tables, with instance ids (which follow creation order) named by (pair, slot)."""
    slot_of = {
        int(r[0]): f"{r[1]}:{r[2]}"
        for r in await db.fetchall("SELECT id, pair_id, slot_key FROM prompt_instances")
    }

    def named(payload: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(payload)
        view = data.get("view")
        if isinstance(view, dict) and "instance" in view:
            view["instance"] = slot_of[int(view["instance"])]
        return data

    deliveries = [
        (r[0], r[1], r[2], r[3], slot_of.get(r[4]), named(r[5]), r[6], r[7])
        for r in await db.fetchall(
            "SELECT dedupe_key, kind, user_id, pair_id, instance_id, payload, due_at, "
            "stale_after FROM deliveries ORDER BY dedupe_key"
        )
    ]
    instances = sorted(
        (f"{r[0]}:{r[1]}", r[2], r[3])
        for r in await db.fetchall(
            "SELECT pair_id, slot_key, prompt_id, status FROM prompt_instances"
        )
    )
    states = sorted(
        (slot_of[int(r[0])], r[1], r[2])
        for r in await db.fetchall("SELECT instance_id, user_id, state FROM instance_members")
    )
    schedules = [tuple(r) for r in await db.fetchall("SELECT * FROM schedules ORDER BY 1, 2")]
    return {
        "deliveries": deliveries,
        "instances": instances,
        "states": states,
        "schedules": schedules,
    }


async def test_batched_materialising_matches_the_one_by_one_path(tmp_path: Path) -> None:
    lib = shipped_library()
    results = []
    for batched in (True, False):
        db = await SqliteDatabase.open(tmp_path / f"closer-{batched}.db")
        try:
            await seed(db)
            prompting = wired(db, lib, batched=batched)
            queued = 0
            for hour in range(0, 60, 1):
                queued += await prompting.materialise(START + timedelta(hours=hour))
                # Every prompt "sent", so the next day's choice sees it in the history.
                await db.execute(
                    "UPDATE deliveries SET status = 'sent', sent_at = due_at "
                    "WHERE status = 'pending'"
                )
            results.append((queued, await outcome(db)))
        finally:
            await db.close()
    (batch_queued, batch), (single_queued, single) = results
    assert batch_queued > 60  # the scenario does exercise the batch path
    assert batch_queued == single_queued
    for table in batch:
        assert batch[table] == single[table], table
