"""The heartbeat of the outbox: an APScheduler interval job that can be woken early.

APScheduler drives the ticks, but it computes each next run from wall time, so a clock stepped
back (NTP, an operator) would stall it for as long as the step. A backstop loop on the event
loop's monotonic clock therefore ticks whenever a whole interval passes without one. What is due
lives in SQLite and is judged by the injected Clock; this only decides *when* we look. A wake
that arrives while a tick is running is remembered, so work created mid-tick (e.g. by
`/prompt now`) is not left waiting for the next interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

TickFn = Callable[[], Awaitable[None]]

# On shutdown, a tick in progress gets this long to finish its sends and bookkeeping; then it is
# cancelled (a send that hangs must not keep SIGTERM waiting past the 5 s most supervisors give).
STOP_GRACE = 3.0
JOB_ID = "closer-outbox-tick"


class Ticker:
    def __init__(self, interval: timedelta, tick: TickFn) -> None:
        self._interval = interval.total_seconds()
        self._tick = tick
        self._loop_task: asyncio.Task[None] | None = None
        self._running = asyncio.Lock()
        self._woken = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.ticks = 0
        self._current: asyncio.Task[object] | None = None
        self._stopping = asyncio.Event()
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._last_tick = float("-inf")  # monotonic time of the last tick's start

    def start(self) -> None:
        self._scheduler.add_job(
            self._scheduled,
            "interval",
            seconds=self._interval,
            id=JOB_ID,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            next_run_time=datetime.now(UTC),
        )
        self._scheduler.start()
        self._loop_task = asyncio.get_running_loop().create_task(self._backstop())

    async def _scheduled(self) -> None:
        # A tick cancelled at shutdown is not a failed job (APScheduler would log it as one).
        with contextlib.suppress(asyncio.CancelledError):
            await self.run_once()

    async def _backstop(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            # asyncio's timers run on the monotonic clock.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)
            if not self._stopping.is_set() and loop.time() - self._last_tick >= self._interval:
                await self.run_once()

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop ticking; a tick in progress gets `grace` seconds, then it is cancelled."""
        self._stopping.set()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        running = self._live()
        if running:
            _, late = await asyncio.wait(running, timeout=grace)
            if late:
                log.info("a tick was still running at shutdown; cancelling it")
                self._cancel_all()
                await asyncio.wait(late, timeout=1.0)
        self._cancel_all()

    def _live(self) -> set[asyncio.Future[Any]]:
        live: set[asyncio.Future[Any]] = {t for t in self._tasks if not t.done()}
        for task in (self._loop_task, self._current):
            if task is not None and not task.done():
                live.add(task)
        return live

    def _cancel_all(self) -> None:
        self._stopping.set()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self._loop_task is not None:
            self._loop_task.cancel()
        for task in list(self._tasks):
            task.cancel()
        if self._current is not None:
            self._current.cancel()

    @property
    def busy(self) -> bool:
        return self._running.locked() or any(not t.done() for t in self._tasks)

    def halt(self) -> None:
        """Stop at once, abandoning any tick in progress (used to simulate a crash)."""
        self._cancel_all()

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
            self._current = asyncio.current_task()
            try:
                await self._ticks()
            finally:
                self._current = None

    async def _ticks(self) -> None:
        while True:
            self._woken = False
            self.ticks += 1
            self._last_tick = asyncio.get_running_loop().time()
            try:
                await self._tick()
            except Exception:
                log.exception("outbox tick failed; the next tick will retry")
            if not self._woken:
                break
