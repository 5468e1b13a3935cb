"""Fixtures every suite shares."""

from __future__ import annotations

import pytest

from bot.core.models import Library
from tests.shipped import shipped_library


@pytest.fixture(scope="session")
def library() -> Library:
    """The prompt library Closer ships, loaded once for the whole run (its checks take seconds)."""
    return shipped_library()
