"""One budget for every REST call the outbox makes: Discord allows 50 requests a second per bot.

Staying under it ourselves (rather than bouncing off 429s) keeps slash commands snappy during a
large fan-out, because their callbacks never queue behind a rate-limited send.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class RateLimiter:
    """At most `rate` requests in any `window` seconds as Discord counts them, paced evenly.

    Discord stamps a request when it arrives, which is some time after we let it go and before
    its response is back. So a request is counted in the window from the moment it is let go
    until one window after its response: any `rate` + 1 requests then span more than a window
    at Discord too, however unevenly the network or a busy event loop delays them. (Counting
    from the moment each was let go, as a plain token bucket does, sent 51 in a second whenever
    one request was held up more than the next.) The pacer may catch up by `burst` requests,
    so a wake-up that comes late is not lost for good.
    """

    def __init__(self, rate: float, burst: int = 4, *, window: float = 1.0) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(1, burst)
        self.cap = max(1, math.floor(rate * window))
        self.window = window
        self._tokens = 1.0
        self._stamp = time.monotonic()
        self._finished: deque[float] = deque()  # when recent responses came back
        self._in_flight = 0
        self._freed = asyncio.Event()
        self._lock = asyncio.Lock()
        self.waits = 0  # requests that found the budget spent (for benchmarks)
        self.admitted = 0  # requests let go: this process's share of the bot's budget
        self.fills = 0  # times the window was counted as spent by someone else (`fill`)
        self._held: list[tuple[float, int]] = []  # (until, requests) kept for others (`make_room`)

    def fill(self) -> None:
        """Count the whole budget as spent by responses that came back just now, so nothing
        more is let go for a window.

        For a process that has just become the sender: Discord keeps one budget per bot, and
        the sender before it may have spent all of it in its last second. When that was is not
        known here, only that it was no later than now."""
        now = time.monotonic()
        self._finished = deque([now] * self.cap)
        self.fills += 1

    async def make_room(self, requests: int, seconds: float) -> None:
        """Leave `requests` of the budget to someone else for the next `seconds`, and return
        once the window has that much free.

        For the sender, when another process of the same bot is about to make its start-up
        calls (log-in, application, gateway): Discord counts them in the same budget, with
        whatever this process spent in the second before them. The room is kept from the
        call on, without queueing behind this process's own requests waiting for the budget
        (hundreds, in a fan-out): from then on each of them counts it."""
        self._held.append((time.monotonic() + seconds, min(requests, self.cap)))
        while self._counted(now := time.monotonic()) > self.cap:
            await self._until_freed(now)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one request's place in the budget while it is in flight."""
        await self._admit()
        try:
            yield
        finally:
            self._in_flight -= 1
            self._finished.append(time.monotonic())
            self._freed.set()

    def _counted(self, now: float) -> int:
        while self._finished and now - self._finished[0] >= self.window:
            self._finished.popleft()
        self._held = [(until, n) for until, n in self._held if until > now]
        return self._in_flight + len(self._finished) + sum(n for _, n in self._held)

    async def _admit(self) -> None:
        async with self._lock:
            waited = False
            while True:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                full = self._counted(now) >= self.cap
                if not full and self._tokens >= 1:
                    self._tokens -= 1
                    self._in_flight += 1
                    self.admitted += 1
                    return
                if not waited:
                    waited = True
                    self.waits += 1
                if not full:
                    await asyncio.sleep((1 - self._tokens) / self.rate)
                    continue
                await self._until_freed(now)

    async def _until_freed(self, now: float) -> None:
        # Full: wait for the oldest response to leave the window, for one in flight to come
        # back (which starts its own window, but may let the oldest go first), or for room
        # kept for someone else to be theirs no longer.
        ends = [until - now for until, _ in self._held]
        if self._finished:
            ends.append(self.window - (now - self._finished[0]))
        self._freed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._freed.wait(), min(ends, default=None))
