"""What several processes on one PostgreSQL database rely on: one sender, prompt wake-ups,
migrations once, and claims that never overlap."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bot.storage import outbox as store
from bot.storage.outbox import NewDelivery
from bot.storage.postgres import PostgresDatabase, ask_for_room

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)
LEADER_LOCK = 0x6C656164  # bot.storage.postgres._LEADER_LOCK


@contextlib.asynccontextmanager
async def processes(url: str, folder: Path, count: int) -> AsyncIterator[list[PostgresDatabase]]:
    """`count` processes' connections to one database, as separate bots have them."""
    dbs = [await PostgresDatabase.open(url, folder) for _ in range(count)]
    try:
        yield dbs
    finally:
        for db in dbs:
            await db.close()


async def test_one_process_leads_and_another_takes_over_when_it_goes(
    postgres_url: str, tmp_path: Path
) -> None:
    first = await PostgresDatabase.open(postgres_url, tmp_path)
    second = await PostgresDatabase.open(postgres_url, tmp_path)
    try:
        assert await first.lead()
        assert await first.lead()  # still ours, asked again
        assert not await second.lead()
        await first.close()  # the sender stops (or dies: its connection goes either way)
        # The server lets go of the lock when it notices the connection is gone: at once, or
        # a moment later on a busy machine. Followers ask again every LEAD_RETRY seconds.
        for _ in range(50):
            if await second.lead():
                break
            await asyncio.sleep(0.1)
        assert await second.lead()
    finally:
        await second.close()


async def test_queued_work_wakes_the_other_processes_not_the_one_that_queued_it(
    postgres_url: str, tmp_path: Path
) -> None:
    woken = asyncio.Event()
    own = asyncio.Event()
    async with processes(postgres_url, tmp_path, 2) as (sender, other):
        await sender.listen(woken.set)
        await other.listen(own.set)
        await store.enqueue(other, [NewDelivery("a", "notice", NOW, channel_id=1)], NOW)
        await asyncio.wait_for(woken.wait(), 5)
        assert not own.is_set()
        # A duplicate queues nothing, so it wakes no one.
        woken.clear()
        await store.enqueue(other, [NewDelivery("a", "notice", NOW, channel_id=1)], NOW)
        await asyncio.sleep(0.3)
        assert not woken.is_set()


async def test_two_processes_claiming_at_once_never_lease_the_same_row(
    postgres_url: str, tmp_path: Path
) -> None:
    async with processes(postgres_url, tmp_path, 3) as dbs:
        rows = [NewDelivery(f"k{n}", "notice", NOW, channel_id=1) for n in range(300)]
        await store.enqueue(dbs[0], rows, NOW)
        claims = await asyncio.gather(
            *(store.claim_due(db, NOW, NOW + LEASE, 40) for db in dbs for _ in range(4))
        )
        ids = [c.id for batch in claims for c in batch]
        assert len(ids) == len(set(ids))
        # A claim can spend some of its LIMIT on rows another claim leased after this one's
        # snapshot was taken (the upsert then refuses them): they stay pending, unleased by it,
        # and the sender's next claim takes what is left.
        rest = await store.claim_due(dbs[0], NOW, NOW + LEASE, 300)
        assert not {c.id for c in rest} & set(ids)
        assert len(ids) + len(rest) == 300


async def test_processes_starting_together_migrate_once(
    tmp_path: Path, postgres_server: str
) -> None:
    import asyncpg

    from tests.conftest import _with_database

    admin = await asyncpg.connect(_with_database(postgres_server, "postgres"))
    try:
        await admin.execute("DROP DATABASE IF EXISTS closer_race WITH (FORCE)")
        await admin.execute("CREATE DATABASE closer_race")
    finally:
        await admin.close()
    url = _with_database(postgres_server, "closer_race")
    dbs = await asyncio.gather(*(PostgresDatabase.open(url, tmp_path) for _ in range(4)))
    try:
        versions = {await db.schema_version() for db in dbs}
        assert len(versions) == 1 and versions.pop() > 0
    finally:
        for db in dbs:
            await db.close()
        admin = await asyncpg.connect(_with_database(postgres_server, "postgres"))
        try:
            await admin.execute("DROP DATABASE IF EXISTS closer_race WITH (FORCE)")
        finally:
            await admin.close()


async def test_a_process_asking_twice_at_once_hears_that_it_leads_both_times(
    postgres_url: str, tmp_path: Path
) -> None:
    db = await PostgresDatabase.open(postgres_url, tmp_path)
    try:
        # The tick and a background task (opening a DM channel ahead) ask together.
        assert await asyncio.gather(*(db.lead() for _ in range(4))) == [True] * 4
    finally:
        await db.close()


async def test_a_nul_character_in_text_is_kept_as_a_replacement_not_an_error(
    postgres_url: str, tmp_path: Path
) -> None:
    from bot.storage import members

    db = await PostgresDatabase.open(postgres_url, tmp_path)
    try:
        await members.upsert_member(db, 7, "A\x00da", NOW)
        row = await members.get_member(db, 7)
        assert row is not None and row.display_name == "A\ufffdda"
        assert (
            await db.fetchval("SELECT COUNT(*) FROM members WHERE display_name = ?", ("x\x00",))
            == 0
        )
    finally:
        await db.close()


