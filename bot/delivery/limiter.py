"""One budget for every REST call the outbox makes: Discord allows 50 requests a second per bot.

Staying under it ourselves (rather than bouncing off 429s) keeps slash commands snappy during a
large fan-out, because their callbacks never queue behind a rate-limited send.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque


class RateLimiter:
    """Evenly paced at `rate` a second, and never more than `rate` in any `window` seconds.

    Discord counts requests in any one-second window. Pacing alone cannot use that budget: a
    wake-up that comes late (the event loop was busy) is lost for good, and at 50/s the mean
    gap stretched from 20.0 to 21.6 ms. So the pacer may catch up by `burst` requests, and a
    sliding window over the last `rate` admissions is what actually guarantees the limit. The
    window is a little longer than a second (`margin`) so that requests which reach Discord
    slightly closer together than they left us still fit.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 4,
        *,
        window: float = 1.0,
        margin: float = 0.015,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(1, burst)
        self.cap = max(1, math.floor(rate * window))
        self.span = window + margin
        self._tokens = 1.0
        self._stamp = time.monotonic()
        self._admitted: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                while self._admitted and now - self._admitted[0] >= self.span:
                    self._admitted.popleft()
                if len(self._admitted) >= self.cap:
                    await asyncio.sleep(self.span - (now - self._admitted[0]))
                    continue
                if self._tokens >= 1:
                    self._tokens -= 1
                    self._admitted.append(now)
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)

    def admitted_within(self, seconds: float) -> int:
        """How many requests were let through in the last `seconds` (for tests and metrics)."""
        now = time.monotonic()
        return sum(1 for t in self._admitted if now - t < seconds)
