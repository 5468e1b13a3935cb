"""Several processes on one PostgreSQL database: who sends, and how soon another takes over.

Regressions: a process's first tick comes before it is ready and returns without looking for
the lead, and the next came only after TICK_INTERVAL, so a sender that died while the others
were still starting was replaced only after a whole interval; and a new sender left the rows
the dead one had claimed to wait out their two-minute lease; and a new sender spent a full
budget in its first second, on top of what the dead one had spent in its last (global 429s).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

import bot.app
from bot.core.models import Library
from bot.delivery.outbox import LEASE
from bot.playground.world import World
from bot.sandbox.server import Sandbox
from bot.storage import outbox
from bot.storage.members import upsert_member
from bot.storage.timecodec import to_db
from tests.e2e.harness import running_sandbox

pytestmark = pytest.mark.e2e

LEADER_LOCK = 0x6C656164  # bot.storage.postgres._LEADER_LOCK
# What the outbox spends Discord's global budget on.
OUTBOX_ROUTES = {("POST", "/users/@me/channels"), ("POST", "/channels/{channel_id}/messages")}


@contextlib.asynccontextmanager
async def two_processes(
    library: Library, folder: Path, url: str, names: tuple[str, str] | None = None
) -> AsyncIterator[tuple[Sandbox, World, World]]:
    """Two bot processes' worlds on one sandbox and one PostgreSQL database, stopped after.
    `names` become their connections' `application_name` (what `lead_holder` reports)."""
    sep = "&" if "?" in url else "?"
    urls = [f"{url}{sep}application_name={n}" for n in names] if names else [url, url]
    async with running_sandbox() as sandbox:
        first = World(sandbox, library, folder / "a" / "c.db", database_url=urls[0])
        second = World(sandbox, library, folder / "b" / "c.db", database_url=urls[1])
        try:
            yield sandbox, first, second
        finally:
            for world in (first, second):
                if world.bot is not None:
                    await world.stop_bot()


async def lead_holder(url: str) -> str | None:
    conn = await asyncpg.connect(url)
    try:
        value = await conn.fetchval(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1 "
            # Advisory locks are per database: other tests' databases share the server.
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            LEADER_LOCK,
        )
    finally:
        await conn.close()
    return None if value is None else str(value)


async def test_a_process_that_just_started_takes_over_from_a_dead_sender(
    library: Library, tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.app, "LEAD_RETRY", 0.2)
    async with two_processes(library, tmp_path, postgres_url, names=("first", "second")) as (
        _,
        first,
        second,
    ):
        await first.start_bot()
        await first.tick()
        assert await lead_holder(postgres_url) == "first"
        # Ready, with no tick asked of it and a ten-minute TICK_INTERVAL (the World's).
        await second.start_bot()
        await first.crash_bot()
        holder = None
        for _ in range(100):
            holder = await lead_holder(postgres_url)
            if holder == "second":
                break
            await asyncio.sleep(0.05)
        assert holder == "second"


async def test_a_new_sender_sends_what_the_dead_one_had_claimed_without_waiting_out_its_lease(
    library: Library, tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.app, "LEAD_RETRY", 0.2)
    async with two_processes(library, tmp_path, postgres_url) as (_sandbox, first, second):
        await first.start_bot()
        await first.tick()
        await second.start_bot()
        ada = first.member("Ada")
        now = first.clock.now()
        await upsert_member(first.running().db, ada.id, "Ada", now)
        # As the sender leaves a row it claimed and had not sent when it died (written
        # without a NOTIFY, so nothing else wakes for it).
        conn = await asyncpg.connect(postgres_url)
        try:
            async with conn.transaction():
                delivery_id = await conn.fetchval(
                    "INSERT INTO deliveries (dedupe_key, user_id, kind, payload, due_at, "
                    "created_at) VALUES ('claimed', $1, 'notice', $2, $3, $3) RETURNING id",
                    ada.id,
                    json.dumps({"content": "Claimed by a sender that died."}),
                    to_db(now),
                )
                await conn.execute(
                    "INSERT INTO delivery_leases (delivery_id, lease_until, attempt) "
                    "VALUES ($1, $2, 1)",
                    delivery_id,
                    to_db(now + LEASE),
                )
        finally:
            await conn.close()
        await first.crash_bot()
        # The clocks stand still: only a takeover of the lease lets the row go out.
        dm = await ada.next_dm(timeout=5)
        assert dm.text == "Claimed by a sender that died."