async def test_a_claim_locks_the_delivery_but_never_writes_a_new_version_of_it(
    postgres_url: str, tmp_path: Path
) -> None:
    # A new row version would cost a new entry in each of the table's indexes: at a million
    # pairs that was most of a claim's time. `xmin` names the transaction that wrote a version.
    db = await PostgresDatabase.open(postgres_url, tmp_path)
    try:
        rows = [NewDelivery(f"k{n}", "notice", NOW, channel_id=1) for n in range(20)]
        await store.enqueue(db, rows, NOW)
        versions = "SELECT id, xmin::text AS v FROM deliveries ORDER BY id"
        before = [tuple(r) for r in await db.fetchall(versions)]
        claimed = await store.claim_due(db, NOW, NOW + LEASE, 20)
        assert len(claimed) == 20
        assert [tuple(r) for r in await db.fetchall(versions)] == before
    finally:
        await db.close()


async def test_a_member_waiting_and_the_sender_never_claim_the_same_row(
    postgres_url: str, tmp_path: Path
) -> None:
    async with processes(postgres_url, tmp_path, 2) as (sender, other):
        for round_ in range(4):  # a lock-order deadlock showed in about one round of four
            rows = [NewDelivery(f"k{round_}:{n}", "notice", NOW, channel_id=1) for n in range(60)]
            await store.enqueue(sender, rows, NOW)
            ids = [
                int(r[0])
                for r in await sender.fetchall(
                    "SELECT id FROM deliveries WHERE dedupe_key LIKE ?", (f"k{round_}:%",)
                )
            ]
            results = await asyncio.gather(
                *(store.claim_due(sender, NOW, NOW + LEASE, 15) for _ in range(4)),
                *(store.claim_one(other, i, NOW, NOW + LEASE) for i in ids),
            )
            taken = [c.id for r in results for c in (r if isinstance(r, list) else [r]) if c]
            assert sorted(taken) == sorted(ids)


async def test_a_takeover_and_a_hand_back_at_once_do_not_deadlock(
    postgres_url: str, tmp_path: Path
) -> None:
    # A takeover locked lease rows in the order of the table's pages; handing leases back
    # (and claims) lock them by id: the two deadlocked, and PostgreSQL aborted one.
    leader = await PostgresDatabase.open(postgres_url, tmp_path)
    raw = await asyncpg.connect(postgres_url)
    try:
        await store.enqueue(
            leader, [NewDelivery(f"k{n}", "notice", NOW, channel_id=1) for n in (1, 2)], NOW
        )
        ids = [int(r[0]) for r in await leader.fetchall("SELECT id FROM deliveries ORDER BY id")]
        first, second = ids
        # Another process's two sends, claimed in the opposite order to their ids (so the
        # higher id's lease comes first in the table's pages).
        assert await store.claim_one(leader, second, NOW, NOW + LEASE)
        assert await store.claim_one(leader, first, NOW, NOW + LEASE)
        # That process hands them back in id order, in one transaction ...
        tx = raw.transaction()
        await tx.start()
        await raw.execute("DELETE FROM delivery_leases WHERE delivery_id = $1", first)
        # ... while a new sender takes over every live lease.
        takeover = asyncio.create_task(store.take_over_leases(leader, NOW + timedelta(seconds=1)))
        await asyncio.sleep(0.3)
        await raw.execute("DELETE FROM delivery_leases WHERE delivery_id = $1", second)
        await tx.commit()
        assert await takeover == 0  # both were handed back first
    finally:
        await raw.close()
        await leader.close()


async def test_a_starting_process_asks_again_until_a_live_sender_makes_it_room(
    postgres_url: str, tmp_path: Path
) -> None:
    # The lead is still held by a process that has just died (its lock not yet let go), and
    # the one that takes over from it answers only once it leads.
    assert not await ask_for_room(postgres_url, 4, 5.0)  # no one sends: nothing to ask
    dying = await asyncpg.connect(postgres_url)
    sender = await PostgresDatabase.open(postgres_url, tmp_path)
    asked: list[tuple[int, float]] = []
    leading = asyncio.Event()

    async def make_room(calls: int, seconds: float) -> bool:
        # As `CloserBot._make_room`: only the process that sends makes room.
        if leading.is_set():
            asked.append((calls, seconds))
        return leading.is_set()

    try:
        await dying.execute("SELECT pg_advisory_lock($1)", LEADER_LOCK)
        await sender.listen(lambda: None, room=make_room)
        asking = asyncio.create_task(ask_for_room(postgres_url, 4, 5.0, each=0.2))
        await asyncio.sleep(0.5)
        assert not asking.done()
        await dying.close()
        for _ in range(50):
            if await sender.lead():
                leading.set()
                break
            await asyncio.sleep(0.05)
        assert await asyncio.wait_for(asking, 5)
        assert asked and asked[-1] == (4, 5.0)
    finally:
        if not dying.is_closed():
            await dying.close()
        await sender.close()
