"""A running world: the local Discord, the real bot on a database file, and a driven clock.

Tests, benchmarks and the offline demo all stand on this. The world outlives bot restarts: the
sandbox (Discord) and the database file stay, the bot process comes and goes — which is what
crash and restart scenarios need.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import CloserBot
from bot.core.clock import FakeClock
from bot.core.models import Library
from bot.sandbox.driver import Member
from bot.sandbox.payloads import SandboxGuild
from bot.sandbox.server import Sandbox
from bot.settings import Settings, load_settings

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday


class World:
    def __init__(
        self,
        sandbox: Sandbox,
        library: Library,
        db_path: Path,
        start: datetime = START,
        *,
        database_url: str | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.library = library
        self.db_path = db_path
        # PostgreSQL instead of the SQLite file at db_path (which then names the bot's folder).
        self.database_url = database_url
        self.clock = FakeClock(start)
        self.guild: SandboxGuild = sandbox.add_guild("Harbour Lights")
        self.bot: CloserBot | None = None
        self._task: asyncio.Task[None] | None = None

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "_env_file": None,
            "database_path": self.db_path,
            "database_url": self.database_url,
            "discord_api_base_url": self.sandbox.api_base,
            "discord_gateway_url": self.sandbox.gateway_url,
            "dev_guild_id": self.guild.id,
            "tick_interval": timedelta(seconds=600),
        }
        values.update(overrides)
        return load_settings(**values)

    async def seed_couple(
        self,
        a: Member,
        b: Member,
        local_time: str = "19:00",
        cadence: str = "daily",
        relationship: str = "partners",
    ) -> int:
        """A chosen pair made directly in storage (for tests that need many pairs quickly)."""
        bot = self.running()
        from bot.core.models import Cadence, PairKind, Relationship
        from bot.services.schedule import reschedule_pair
        from bot.storage import members, pairs

        db, now = bot.db, self.clock.now()
        for m in (a, b):
            await members.upsert_member(db, m.id, m.name, now)
        async with db.transaction() as conn:
            pair_id = await pairs.insert_pair(
                conn,
                guild_id=self.guild.id,
                kind=PairKind.COUPLE,
                member_ids=(a.id, b.id),
                local_time=local_time,
                cadence=Cadence(cadence),
                anchor=now.date(),
                seed=7,
                now=now,
                relationship=Relationship(relationship),
            )
        pair = await pairs.get_pair(db, pair_id)
        if pair is None:
            raise RuntimeError("the pair just inserted is missing")
        await reschedule_pair(db, pair, bot.settings.default_timezone, now)
        return pair_id

    def member(self, name: str, *, manage_guild: bool = False, in_guild: bool = True) -> Member:
        user = self.sandbox.add_user(
            name, self.guild if in_guild else None, manage_guild=manage_guild
        )
        return Member(self.sandbox, user, self.guild)

    async def start_bot(
        self,
        *,
        ready_within: float = 10.0,
        identify_spacing: float | None = None,
        **overrides: Any,
    ) -> CloserBot:
        """`identify_spacing=0` skips Discord's 5 s between shards' IDENTIFYs, which the
        sandbox does not enforce (several shards would otherwise take 5 s each to start)."""
        options: dict[str, Any] = {"guild_ready_timeout": 0.05}
        if identify_spacing is not None:
            options["identify_spacing"] = identify_spacing
        bot = CloserBot(self.settings(**overrides), self.library, clock=self.clock, **options)
        self.bot = bot
        # What `async with bot` does first (as `python -m bot run` has it): bind the client to
        # this loop, so waiting for ready cannot run ahead of a login that awaits before it does.
        await bot.__aenter__()
        self._task = asyncio.create_task(bot.start(self.sandbox.bot_token))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, self._task}, timeout=ready_within, return_when="FIRST_COMPLETED"
        )
        if self._task in done:
            ready.cancel()
            task, self.bot, self._task = self._task, None, None
            await bot.close()  # as `async with bot` would: no session left open behind it
            task.result()  # re-raise what stopped the bot
            raise RuntimeError("the bot stopped before it was ready")
        if ready not in done:
            ready.cancel()
            raise TimeoutError(f"the bot did not become ready within {ready_within} s")
        return bot

    def running(self) -> CloserBot:
        if self.bot is None:
            raise RuntimeError("start the bot first")
        return self.bot

    async def tick(self) -> None:
        """Run one outbox pass now, as the scheduler would, and wait for it to finish."""
        bot = self.running()
        await bot.ticker.run_once()
        # A wake-up during the pass may have started another; let it finish too (a loaded
        # machine can take a while, and the demo's transcript must not depend on it).
        for _ in range(500):
            if not bot.ticker.busy:
                break
            await asyncio.sleep(0.02)

    async def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        await self.tick()

    async def crash_bot(self, tick: asyncio.Task[None] | None = None) -> None:
        """Stop the bot the way a killed process stops: no goodbye, no lease release."""
        bot, task = self.bot, self._task
        self.bot, self._task = None, None
        if bot is None or task is None:
            raise RuntimeError("no bot is running")
        bot.ticker.halt()
        for pending in (tick, task):
            if pending is not None:
                pending.cancel()
                await asyncio.gather(pending, return_exceptions=True)
        # A killed process takes its heartbeat thread with it; here the thread would outlive
        # the test's event loop and complain, so stop it as the process death would.
        # Each shard runs in a task of its own beside `start()`; a dead process loses them too.
        for info in bot.shards.values():
            shard = info._parent
            if shard._task is not None:
                shard._task.cancel()
            keep_alive = getattr(shard.ws, "_keep_alive", None)
            if keep_alive is not None:
                keep_alive.stop()
        await bot.http.close()
        if bot.metrics_server is not None:
            await bot.metrics_server.stop()  # the kernel frees a dead process's port
        await bot.db.close()
        # The kernel drops a dead process's flock; here the bot object lives on, so drop it.
        bot.process_lock.release()
        await self.sandbox.gateway.drop()

    async def stop_bot(self) -> None:
        bot, task = self.bot, self._task
        self.bot, self._task = None, None
        if bot is not None:
            await bot.close()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 5)
