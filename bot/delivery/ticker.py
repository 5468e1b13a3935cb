"""The heartbeat of the outbox: one loop that ticks every interval and can be woken early.

It sleeps on the event loop's monotonic clock, never the wall clock: a scheduler that computes
its next run from wall time (APScheduler's interval trigger does) stalls for as long as the
clock was stepped back. What is due lives in SQLite and is judged by the injected Clock; this
loop only decides *when* we look. A wake that arrives while a tick is running is remembered, so
work created mid-tick (e.g. by `/prompt now`) is not left waiting for the next interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

log = logging.getLogger(__name__)

TickFn = Callable[[], Awaitable[None]]

# On shutdown, a tick in progress gets this long to finish its sends and bookkeeping; then it is
# cancelled (a send that hangs must not keep SIGTERM waiting past the 5 s most supervisors give).
STOP_GRACE = 3.0


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

    def start(self) -> None:
        self._loop_task = asyncio.get_running_loop().create_task(self._every_interval())

    async def _every_interval(self) -> None:
        while not self._stopping.is_set():
            await self.run_once()
            # asyncio's timers run on the monotonic clock.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop ticking; a tick in progress gets `grace` seconds, then it is cancelled."""
        self._stopping.set()
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
            try:
                await self._tick()
            except Exception:
                log.exception("outbox tick failed; the next tick will retry")
            if not self._woken:
                break
