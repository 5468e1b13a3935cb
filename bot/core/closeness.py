"""The closeness check-in, as pure rules: who is asked, when, and what admins may see.

The scale is one item, seven pictures of two circles from apart to almost fully overlapping,
after the Inclusion of Other in the Self scale (Aron, Aron & Smollan, 1992, Journal of
Personality and Social Psychology 63(4), 596–612). It takes seconds and tracks longer closeness
questionnaires well, which is why it can be asked every four weeks without becoming homework.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

SCALE = tuple(range(1, 8))
EVERY = timedelta(weeks=4)
# A second press within this window changes the answer instead of adding one: a member who
# misclicked, or took /closer checkin twice in an evening, has said one thing.
SAME_CHECKIN = timedelta(hours=12)
# Admins see a distribution only when at least this many different members contributed, so no
# single member's answer can be read off it.
MIN_MEMBERS_FOR_STATS = 5
STATS_PERIOD = timedelta(days=28)

# Relationship kinds whose pairs are asked from their first four weeks on. Circle pairs are
# re-formed every round; a check-in in a first round together would measure an introduction.
# Kept as plain strings so new kinds (partners, friends, family) fit without touching this rule.
_CIRCLE = "circle"


def eligible(kind: str, earlier_rounds_together: int = 0) -> bool:
    """Whether a pair of this kind takes check-ins (scheduled or asked for)."""
    if kind == _CIRCLE:
        return earlier_rounds_together >= 1
    return True


def period_of(started: datetime, now: datetime) -> int:
    """How many whole four-week periods of the relationship have passed (0 before the first)."""
    if now < started:
        return 0
    return (now - started) // EVERY


def period_start(started: datetime, period: int) -> datetime:
    return started + EVERY * period


@dataclass(frozen=True, slots=True)
class Distribution:
    counts: dict[int, int]  # score -> how many check-ins
    members: int  # different members who contributed

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def mean(self) -> float | None:
        total = self.total
        return None if total == 0 else sum(s * n for s, n in self.counts.items()) / total

    @property
    def shareable(self) -> bool:
        return self.members >= MIN_MEMBERS_FOR_STATS


def distribution(rows: Iterable[tuple[int, int]]) -> Distribution:
    """From (user id, score) rows: counts per score, and how many people gave them."""
    counts: Counter[int] = Counter()
    people: set[int] = set()
    for user_id, score in rows:
        counts[score] += 1
        people.add(user_id)
    return Distribution({s: counts.get(s, 0) for s in SCALE}, len(people))


def trend_words(scores: Sequence[int]) -> str:
    """A short, non-judging description of a member's own check-ins in order."""
    if not scores:
        return "no check-ins yet"
    if len(scores) == 1:
        return f"{scores[0]} of 7"
    first, last = scores[0], scores[-1]
    path = " → ".join(str(s) for s in scores[-6:])
    if last > first:
        return f"{path} (closer than at first)"
    if last < first:
        return f"{path} (a little further apart than at first; that happens)"
    return f"{path} (steady)"
