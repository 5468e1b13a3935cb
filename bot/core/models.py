"""Plain domain vocabulary shared by every layer.

Nothing here knows about Discord, SQL or files; values are the same strings that are stored in the
database and written in the prompt packs, so enums round-trip through both without mapping tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Category(StrEnum):
    QUALITY_TIME = "quality_time"
    CURIOSITY = "curiosity"
    GRATITUDE = "gratitude"
    FEELINGS = "feelings"
    REPAIR = "repair"
    HUMOR = "humor"
    TECH_FREE = "tech_free"
    NEW_THINGS = "new_things"
    SUPPORT = "support"
    VULNERABILITY = "vulnerability"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS: dict[Category, str] = {
    Category.QUALITY_TIME: "Quality time",
    Category.CURIOSITY: "Curiosity",
    Category.GRATITUDE: "Gratitude",
    Category.FEELINGS: "Feelings",
    Category.REPAIR: "Patience & repair",
    Category.HUMOR: "Laughing together",
    Category.TECH_FREE: "Unplugged",
    Category.NEW_THINGS: "Something new",
    Category.SUPPORT: "Support",
    Category.VULNERABILITY: "Opening up",
}


class Depth(StrEnum):
    LIGHT = "light"
    MEDIUM = "medium"
    DEEP = "deep"

    @property
    def rank(self) -> int:
        return _DEPTH_RANK[self]

    def allows(self, other: Depth) -> bool:
        """A pair at this tier may receive a prompt of tier `other` (same or lighter)."""
        return other.rank <= self.rank

    def deeper(self) -> Depth | None:
        order = list(Depth)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None


_DEPTH_RANK = {Depth.LIGHT: 0, Depth.MEDIUM: 1, Depth.DEEP: 2}


class Kind(StrEnum):
    QUESTION = "question"
    ACTIVITY = "activity"
    REFLECTION = "reflection"


class Audience(StrEnum):
    ANY = "any"
    COUPLE = "couple"


class PairKind(StrEnum):
    COUPLE = "couple"
    CIRCLE = "circle"


class Cadence(StrEnum):
    """How often a pair receives a prompt."""

    DAILY = "daily"
    WEEKDAYS = "weekdays"
    WEEKLY = "weekly"


class CircleCadence(StrEnum):
    """How often a circle forms a new round of pairs."""

    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"


@dataclass(frozen=True, slots=True)
class Prompt:
    id: str
    category: Category
    depth: Depth
    kind: Kind
    audience: Audience
    text: str
    minutes: int | None = None
    follow_up: str | None = None


@dataclass(frozen=True, slots=True)
class ChallengeDay:
    """One day of a themed week: a fixed prompt id, or any prompt of a category at a depth."""

    day: int
    title: str
    prompt_id: str | None = None
    category: Category | None = None
    depth: Depth | None = None


@dataclass(frozen=True, slots=True)
class Challenge:
    id: str
    name: str
    intro: str
    closing: str
    audience: Audience
    days: tuple[ChallengeDay, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Library:
    prompts: tuple[Prompt, ...]
    challenges: tuple[Challenge, ...]

    def prompt(self, prompt_id: str) -> Prompt | None:
        for p in self.prompts:
            if p.id == prompt_id:
                return p
        return None

    def challenge(self, challenge_id: str) -> Challenge | None:
        for c in self.challenges:
            if c.id == challenge_id:
                return c
        return None
