"""Circle rounds as rows, against a real SQLite file: idempotent, claimed once, never skipped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.models import Cadence, CircleCadence, PairKind
from bot.core.pairing import PairingHistory
from bot.services.circles import CircleService
from bot.storage import circles as store
from bot.storage import guilds as guild_store
from bot.storage import members as member_store
from bot.storage import pairs as pair_store
from bot.storage.db import Database
from bot.storage.sqlite import SqliteDatabase

GUILD = 900000000000000001
CHANNEL = 700000000000000001
ADA, BEN, CY, DEE, EVE = 101, 102, 103, 104, 105
NAMES = {ADA: "Ada", BEN: "Ben", CY: "Cy", DEE: "Dee", EVE: "Eve"}
CREATED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday
FIRST_DUE = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)


@pytest.fixture
async def db(database: Database) -> AsyncIterator[Database]:
    yield database


async def make_circle(db: Database, members: tuple[int, ...] = (ADA, BEN, CY, DEE)) -> int:
    for uid in (ADA, BEN, CY, DEE, EVE):
        await member_store.upsert_member(db, uid, NAMES[uid], CREATED)
    circle_id = await store.create_circle(
        db,
        guild_id=GUILD,
        name="Book Club",
        name_key="book club",
        cadence=CircleCadence.WEEKLY,
        weekday=0,
        local_time="19:00",
        timezone="UTC",
        anchor=CREATED.date(),
        seed=42,
        created_by=ADA,
        now=CREATED,
        first_due=FIRST_DUE,
    )
    assert circle_id is not None
    for uid in members:
        assert await store.add_member(db, circle_id, uid, CREATED)
    return circle_id


def service(db: Database, clock: list[datetime]) -> CircleService:
    return CircleService(db, "UTC", lambda: clock[0], lambda: None)


async def test_round_rows_are_idempotent(db: Database) -> None:
    circle_id = await make_circle(db)
    later = FIRST_DUE + timedelta(days=7)
    async with db.transaction() as conn:
        assert not await store.schedule_round(conn, circle_id, 1, later)  # round 1 exists
        assert await store.schedule_round(conn, circle_id, 2, later)
        assert not await store.schedule_round(conn, circle_id, 2, later + timedelta(days=1))
    rounds = await store.rounds_of(db, circle_id)
    assert [(r.round_no, r.due_at, r.status) for r in rounds] == [
        (1, FIRST_DUE, "pending"),
        (2, later, "pending"),
    ]


async def test_names_are_unique_per_server_case_insensitively(db: Database) -> None:
    await make_circle(db)
    again = await store.create_circle(
        db,
        guild_id=GUILD,
        name="BOOK CLUB",
        name_key="book club",
        cadence=CircleCadence.WEEKLY,
        weekday=0,
        local_time="19:00",
        timezone="UTC",
        anchor=CREATED.date(),
        seed=1,
        created_by=BEN,
        now=CREATED,
        first_due=FIRST_DUE,
    )
    assert again is None


async def test_claiming_a_due_round_twice_claims_it_once(db: Database) -> None:
    circle_id = await make_circle(db)
    pending = await store.pending_round(db, circle_id)
    assert pending is not None
    async with db.transaction() as conn:
        assert await store.claim_round(conn, pending.id, FIRST_DUE - timedelta(minutes=1)) is None
        first = await store.claim_round(conn, pending.id, FIRST_DUE)
        second = await store.claim_round(conn, pending.id, FIRST_DUE + timedelta(seconds=1))
    assert first is not None and first.status == "formed" and first.formed_at == FIRST_DUE
    assert second is None


async def test_rotate_early_claim_only_with_early(db: Database) -> None:
    circle_id = await make_circle(db)
    pending = await store.pending_round(db, circle_id)
    assert pending is not None
    async with db.transaction() as conn:
        assert await store.claim_round(conn, pending.id, CREATED) is None
        assert await store.claim_round(conn, pending.id, CREATED, early=True) is not None


async def test_forming_a_due_round_twice_forms_it_once(db: Database) -> None:
    circle_id = await make_circle(db)
    circles = service(db, [FIRST_DUE])
    assert await circles.form_due_rounds(FIRST_DUE) == 1
    assert await circles.form_due_rounds(FIRST_DUE) == 0
    groups = await store.live_groups(db, circle_id)
    assert sorted(len(g.member_ids) for g in groups) == [2, 2]
    rounds = await store.rounds_of(db, circle_id)
    assert [(r.round_no, r.status, r.group_count) for r in rounds] == [
        (1, "formed", 2),
        (2, "pending", None),
    ]
    assert rounds[1].due_at == FIRST_DUE + timedelta(days=7)


async def test_a_round_due_during_downtime_forms_once_after_restart(tmp_path: Path) -> None:
    path = tmp_path / "downtime.db"
    db = await SqliteDatabase.open(path)
    circle_id = await make_circle(db)
    await guild_store.set_announce_channel(db, GUILD, CHANNEL, CREATED)
    await db.close()  # the bot goes down before round 1 (Monday 19:00) …

    # … and comes back nine days later, past round 1's time and past the Monday after it.
    back = FIRST_DUE + timedelta(days=9)
    db = await SqliteDatabase.open(path)
    try:
        clock = [back]
        circles = service(db, clock)
        assert await circles.form_due_rounds(back) == 1
        assert await circles.form_due_rounds(back + timedelta(seconds=20)) == 0
        rounds = await store.rounds_of(db, circle_id)
        # Not skipped (round 1 formed, late), not doubled (no catch-up round 2 right away):
        # round 2 is the next Monday 19:00 after the restart.
        assert [(r.round_no, r.status) for r in rounds] == [(1, "formed"), (2, "pending")]
        assert rounds[0].formed_at == back
        assert rounds[1].due_at == datetime(2026, 3, 16, 19, 0, tzinfo=UTC)
        notices = await db.fetchall(
            "SELECT payload FROM deliveries WHERE channel_id = ? ORDER BY id", (CHANNEL,)
        )
        assert [n["payload"] for n in notices] == ['{"content": "Round 1 of Book Club: 2 pairs"}']
        intros = await db.fetchval("SELECT count(*) FROM deliveries WHERE kind = 'circle_intro'")
        assert intros == 4
    finally:
        await db.close()


async def test_a_round_with_too_few_members_waits_and_keeps_its_number(db: Database) -> None:
    circle_id = await make_circle(db, members=(ADA,))
    circles = service(db, [FIRST_DUE])
    assert await circles.form_due_rounds(FIRST_DUE) == 0
    rounds = await store.rounds_of(db, circle_id)
    assert [(r.round_no, r.status, r.due_at) for r in rounds] == [
        (1, "pending", FIRST_DUE + timedelta(days=7))
    ]


async def test_a_new_round_ends_the_previous_rounds_pairs(db: Database) -> None:
    circle_id = await make_circle(db)
    circles = service(db, [FIRST_DUE])
    await circles.form_due_rounds(FIRST_DUE)
    old = {g.id for g in await store.live_groups(db, circle_id)}
    second = FIRST_DUE + timedelta(days=7)
    assert await circles.form_due_rounds(second) == 1
    new = {g.id for g in await store.live_groups(db, circle_id)}
    assert old.isdisjoint(new) and len(new) == 2
    for pair_id in old:
        pair = await pair_store.get_pair(db, pair_id)
        assert pair is not None and pair.status == "ended"
        assert (
            await db.fetchval("SELECT count(*) FROM schedules WHERE pair_id = ?", (pair_id,)) == 0
        )
    for pair_id in new:
        pair = await pair_store.get_pair(db, pair_id)
        assert pair is not None and pair.kind is PairKind.CIRCLE
        assert pair.cadence is Cadence.WEEKDAYS and pair.local_time == "19:00"
        count = await db.fetchval("SELECT count(*) FROM schedules WHERE pair_id = ?", (pair_id,))
        assert count == 2


async def insert_group(
    db: Database, circle_id: int, round_no: int, members: tuple[int, ...]
) -> int:
    async with db.transaction() as conn:
        await store.schedule_round(conn, circle_id, round_no, FIRST_DUE)
        cur = await conn.execute(
            "SELECT id FROM circle_rounds WHERE circle_id = ? AND round_no = ?",
            (circle_id, round_no),
        )
        row = await cur.fetchone()
        assert row is not None
        return await pair_store.insert_pair(
            conn,
            guild_id=GUILD,
            kind=PairKind.CIRCLE,
            member_ids=members,
            local_time="19:00",
            cadence=Cadence.WEEKDAYS,
            anchor=date(2026, 3, 2),
            seed=1,
            now=CREATED,
            circle_id=circle_id,
            round_id=int(row[0]),
        )


async def test_history_is_derived_from_past_pairs_and_round_numbers(db: Database) -> None:
    circle_id = await make_circle(db, members=(ADA, BEN, CY, DEE, EVE))
    assert await store.pairing_history(db, circle_id) == PairingHistory()
    await insert_group(db, circle_id, 1, (ADA, BEN))
    await insert_group(db, circle_id, 1, (CY, DEE, EVE))
    await insert_group(db, circle_id, 2, (ADA, CY, EVE))
    await insert_group(db, circle_id, 2, (BEN, DEE))
    await insert_group(db, circle_id, 3, (ADA, BEN))  # met again: the latest round wins
    history = await store.pairing_history(db, circle_id)
    assert history.last_met == {
        frozenset((ADA, BEN)): 3,
        frozenset((CY, DEE)): 1,
        frozenset((CY, EVE)): 2,
        frozenset((DEE, EVE)): 1,
        frozenset((ADA, CY)): 2,
        frozenset((ADA, EVE)): 2,
        frozenset((BEN, DEE)): 2,
    }
    assert history.trio_rounds == {CY: 2, DEE: 1, EVE: 2, ADA: 1}
    assert history.last_trio == {CY: 2, DEE: 1, EVE: 2, ADA: 2}


async def test_who_paused_sits_out_and_their_partner_does_not(db: Database) -> None:
    circle_id = await make_circle(db)
    pair_id = await insert_group(db, circle_id, 1, (ADA, BEN))
    until = CREATED + timedelta(days=10)
    await pair_store.set_status(db, pair_id, "paused", CREATED, paused_until=until, paused_by=ADA)
    await member_store.mark_unreachable(db, DEE, CREATED)
    members = {m.user_id: m for m in await store.round_members(db, circle_id, CREATED)}
    assert members[ADA].paused and not members[ADA].active
    assert not members[BEN].paused and members[BEN].active
    assert members[CY].active
    assert members[DEE].unreachable and not members[DEE].active
    # The pause outlives the round that ended the pair, and ends when it says it does.
    async with db.transaction() as conn:
        await store.end_pairs(conn, circle_id, CREATED)
    later = {m.user_id: m for m in await store.round_members(db, circle_id, CREATED)}
    assert later[ADA].paused
    after = {m.user_id: m for m in await store.round_members(db, circle_id, until)}
    assert after[ADA].active
