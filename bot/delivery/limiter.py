"""One budget for every REST call the outbox makes: Discord allows 50 requests a second per bot.

Staying under it ourselves (rather than bouncing off 429s) keeps slash commands snappy during a
large fan-out, because their callbacks never queue behind a rate-limited send.
"""

from __future__ import annotations

import asyncio
import time


class RateLimiter:
    """A token bucket: `rate` tokens a second, bursting to `burst` (default 1: evenly paced).

    Discord counts requests in any one-second window, and a bucket bursting to `burst` admits
    up to `burst + rate` requests in one. A full-size burst (the old default, `burst = rate`)
    sent 90 requests in the first second of every fan-out at 45/s: global 429s, which
    discord.py retries outside this budget, so the overshoot fed itself.
    """

    def __init__(self, rate: float, burst: int | None = None) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else 1
        self._tokens = float(self.burst)
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)
