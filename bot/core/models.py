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
    FIRST_IMPRESSIONS = "first_impressions"
    PLANS = "plans"
    DISAGREEMENT = "disagreement"
    CARED_FOR = "cared_for"
    MEMORY_LANE = "memory_lane"
    LONG_DISTANCE = "long_distance"
    FAMILY = "family"
    MILESTONES = "milestones"

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
    Category.FIRST_IMPRESSIONS: "First impressions",
    Category.PLANS: "Making plans",
    Category.DISAGREEMENT: "Disagreeing well",
    Category.CARED_FOR: "Feeling cared for",
    Category.MEMORY_LANE: "Memory lane",
    Category.LONG_DISTANCE: "Apart, yet close",
    Category.FAMILY: "Family ties",
    Category.MILESTONES: "Milestones",
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
    GUESS = "guess"
    PICK = "pick"


class Relationship(StrEnum):
    """What two people are to each other; a prompt's `audience` lists the ones it suits."""

    PARTNERS = "partners"
    FRIENDS = "friends"
    FAMILY = "family"
    CIRCLE = "circle"
    """Put together by a rotating circle this round: they may have just met."""

    @property
    def label(self) -> str:
        return RELATIONSHIP_LABELS[self]


RELATIONSHIP_LABELS: dict[Relationship, str] = {
    Relationship.PARTNERS: "Partners",
    Relationship.FRIENDS: "Friends",
    Relationship.FAMILY: "Family",
    Relationship.CIRCLE: "Circle round",
}

CHOSEN_RELATIONSHIPS: tuple[Relationship, ...] = (
    Relationship.PARTNERS,
    Relationship.FRIENDS,
    Relationship.FAMILY,
)
"""The kinds two people can choose with `/pair invite` or `/pair relationship`."""

Audience = frozenset[Relationship]
"""The relationship kinds a prompt or themed week suits."""

EVERYONE: Audience = frozenset(Relationship)


class PairKind(StrEnum):
    """How a pair came to be: chosen by invite ('couple', the stored name) or a circle round."""

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
    options: tuple[str, ...] = ()
    """A `pick` prompt's choices, in the pack's order."""


@dataclass(frozen=True, slots=True)
class ChallengeDay:
    """One day of a themed week: a fixed prompt id, or any prompt of a category at a depth."""

    day: int
    title: str
    prompt_id: str | None = None
    category: Category | None = None
    depth: Depth | None = None
    stand_in_id: str | None = None
    """A light prompt of the same category that fits the title, for pairs not yet deep enough
    (or not the kind) for `prompt_id`."""


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


class PairState(StrEnum):
    """A pair's stored status (`PairStatus` in services is the summary shown to members)."""

    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class InstanceStatus(StrEnum):
    """A prompt instance: open until everyone answered or it is closed or skipped."""

    OPEN = "open"
    REVEALED = "revealed"
    CLOSED = "closed"
    SKIPPED = "skipped"


class MemberState(StrEnum):
    """One member's place in one prompt instance."""

    OPEN = "open"
    ANSWERED = "answered"
    SKIPPED = "skipped"
    HELD = "held"
    DONE = "done"
    NOT_THIS_TIME = "not_this_time"


class DeliveryStatus(StrEnum):
    """An outbox row's stored status."""

    PENDING = "pending"  # also while a sender holds a lease on it (`delivery_leases`)
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class Pace(StrEnum):
    """How often a member hears follow-ups about prompts they have not answered."""

    NORMAL = "normal"
    WEEKLY = "weekly"
    HELD = "held"


class InviteStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class RoundStatus(StrEnum):
    """A circle round's stored status."""

    PENDING = "pending"
    FORMED = "formed"
    CANCELLED = "cancelled"


class ChallengeStatus(StrEnum):
    """A themed week a pair is taking."""

    ACTIVE = "active"
    STOPPED = "stopped"
    DONE = "done"


class SendResult(StrEnum):
    """What one delivery attempt came to (never stored; the row keeps a `DeliveryStatus`)."""

    SENT = "sent"
    SKIPPED = "skipped"
    UNREACHABLE = "unreachable"
    RETRY = "retry"
    FAILED = "failed"
    QUIET = "quiet"
    # Not settled yet: asked to send now, the row was still waiting when the asker stopped
    # waiting for it (it goes out with the sender's next pass).
    QUEUED = "queued"
