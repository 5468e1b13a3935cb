"""Near-duplicate prompt detection by word-set overlap (Jaccard similarity)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

THRESHOLD = 0.8

# Apostrophes are dropped rather than split on, so "what's" and "whats" stay one word.
_APOSTROPHES = re.compile(r"['`\u2018\u2019]")
_SEPARATORS = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class Match:
    later: int
    earlier: int
    score: float
    identical: bool


def words(text: str) -> list[str]:
    return [w for w in _SEPARATORS.split(_APOSTROPHES.sub("", text.casefold())) if w]


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def near_duplicates(texts: Sequence[str], threshold: float = THRESHOLD) -> list[Match]:
    """For each text, the first earlier text it nearly duplicates (if any)."""
    normalised = [words(t) for t in texts]
    sets = [frozenset(w) for w in normalised]
    matches: list[Match] = []
    for later in range(len(texts)):
        for earlier in range(later):
            a, b = sets[later], sets[earlier]
            # Jaccard can never exceed the size ratio; this skips most pairs cheaply.
            if min(len(a), len(b)) < threshold * max(len(a), len(b)):
                continue
            identical = normalised[later] == normalised[earlier]
            score = 1.0 if identical else jaccard(a, b)
            if score >= threshold:
                matches.append(Match(later, earlier, score, identical))
                break
    return matches
