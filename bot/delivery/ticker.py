"""The heartbeat of the outbox: one APScheduler interval job that can be woken early.

APScheduler only drives *when* we look; what is due lives in SQLite. A wake that arrives while a
tick is running is remembered, so work created mid-tick (e.g. by `/prompt now`) is not left
waiting for the next interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

TickFn = Callable[[], Awaitable[None]]

JOB_ID = "closer-outbox-tick"


class Ticker:
    def __init__(self, interval: timedelta, tick: TickFn) -> None:
        self._interval = interval
        self._tick = tick
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._running = asyncio.Lock()
        self._woken = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.ticks = 0

    def start(self) -> None:
        self._scheduler.add_job(
            self.run_once,
            "interval",
            seconds=self._interval.total_seconds(),
            id=JOB_ID,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            next_run_time=datetime.now(UTC),
        )
        self._scheduler.start()

    async def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        # Let an in-flight tick finish its sends and bookkeeping before storage closes.
        async with self._running:
            pass
        for task in list(self._tasks):
            task.cancel()

    @property
    def busy(self) -> bool:
        return self._running.locked() or any(not t.done() for t in self._tasks)

    def halt(self) -> None:
        """Stop at once, abandoning any tick in progress (used to simulate a crash)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        for task in list(self._tasks):
            task.cancel()

    def wake(self) -> None:
        """Run a tick as soon as possible (now, or right after the one in progress)."""
        self._woken = True
        if not self._running.locked():
            task = asyncio.get_running_loop().create_task(self.run_once())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def run_once(self) -> None:
        if self._running.locked():
            self._woken = True
            return
        async with self._running:
            while True:
                self._woken = False
                self.ticks += 1
                try:
                    await self._tick()
                except Exception:
                    log.exception("outbox tick failed; the next tick will retry")
                if not self._woken:
                    break
