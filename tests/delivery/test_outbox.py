"""The outbox's own guarantees, on a real database, with a stand-in for Discord's side only.

The stand-in (`Discord` below) plays the REST API: it answers, fails or hangs as a test needs.
Everything on our side of the port (claims, leases, marks, the ticker) is the real code.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.clock import FakeClock
from bot.core.models import SendResult
from bot.delivery import outbox as outbox_module
from bot.delivery.outbox import LEASE, MAX_ATTEMPTS, Outbox
from bot.delivery.port import Sent, Unreachable
from bot.delivery.ticker import Ticker
from bot.storage import members as member_store
from bot.storage import outbox as store
from bot.storage.db import Database
from bot.storage.postgres import PostgresDatabase
from bot.ui.payload import MessagePayload

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class Discord:
    """Discord's side of the port: `mode` is 'ok', 'hang', 'broken' (an unexpected error) or
    'closed' (every member's DMs are closed: 50007)."""

    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode
        self.sends = 0
        self.opens = 0
        self.hanging = asyncio.Event()

    async def open_dm(self, user_id: int) -> int:
        self.opens += 1
        if self.mode == "closed":
            raise Unreachable(f"cannot DM {user_id}")
        return user_id + 1

    async def send(self, channel_id: int, message: MessagePayload, nonce: str) -> Sent:
        self.sends += 1
        if self.mode == "hang":
            self.hanging.set()
            await asyncio.Event().wait()
        if self.mode == "broken":
            raise ValueError("a payload Discord's library could not build")
        return Sent(message_id=1000 + self.sends)


@pytest.fixture
async def db(database: Database) -> AsyncIterator[Database]:
    yield database


async def queue_one(db: Database, key: str = "notice:1") -> int:
    await store.enqueue(db, [store.NewDelivery(key, "notice", NOW, channel_id=42)], NOW)
    return await store.delivery_id_for(db, key)


async def row(db: Database, delivery_id: int) -> dict[str, object]:
    found = await db.fetchone("SELECT * FROM deliveries WHERE id = ?", (delivery_id,))
    assert found is not None
    return dict(found)


async def lease_of(db: Database, delivery_id: int) -> dict[str, object] | None:
    found = await db.fetchone(
        "SELECT lease_until, attempt FROM delivery_leases WHERE delivery_id = ?", (delivery_id,)
    )
    return None if found is None else dict(found)


async def test_a_worker_whose_lease_was_taken_over_does_not_mark_the_row(db: Database) -> None:
    delivery_id = await queue_one(db)
    [first] = await store.claim_due(db, NOW, NOW + LEASE, 10)
    # The first worker stalls past its lease; another claims the row and owns it now.
    later = NOW + LEASE + timedelta(seconds=1)
    [second] = await store.claim_due(db, later, later + LEASE, 10)
    assert second.id == first.id == delivery_id

    late_worker = Outbox(db, Discord(), FakeClock(later))
    outcome = await late_worker.deliver(first)

    assert outcome.status != "sent"
    taken = await row(db, delivery_id)
    assert taken["status"] == "pending" and taken["message_id"] is None
    assert await lease_of(db, delivery_id) == {"lease_until": second.lease, "attempt": 2}
    # The owner's mark still lands.
    assert await store.mark_sent(db, second, 77, later)
    assert (await row(db, delivery_id))["message_id"] == 77


async def test_an_unexpected_send_error_stops_after_the_attempt_cap(db: Database) -> None:
    delivery_id = await queue_one(db)
    clock = FakeClock(NOW)
    discord = Discord("broken")
    outbox = Outbox(db, discord, clock)
    for _ in range(MAX_ATTEMPTS + 3):
        await outbox.drain()
        clock.advance(timedelta(hours=1))  # past any backoff
    final = await row(db, delivery_id)
    assert final["status"] == "failed"
    assert final["attempts"] == MAX_ATTEMPTS
    assert discord.sends == MAX_ATTEMPTS


async def test_stopping_with_a_hung_send_is_quick_and_hands_the_row_back(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    delivery_id = await queue_one(db)
    discord = Discord("hang")
    outbox = Outbox(db, discord, FakeClock(NOW))
    ticker = Ticker(timedelta(minutes=10), outbox.tick)
    caplog.set_level(logging.INFO)
    ticker.start()
    await asyncio.wait_for(discord.hanging.wait(), 5)

    # What SIGTERM does (CloserBot.close): stop the ticker, then release leases.
    await asyncio.wait_for(ticker.stop(), 5)
    await outbox.release()

    back = await row(db, delivery_id)
    assert back["status"] == "pending" and back["attempts"] == 0
    assert await lease_of(db, delivery_id) is None
    cancelled = [r for r in caplog.records if "send cancelled" in r.getMessage()]
    assert cancelled and all(r.levelno == logging.INFO for r in cancelled)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_claim_brings_each_members_dm_channel_and_reachability(db: Database) -> None:
    for uid in (1, 2, 3):
        await member_store.upsert_member(db, uid, f"m{uid}", NOW)
    await member_store.set_dm_channel(db, 1, 501)
    await member_store.mark_unreachable(db, 2, NOW)
    await store.enqueue(
        db,
        [store.NewDelivery(f"notice:{uid}", "notice", NOW, user_id=uid) for uid in (1, 2, 3)],
        NOW,
    )
    claimed = {c.user_id: c for c in await store.claim_due(db, NOW, NOW + LEASE, 10)}
    assert {u: (c.dm_channel_id, c.unreachable) for u, c in claimed.items()} == {
        1: (501, False),
        2: (None, True),
        3: (None, False),
    }
    assert [u for u, c in claimed.items() if c.needs_channel] == [3]


async def test_a_message_skipped_while_on_its_way_is_recorded_as_sent(db: Database) -> None:
    # Closing a prompt or ending a pair skips what is pending, in flight too; one that still
    # went out must keep its message id, or a reply to it finds nothing.
    await member_store.upsert_member(db, 7, "m7", NOW)
    await store.enqueue(db, [store.NewDelivery("n:7", "notice", NOW, user_id=7)], NOW)
    [claimed] = await store.claim_due(db, NOW, NOW + LEASE, 10)
    assert await member_store.mark_unreachable(db, 7, NOW) == 1

    assert await store.mark_sent(db, claimed, 555, NOW)
    sent = await row(db, claimed.id)
    assert (sent["status"], sent["message_id"], sent["attempts"]) == ("sent", 555, 1)
    assert await lease_of(db, claimed.id) is None


async def test_a_retry_does_not_bring_back_a_row_skipped_while_on_its_way(db: Database) -> None:
    await member_store.upsert_member(db, 7, "m7", NOW)
    await store.enqueue(db, [store.NewDelivery("n:7", "notice", NOW, user_id=7)], NOW)
    [claimed] = await store.claim_due(db, NOW, NOW + LEASE, 10)
    await member_store.mark_unreachable(db, 7, NOW)

    assert await store.mark_retry(db, claimed, "503", NOW + timedelta(minutes=1))
    skipped = await row(db, claimed.id)
    assert (skipped["status"], skipped["last_error"]) == ("skipped", "unreachable")
    assert await lease_of(db, claimed.id) is None
    assert await store.claim_due(db, NOW + timedelta(hours=1), NOW + LEASE, 10) == []


async def test_rows_in_flight_are_neither_claimed_again_nor_counted_as_waiting(
    db: Database,
) -> None:
    for n in range(3):
        await queue_one(db, f"notice:{n}")
    first = await store.claim_due(db, NOW, NOW + LEASE, 2)
    assert await store.due_backlog(db, NOW) == (1, NOW)
    [last] = await store.claim_due(db, NOW, NOW + LEASE, 10)
    assert last.id not in {c.id for c in first}
    assert await store.claim_due(db, NOW, NOW + LEASE, 10) == []
    assert await store.due_backlog(db, NOW) == (0, None)


async def queue_dm(db: Database, user_id: int = 7, key: str = "invite:1") -> int:
    await member_store.upsert_member(db, user_id, "Sam", NOW)
    await store.enqueue(db, [store.NewDelivery(key, "invite", NOW, user_id=user_id)], NOW)
    return await store.delivery_id_for(db, key)


async def test_send_now_reports_what_became_of_a_row_the_tick_claimed_first(db: Database) -> None:
    delivery_id = await queue_dm(db)
    outbox = Outbox(db, Discord("closed"), FakeClock(NOW))
    # The regular tick claimed the row a moment before the command asked for it.
    [by_tick] = await store.claim_due(db, NOW, NOW + LEASE, 10)
    asking = asyncio.create_task(outbox.send_now(delivery_id))
    await outbox.deliver(by_tick)
    # The command still learns that the member's DMs are closed.
    outcome = await asyncio.wait_for(asking, 5)
    assert outcome.status == SendResult.UNREACHABLE


async def test_send_now_waits_for_a_row_another_claim_is_sending(db: Database) -> None:
    delivery_id = await queue_dm(db)
    discord = Discord()
    outbox = Outbox(db, discord, FakeClock(NOW))
    [by_tick] = await store.claim_due(db, NOW, NOW + LEASE, 10)
    asking = asyncio.create_task(outbox.send_now(delivery_id))
    await asyncio.sleep(0.2)
    assert not asking.done()
    await outbox.deliver(by_tick)
    outcome = await asyncio.wait_for(asking, 5)
    assert outcome.status == SendResult.SENT and outcome.message_id == 1001
    assert discord.sends == 1


@asynccontextmanager
async def two_processes(url: str, folder: Path) -> AsyncIterator[tuple[Database, Database]]:
    """Two processes' databases on one PostgreSQL database; the first holds the lead."""
    first = await PostgresDatabase.open(url, folder)
    second = await PostgresDatabase.open(url, folder)
    try:
        assert await first.lead()
        yield first, second
    finally:
        await second.close()
        await first.close()


async def test_a_process_that_does_not_send_has_the_sender_send_the_row_now(
    postgres_url: str, tmp_path: Path
) -> None:
    async with two_processes(postgres_url, tmp_path) as (sender_db, asker_db):
        sender_discord, asker_discord = Discord("closed"), Discord("closed")
        sender = Outbox(sender_db, sender_discord, FakeClock(NOW))
        asker = Outbox(asker_db, asker_discord, FakeClock(NOW))
        await sender_db.listen(lambda: None, sender.asked)
        await asker_db.listen(lambda: None, asker.asked)
        try:
            delivery_id = await queue_dm(asker_db)
            outcome = await asker.send_now(delivery_id)
        finally:
            await asker.release()
            await sender.release()
        assert outcome.status == SendResult.UNREACHABLE
        # Only the sender spent Discord's budget.
        assert (asker_discord.opens, asker_discord.sends) == (0, 0)
        assert sender_discord.opens == 1


async def test_with_no_sender_answering_send_now_says_the_row_is_still_queued(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "SEND_NOW_WAIT", 0.3)
    # The sender holds the lead but hears nothing (stalled, or its listener was lost).
    async with two_processes(postgres_url, tmp_path) as (_, asker_db):
        discord = Discord()
        asker = Outbox(asker_db, discord, FakeClock(NOW))
        delivery_id = await queue_dm(asker_db)
        outcome = await asyncio.wait_for(asker.send_now(delivery_id), 5)
        assert outcome.status == SendResult.QUEUED
        assert (discord.opens, discord.sends) == (0, 0)
        assert (await row(asker_db, delivery_id))["status"] == "pending"


async def test_handing_back_a_lease_someone_else_took_over_leaves_theirs_alone(
    db: Database,
) -> None:
    await queue_one(db)
    # A claims, then stalls past its lease (a hung send; or a new sender took over).
    [a] = await store.claim_due(db, NOW, NOW + LEASE, 10)
    later = NOW + LEASE + timedelta(seconds=1)
    # B claims the row again and is sending it now.
    [b] = await store.claim_due(db, later, later + LEASE, 10)
    assert b.id == a.id
    # A shuts down and hands back what it still had in flight (`Outbox.release`).
    await store.release_leases(db, [a])
    # While B's lease is live, nobody else may claim the row.
    assert await store.claim_due(db, later, later + LEASE, 10) == []
    assert await lease_of(db, b.id) == {"lease_until": b.lease, "attempt": 2}
