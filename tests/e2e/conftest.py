from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import CloserBot
from bot.core.models import Library
from bot.library.loader import load_library
from tests.e2e.harness import Harness, running_sandbox

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def library() -> Library:
    return load_library(REPO / "prompts")


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
    return await harness.start_bot()
