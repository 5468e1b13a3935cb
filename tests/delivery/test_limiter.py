"""The send budget holds as Discord counts it, however the network delays each request."""

from __future__ import annotations

import asyncio
import random
import time

from bot.delivery.limiter import RateLimiter


async def test_no_second_ever_sees_more_than_the_rate_even_with_jitter() -> None:
    rate = 20
    limiter = RateLimiter(rate)
    rng = random.Random(5)
    arrivals: list[float] = []

    async def request() -> None:
        async with limiter.slot():
            # On its way: Discord stamps it on arrival, some time after we let it go...
            await asyncio.sleep(rng.uniform(0, 0.06))
            arrivals.append(time.monotonic())
            # ...and its answer takes a while to come back.
            await asyncio.sleep(rng.uniform(0, 0.03))

    await asyncio.gather(*(request() for _ in range(3 * rate)))

    arrivals.sort()
    busiest = max(
        sum(1 for t in arrivals[i:] if t - start < 1.0) for i, start in enumerate(arrivals)
    )
    assert busiest <= rate
    assert limiter.waits > 0