async def test_a_new_sender_adds_nothing_to_what_the_dead_one_spent_in_its_last_second(
    library: Library, tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A budget of 5 a second, so that a whole second's worth goes out quickly.
    monkeypatch.setattr(bot.app, "SEND_RATE", 5.0)
    async with two_processes(library, tmp_path, postgres_url) as (sandbox, first, second):
        await first.start_bot()
        await first.tick()
        await second.start_bot()
        # Five members, so that no DM channel's own bucket holds anything back.
        members = [first.member(name) for name in ("Ada", "Sam", "Kim", "Lee", "Max")]
        now = first.clock.now()
        for m in members:
            await upsert_member(first.running().db, m.id, m.name, now)

        async def queue(text: str) -> None:
            notices = outbox.notices([m.id for m in members], text, {"content": text}, now)
            await outbox.enqueue(second.running().db, notices, now)

        # The sender spends its whole budget, and dies the moment it is done.
        await queue("before")
        await first.tick()
        await first.crash_bot()
        await queue("after")
        for _ in range(50):  # until PostgreSQL has let go of the dead sender's lock
            await second.tick()
            if all(len(m.dms()) == 2 for m in members):
                break
            await asyncio.sleep(0.05)
        assert [[d.text for d in m.dms()] for m in members] == [["before", "after"]] * 5
        # Discord counts one budget for both processes, request by request as they arrive.
        arrivals = sorted(r.at for r in sandbox.requests if (r.method, r.route) in OUTBOX_ROUTES)
        assert len(arrivals) == 15  # five DM channels opened, ten messages
        busiest = max(
            sum(1 for t in arrivals[i:] if t - start < 1.0) for i, start in enumerate(arrivals)
        )
        assert busiest <= 5


async def test_the_first_sender_a_database_has_starts_at_once_and_the_next_waits(
    library: Library, tmp_path: Path, postgres_url: str
) -> None:
    # Waiting out a predecessor's last second is only for a sender that has one.
    async with two_processes(library, tmp_path, postgres_url) as (_sandbox, first, second):
        await first.start_bot()
        await first.tick()
        assert await lead_holder(postgres_url) is not None
        assert first.running().limiter.fills == 0
        await first.stop_bot()
        await second.start_bot()
        await second.tick()
        assert await lead_holder(postgres_url) is not None
        assert second.running().limiter.fills == 1


async def test_a_process_starting_while_another_sends_stays_within_the_bots_budget(
    library: Library, tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its log-in, application and gateway calls count in the same budget as the sender's.
    monkeypatch.setattr(bot.app, "SEND_RATE", 5.0)
    monkeypatch.setattr(bot.app, "START_UP_SECONDS", 2.0)
    async with two_processes(library, tmp_path, postgres_url) as (sandbox, first, second):
        await first.start_bot()
        await first.tick()
        members = [first.member(f"M{n}") for n in range(6)]
        now = first.clock.now()
        for m in members:
            await upsert_member(first.running().db, m.id, m.name, now)
        notices = outbox.notices([m.id for m in members], "hi", {"content": "hi"}, now)
        await outbox.enqueue(first.running().db, notices, now)
        begun = len(sandbox.requests)
        sending = asyncio.create_task(first.tick())  # 12 calls at 5 a second
        await asyncio.sleep(0.5)
        await second.start_bot()
        await sending
        assert all([d.text for d in m.dms()] == ["hi"] for m in members)
        counted = [r for r in sandbox.requests[begun:] if not r.route.startswith(WEBHOOK_ROUTES)]
        assert {(r.method, r.route) for r in counted} > OUTBOX_ROUTES  # the log-in too
        arrivals = sorted(r.at for r in counted)
        busiest = max(
            sum(1 for t in arrivals[i:] if t - start < 1.0) for i, start in enumerate(arrivals)
        )
        assert busiest <= 5


# Interaction callbacks and follow-ups: outside the bot's global limit.
WEBHOOK_ROUTES = ("/interactions/", "/webhooks/")
