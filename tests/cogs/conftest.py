"""Cogs are tested where they live, through the same sandbox as the end-to-end suite: a command's
surface (its options, permissions and refusals) only exists once Discord has the synced commands.
The harness is the end-to-end suite's own, so a cog test starts the bot exactly as they do."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import CloserBot
from tests.e2e.conftest import harness
from tests.e2e.harness import Harness

__all__ = ["bot", "harness"]


@pytest.fixture
async def bot(harness: Harness) -> CloserBot:
    """The bot, ready, with READY's own bookkeeping done: a listener records the server after
    `start_bot` returns, and a test comparing the database before and after a command must not
    see that row land in between."""
    started = await harness.start_bot()
    for _ in range(500):
        if await started.db.fetchval("SELECT count(*) FROM guilds WHERE left_at IS NULL"):
            break
        await asyncio.sleep(0.01)
    return started
