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


def busiest_window(arrivals: list[float], window: float) -> int:
    arrivals = sorted(arrivals)
    return max(
        sum(1 for t in arrivals[i:] if t - start < window) for i, start in enumerate(arrivals)
    )


async def test_a_filled_budget_lets_nothing_go_for_a_whole_window() -> None:
    limiter = RateLimiter(80, window=0.25)
    limiter.fill()
    filled = time.monotonic()
    async with limiter.slot():
        let_go = time.monotonic()
    assert let_go - filled >= 0.25
    assert limiter.admitted == 1


async def test_a_new_sender_that_fills_its_budget_adds_nothing_to_the_last_window_of_the_old() -> (
    None
):
    # The process that sent before spent its whole budget and died; another took over at once.
    # Discord counts one budget for both.
    rate, window = 80, 0.25
    cap = int(rate * window)
    old, new = RateLimiter(rate, window=window), RateLimiter(rate, window=window)
    arrivals: list[float] = []

    async def request(limiter: RateLimiter) -> None:
        async with limiter.slot():
            arrivals.append(time.monotonic())

    await asyncio.gather(*(request(old) for _ in range(cap)))
    new.fill()
    await asyncio.gather(*(request(new) for _ in range(cap)))

    assert busiest_window(arrivals, window) <= cap


async def test_room_reserved_for_another_process_is_kept_free_until_it_ends() -> None:
    # The sender leaves room for a starting process's calls; together they stay in budget.
    rate, window = 80, 0.25
    cap = int(rate * window)
    sender = RateLimiter(rate, window=window)
    arrivals: list[float] = []

    async def request() -> None:
        async with sender.slot():
            arrivals.append(time.monotonic())

    # The sender has spent most of its budget when a process asks for room.
    await asyncio.gather(*(request() for _ in range(cap - 2)))
    await sender.make_room(4, 0.6)
    reserved = time.monotonic()
    others = [reserved + 0.01 * n for n in range(4)]  # the starting process's own calls
    await asyncio.gather(*(request() for _ in range(3 * cap)))

    during = [t for t in arrivals if t - reserved < 0.6]  # and the second before
    assert busiest_window(sorted(during + others), window) <= cap
    # The room is held for its time only: every request went out.
    assert len(arrivals) == 4 * cap - 2


async def test_room_is_made_without_queueing_behind_the_senders_own_requests() -> None:
    # In a fan-out hundreds of sends wait for the budget; a starting process asking for room
    # must not wait until they have all gone (it gives up asking after a few seconds).
    rate, window = 80, 0.25
    cap = int(rate * window)
    sender = RateLimiter(rate, window=window)

    async def request() -> None:
        async with sender.slot():
            pass

    queued = [asyncio.create_task(request()) for _ in range(5 * cap)]
    await asyncio.sleep(0.05)
    await sender.make_room(4, 1.0)
    assert sender.admitted < 2 * cap
    await asyncio.gather(*queued)
