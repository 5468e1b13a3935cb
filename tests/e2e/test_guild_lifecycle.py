"""Closer removed from a server: a 7-day grace period on the driven clock, then a purge; coming
back in time cancels it; the countdown survives restarts and removals while offline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.storage.timecodec import to_db
from tests.e2e.harness import Harness
from tests.e2e.trust_support import wait_until

pytestmark = pytest.mark.e2e


async def guild_row(harness: Harness) -> dict[str, object] | None:
    assert harness.bot is not None
    row = await harness.bot.db.fetchone(
        "SELECT * FROM guilds WHERE guild_id = ?", (harness.guild.id,)
    )
    return None if row is None else dict(row)


async def pairs_here(harness: Harness) -> int:
    assert harness.bot is not None
    value = await harness.bot.db.fetchval(
        "SELECT COUNT(*) FROM pairs WHERE guild_id = ?", (harness.guild.id,)
    )
    return int(value)


async def left(harness: Harness) -> bool:
    row = await guild_row(harness)
    return row is not None and row["left_at"] is not None


async def test_removal_purges_after_seven_days_even_across_a_restart(harness: Harness) -> None:
    await harness.start_bot()
    await harness.seed_couple(harness.member("Ada"), harness.member("Sam"))
    removed_at = harness.clock.now()
    await harness.sandbox.remove_bot_from_guild(harness.guild)
    await wait_until(lambda: left(harness), what="the removal to be recorded")
    row = await guild_row(harness)
    assert row is not None and row["purge_after"] == to_db(removed_at + timedelta(days=7))

    await harness.advance(timedelta(days=6, hours=23))
    assert await pairs_here(harness) == 1  # still inside the grace period

    await harness.stop_bot()
    await harness.start_bot()  # READY no longer lists the server; the countdown is unchanged
    row = await guild_row(harness)
    assert row is not None and row["purge_after"] == to_db(removed_at + timedelta(days=7))
    assert await pairs_here(harness) == 1

    await harness.advance(timedelta(hours=2))
    assert await pairs_here(harness) == 0
    assert await guild_row(harness) is None
    # Member profiles are global and stay until the person uses /closer forget.
    assert harness.bot is not None
    assert await harness.bot.db.fetchval("SELECT COUNT(*) FROM members") == 2


async def test_coming_back_within_the_grace_period_cancels_the_purge(harness: Harness) -> None:
    await harness.start_bot()
    await harness.seed_couple(harness.member("Ada"), harness.member("Sam"))
    await harness.sandbox.remove_bot_from_guild(harness.guild)
    await wait_until(lambda: left(harness), what="the removal to be recorded")
    await harness.advance(timedelta(days=3))
    await harness.sandbox.add_bot_to_guild(harness.guild)

    async def back() -> bool:
        return not await left(harness)

    await wait_until(back, what="the return to be recorded")
    await harness.advance(timedelta(days=10))
    assert await pairs_here(harness) == 1
    row = await guild_row(harness)
    assert row is not None and row["purge_after"] is None


async def test_a_removal_while_offline_is_noticed_at_start_up(harness: Harness) -> None:
    await harness.start_bot()
    await harness.seed_couple(harness.member("Ada"), harness.member("Sam"))
    assert not await left(harness)  # READY recorded the server as present
    await harness.stop_bot()
    await harness.sandbox.remove_bot_from_guild(harness.guild)  # nobody is listening
    await harness.start_bot()
    await wait_until(lambda: left(harness), what="the missed removal to be noticed")
    await harness.advance(timedelta(days=7, minutes=1))
    assert await pairs_here(harness) == 0
