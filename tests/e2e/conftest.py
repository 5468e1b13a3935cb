from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import CloserBot
from bot.core.models import Library
from tests.e2e.harness import Harness, running_sandbox


@pytest.fixture
async def harness(library: Library, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_sandbox() as sandbox:
        h = Harness(sandbox, library, tmp_path / "closer.db")
        try:
            yield h
        finally:
            await h.stop_bot()


@pytest.fixture
async def bot(harness: Harness) -> CloserBot:
    return await harness.start_bot()
