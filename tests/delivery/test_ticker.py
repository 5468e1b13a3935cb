"""The ticker keeps its beat when the wall clock jumps (NTP steps it, an operator sets it)."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timedelta, tzinfo

import pytest

from bot.delivery.ticker import Ticker


class SteppedWallClock(datetime):
    """`datetime.now()` as a machine whose clock was just set back by `offset`."""

    offset = timedelta(0)

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> SteppedWallClock:
        real = datetime.now(tz) - cls.offset
        return cls.fromtimestamp(real.timestamp(), tz)


async def test_a_wall_clock_stepped_back_does_not_stall_the_ticker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """APScheduler plans its next run in wall time, so after a step back it waits out the step:
    that stall is modelled by pausing it at the moment of the step. The ticker's own wall-clock
    reads see the stepped clock too. Ticks must go on, driven by the monotonic backstop."""
    monkeypatch.setattr(sys.modules["bot.delivery.ticker"], "datetime", SteppedWallClock)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        ticks += 1

    ticker = Ticker(timedelta(seconds=0.05), tick)
    ticker.start()
    try:
        await asyncio.sleep(0.3)
        assert ticks >= 2
        SteppedWallClock.offset = timedelta(hours=1)
        ticker._scheduler.pause()  # what APScheduler does for the hour the clock went back
        before = ticks
        await asyncio.sleep(0.5)
        assert ticks - before >= 4
    finally:
        SteppedWallClock.offset = timedelta(0)
        await ticker.stop()
