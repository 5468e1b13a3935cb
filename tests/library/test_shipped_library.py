"""The prompt library shipped in the repository loads and is big enough to use."""

from __future__ import annotations

from pathlib import Path

from bot.core.models import Depth, Kind, Relationship
from bot.library.loader import LibraryError, load_library

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


def test_shipped_library_is_valid_and_complete() -> None:
    try:
        library = load_library(PROMPTS)
    except LibraryError as exc:  # Show every problem, not just "raised".
        raise AssertionError(f"{len(exc.problems)} problems:\n{exc}") from None
    assert len(library.prompts) >= 300
    # The ten original categories at least; the content packs fill in the newer ones.
    assert len({p.category for p in library.prompts}) >= 10
    assert sum(1 for p in library.prompts if p.kind is Kind.ACTIVITY) >= 60
    weeks = library.challenges
    assert len(weeks) >= 12
    only = [c.audience for c in weeks]
    assert sum(1 for a in only if a == {Relationship.PARTNERS}) >= 2
    assert sum(1 for a in only if Relationship.PARTNERS not in a and Relationship.CIRCLE in a) >= 2
    assert sum(1 for a in only if a == {Relationship.FAMILY}) >= 1
    for kind in Relationship:
        assert any(p.depth is Depth.LIGHT and kind in p.audience for p in library.prompts), kind
