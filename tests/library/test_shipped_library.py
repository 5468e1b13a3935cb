"""The prompt library shipped in the repository loads and is big enough to use."""

from __future__ import annotations

from pathlib import Path

from bot.core.models import Category, Kind
from bot.library.loader import LibraryError, load_library

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


def test_shipped_library_is_valid_and_complete() -> None:
    try:
        library = load_library(PROMPTS)
    except LibraryError as exc:  # Show every problem, not just "raised".
        raise AssertionError(f"{len(exc.problems)} problems:\n{exc}") from None
    assert len(library.prompts) >= 300
    assert {p.category for p in library.prompts} == set(Category)
    assert sum(1 for p in library.prompts if p.kind is Kind.ACTIVITY) >= 60
    assert len(library.challenges) >= 6
