from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import CloserBot
from bot.core.models import Library
from tests.e2e.harness import Harness, running_sandbox


@pytest.fixture
async def harness(
    library: Library, tmp_path: Path, database_url: str | None
) -> AsyncIterator[Harness]:
    async with running_sandbox() as sandbox:
        h = Harness(sandbox, library, tmp_path / "closer.db", database_url=database_url)
        try:
            yield h
        finally:
            await h.stop_bot()


@pytest.fixture
async def bot(harness: Harness) -> CloserBot:
    """The bot, ready, with READY's own bookkeeping done: a listener records the server after
    `start_bot` returns, and a test comparing the database before and after a command must not
    see that row land in between (it did, on a loaded machine)."""
    started = await harness.start_bot()
    for _ in range(500):
        if await started.db.fetchval("SELECT count(*) FROM guilds"):
            break
        await asyncio.sleep(0.01)
    return started
